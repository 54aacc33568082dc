// segc report over a sweep folder written here by hand (two variants x two seeds, known numbers): the table's
// mean ± std and bold best values by hand, every figure as SVG and PNG, and the HTML opened in a real headless
// Chromium: no console error, no network request, every figure drawn, a screenshot that is not blank.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../report/index.ts';
import { visit } from '../helpers/chromium.ts';

const root = mkdtempSync(join(tmpdir(), 'segc-report-'));
const sweep = join(root, 'sweep');

/** A finished run as segc sweep leaves it: run.json, metrics.jsonl and summary.json. */
function writeRun(group: string, seed: number, dice: number, error: number): void {
  const id = `${group}-seed=${seed}-0000000${seed}`;
  const dir = join(sweep, id);
  mkdirSync(dir, { recursive: true });
  const values = { loss: 0.5, dice, miou: dice - 0.1, proportion_error: error };
  const epochs = [1, 2].map((epoch) => ({
    epoch,
    lr: 1e-3 / epoch,
    params: { alpha: 1 },
    train: { loss: 1 / epoch, ce: 0.8 / epoch },
    val: {
      values: { ...values, dice: dice * (epoch / 2) },
      dicePerClass: [dice, dice / 2],
      unpredicted: [],
      tables: { per_class_iou: [0.9, dice - 0.2, dice / 3] },
      proportions: { predicted: [0.9, 0.06, 0.04], target: [0.85, 0.1, 0.05] },
    },
    seconds: 1,
  }));
  const record = {
    id,
    name: id,
    group,
    seed,
    overrides: { 'train.seed': seed },
    experiment: 'paper',
    file: 'x.seg',
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record));
  writeFileSync(
    join(dir, 'metrics.jsonl'),
    epochs.map((e) => JSON.stringify({ epoch: e.epoch, lr: e.lr, params: e.params, ...e.train })).join('\n') +
      '\n',
  );
  const summary = {
    experiment: 'paper',
    device: 'cpu',
    epochs,
    final: epochs[1].val,
    wallSeconds: 2,
    out: dir,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
}

writeRun('ce', 1, 0.6, 0.1);
writeRun('ce', 2, 0.8, 0.3);
writeRun('ce_l1', 1, 0.7, 0.05);
writeRun('ce_l1', 2, 0.72, 0.07);

describe('segc report', () => {
  const out = join(root, 'report.html');
  const figures = join(root, 'figures');

  it('tabulates mean ± std over seeds with the best of each column in bold', async () => {
    const result = await writeReport([sweep], { out, figures });
    expect(result.runs).toBe(4);
    expect(result.figures).toEqual(['curves', 'per-class', 'proportions', 'radar']);
    const html = readFileSync(out, 'utf8');
    // ce: dice 0.6, 0.8 -> 0.7000 ± 0.1414 (sample std); ce_l1: 0.7, 0.72 -> 0.7100 ± 0.0141, the best.
    const row = (group: string) => new RegExp(`<tr><td>${group}</td>.*?</tr>`).exec(html)![0];
    expect(row('ce')).toContain('<td>0.7000 ± 0.1414</td>');
    expect(row('ce_l1')).toContain('<td><b>0.7100 ± 0.0141</b></td>');
    // proportion_error: lower is better, so ce_l1's 0.0600 ± 0.0141 is bold.
    expect(row('ce_l1')).toContain('<td><b>0.0600 ± 0.0141</b></td>');
    expect(row('ce')).toContain('<td>0.2000 ± 0.1414</td>');
    // Self-contained: no script, no stylesheet or image fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|src="(?!data:)|url\(/i);
    for (const id of result.figures) {
      const svg = readFileSync(join(figures, `${id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      const png = decode(readFileSync(join(figures, `${id}.png`)));
      expect(png.width).toBeGreaterThan(200);
      const colours = new Set<number>();
      for (let i = 0; i < png.data.length; i += png.channels)
        colours.add(png.data[i] * 65536 + png.data[i + 1] * 256 + png.data[i + 2]);
      expect(colours.size, id).toBeGreaterThan(10);
    }
  });

  it('opens in headless Chromium without errors or network requests, every figure drawn', async () => {
    const page = await visit(out, [
      "[...document.querySelectorAll('figure')].map((f) => [f.id, f.querySelector('svg').getBoundingClientRect().width > 100])",
    ]);
    expect(page.errors).toEqual([]);
    expect(page.console.filter((c) => c.type === 'error' || c.type === 'warning')).toEqual([]);
    expect(page.requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    expect(page.values[0]).toEqual([
      ['figure-curves', true],
      ['figure-per-class', true],
      ['figure-proportions', true],
      ['figure-radar', true],
    ]);
    const shot = decode(page.screenshot);
    let dark = 0;
    for (let i = 0; i < shot.data.length; i += shot.channels) if (shot.data[i] < 128) dark++;
    // Text, axes and bars: a blank page would have no dark pixel at all.
    expect(dark).toBeGreaterThan(2000);
  });
});
