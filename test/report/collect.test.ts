// segc report's reading of run folders: a damaged metrics.jsonl or a sweep folder of unfinished runs is a
// one-line error naming the file, not a crash.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectRuns } from '../../report/collect.ts';
import { writeReport } from '../../report/index.ts';
import { decode } from 'fast-png';
import { writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { RunError } from '../../runtime/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'segc-collect-'));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const summary = JSON.stringify({ experiment: 'e', epochs: [], final: { values: { dice: 0.5 } } });

describe('collectRuns', () => {
  it('reads a plain run folder', () => {
    const dir = folder('plain', { 'summary.json': summary, 'metrics.jsonl': '{"epoch":1}\n{"epoch":2}\n' });
    const [run] = collectRuns([dir]);
    expect(run.group).toBe('e');
    expect(run.epochs).toEqual([{ epoch: 1 }, { epoch: 2 }]);
  });

  it('names the line of a damaged metrics.jsonl', () => {
    const dir = folder('damaged', { 'summary.json': summary, 'metrics.jsonl': '{"epoch":1}\n{"epo' });
    expect(() => collectRuns([dir])).toThrow(RunError);
    expect(() => collectRuns([dir])).toThrow(`Cannot read '${join(dir, 'metrics.jsonl')}:2'`);
  });

  it('refuses a sweep folder of unfinished runs', () => {
    const sweep = join(root, 'unfinished');
    folder('unfinished/a-1', { 'run.json': '{}' });
    folder('unfinished/b-2', { 'run.json': '{}', 'metrics.jsonl': '{"epoch":1}\n' });
    expect(() => collectRuns([sweep])).toThrow(
      `'${sweep}' holds no finished run (a folder with summary.json).`,
    );
  });

  it("leaves the images out when the sweep run's experiment file is gone", async () => {
    const record = { id: 'a-1', name: 'a', group: 'a', seed: 1, overrides: {}, experiment: 'e' };
    const dir = folder('moved/a-1', {
      'summary.json': summary,
      'run.json': JSON.stringify({ ...record, file: join(root, 'gone.seg') }),
      'predictions-val.safetensors': '',
    });
    const result = await writeReport([dir], { out: join(root, 'moved.html') });
    expect(result.runs).toBe(1);
    expect(result.figures).not.toContain('overlays');
  });

  it('overlays the inputs the predictions file holds, with no experiment file or dataset', async () => {
    // One 2 × 3 RGB sample as the plan saw it, its labels (class 1 at one pixel) and its prediction.
    const record = { id: 'b-1', name: 'b', group: 'b', seed: 1, overrides: {}, experiment: 'e' };
    const dir = folder('kept/b-1', {
      'summary.json': summary,
      'run.json': JSON.stringify({ ...record, file: join(root, 'gone.seg') }),
    });
    const image = Uint8Array.from({ length: 18 }, (_, i) => 10 * i);
    const labels = Uint8Array.from([0, 1, 0, 0, 0, 0]);
    const tensors = {
      predictions: { dtype: 'U8' as const, shape: [1, 2, 3], data: Uint8Array.from([0, 0, 0, 1, 0, 0]) },
      image: { dtype: 'U8' as const, shape: [1, 3, 2, 3], data: image },
      labels: { dtype: 'U8' as const, shape: [1, 2, 3], data: labels },
    };
    await writeSafetensorsFile(join(dir, 'predictions-val.safetensors'), tensors, { ids: '["x7"]' });
    const result = await writeReport([dir], { out: join(root, 'kept.html') });
    expect(result.figures).toContain('overlays');
    const html = readFileSync(join(root, 'kept.html'), 'utf8');
    const grid = /<table class="overlays">[\s\S]*?<\/table>/.exec(html)![0];
    expect(grid).toContain('x7');
    const [shown, truth, predicted] = [...grid.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map(
      (m) => decode(Buffer.from(m[1], 'base64')).data,
    );
    // Planar [C, H, W] shown as RGB; the labelled pixel (1) and the predicted one (3) half-way to class 1's
    // colour (230, 25, 75), every other pixel as it is.
    const rgb = (p: number) => [0, 1, 2].map((c) => image[c * 6 + p]);
    expect([...shown.subarray(0, 6)]).toEqual([...rgb(0), ...rgb(1)]);
    const tinted = (p: number) => rgb(p).map((v, c) => Math.round((v + [230, 25, 75][c]) / 2));
    expect([...truth.subarray(3, 6)]).toEqual(tinted(1));
    expect([...truth.subarray(9, 12)]).toEqual(rgb(3));
    expect([...predicted.subarray(9, 12)]).toEqual(tinted(3));
  });
});
