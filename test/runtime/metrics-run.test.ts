// A run that tests its selected model after training (test { after_training = true }, upstream's
// PERFORM_TEST) with every kind of metric; segc test's class-index PNGs (named by sample id) reproduce the
// saved confusion matrix, and the HD95/NSD and per-class tables equal a brute-force reference on those maps.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { stageExperiment } from '../../compiler/index.ts';
import { datasetSplits } from '../../runtime/train/evaluate.ts';
import { runExperiment } from '../../runtime/train/session.ts';

const file = 'test/fixtures/experiments/metrics-tiny.seg';

/** Border pixels of a mask (4-neighbourhood; the outside counts as outside). */
function borderOf(mask: boolean[], h: number, w: number): number[] {
  const at = (y: number, x: number) => y >= 0 && x >= 0 && y < h && x < w && mask[y * w + x];
  const out: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (at(y, x) && !(at(y - 1, x) && at(y + 1, x) && at(y, x - 1) && at(y, x + 1))) out.push(y * w + x);
  return out;
}

/** Brute-force hd95 and nsd of one image and class (the rules of docs/metrics.md), spacing [sy, sx]. */
function surface(a: boolean[], b: boolean[], h: number, w: number, s: number[], tolerance: number) {
  const ba = borderOf(a, h, w);
  const bb = borderOf(b, h, w);
  const d = (p: number, q: number) =>
    Math.hypot(s[0] * (Math.floor(p / w) - Math.floor(q / w)), s[1] * ((p % w) - (q % w)));
  const near = (from: number[], to: number[]) =>
    from.map((p) => Math.min(Infinity, ...to.map((q) => d(p, q))));
  const all = [...near(ba, bb), ...near(bb, ba)].sort((x, y) => x - y);
  const rank = 0.95 * (all.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(low + 1, all.length - 1);
  const hd95 = all[low] + (all[high] - all[low]) * (rank - low);
  const nsd = all.filter((v) => v <= tolerance).length / all.length;
  return {
    hd95: ba.length && bb.length ? hd95 : undefined,
    nsd: bb.length ? (ba.length ? nsd : 0) : undefined,
  };
}

describe('testing after training', () => {
  it('scores the selected model on the test split with every metric; the saved PNGs reproduce it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'segc-metrics-')), 'run');
    const lines: string[] = [];
    const summary = await runExperiment(file, { out, log: (line) => lines.push(line) });
    expect(summary.test?.split).toBe('val');
    const tested = summary.test!;
    // The test's table: a header, a rule, one row per class, with the eval and test section's table metrics.
    const header = lines.find((l) => l.trim().startsWith('class '))!;
    for (const column of ['per_class_iou', 'per_class_dice', 'hd95', 'nsd', 'dice_per_image', 'macc'])
      expect(header).toContain(column);
    expect(lines.filter((l) => /^\s+class [0-2]\s/.test(l))).toHaveLength(3);
    const saved = JSON.parse(readFileSync(join(out, 'test-val.json'), 'utf8'));
    expect(saved.confusion).toEqual(tested.confusion);
    expect(saved.values.macc).toBeCloseTo(tested.values.macc, 12);

    // save_predictions: one class-index PNG per sample, named by id (shapes: val-<i>).
    const folder = join(out, 'val_results');
    expect(readdirSync(folder).sort()).toEqual(['val-0.png', 'val-1.png', 'val-2.png']);
    const { config } = stageExperiment(file, { check: true });
    const labels = datasetSplits(config).val.labels;
    const [h, w] = [12, 12];
    const confusion = [0, 1, 2].map(() => [0, 0, 0]);
    const hd: number[] = [];
    const nsd: number[] = [];
    for (let i = 0; i < 3; i++) {
      const png = decode(readFileSync(join(folder, `val-${i}.png`)));
      expect([png.width, png.height, png.channels]).toEqual([w, h, 1]);
      const truth = labels.subarray(i * h * w, (i + 1) * h * w);
      png.data.forEach((p, j) => truth[j] !== 255 && confusion[p][truth[j]]++);
      for (const c of [1, 2]) {
        const a = Array.from(png.data, (p, j) => p === c && truth[j] !== 255);
        const b = Array.from(truth, (t) => t === c);
        const r = surface(a, b, h, w, [2, 1], 2);
        if (r.hd95 !== undefined) hd.push(r.hd95);
        if (r.nsd !== undefined) nsd.push(r.nsd);
      }
    }
    expect(tested.confusion).toEqual(confusion);
    const mean = (v: number[]) => (v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN);
    if (hd.length) expect(tested.values.hd95).toBeCloseTo(mean(hd), 5);
    else expect(tested.values.hd95).toBeNaN();
    expect(tested.values.nsd).toBeCloseTo(mean(nsd), 5);
    const iou = confusion.map((row, c) => {
      const p = row.reduce((x, y) => x + y, 0);
      const t = confusion.reduce((x, r) => x + r[c], 0);
      return row[c] / (p + t - row[c] + 1e-10);
    });
    tested.tables!.per_class_iou.forEach((v, c) => expect(v).toBeCloseTo(iou[c], 10));
    expect(tested.values.miou).toBeCloseTo(mean(iou), 10);
  });

  it('refuses before training when the dataset has no split to test on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segc-metrics-'));
    const out = join(dir, 'run');
    const other = join(dir, 'no-test-split.seg');
    writeFileSync(other, readFileSync(file, 'utf8').replace('split = val', 'split = test'));
    await expect(runExperiment(other, { out })).rejects.toThrow(
      "test { after_training = true } tests on 'test', but the dataset 'shapes' has no such split " +
        '(give test { split = val }).',
    );
    expect(existsSync(out)).toBe(false);
  });
});
