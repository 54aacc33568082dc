// Runs on real data end to end: the labels the GPU evaluated are the decoded masks (the class shares of the
// validation pixels equal a count over the masks, placed at the plan's size), bad files are skipped and
// counted in summary.json, or stop the run before its folder exists.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openDataset } from '../../../runtime/data/registry.ts';
import { runExperiment } from '../../../runtime/train/session.ts';
import { FIXTURES, LABELME } from './golden.ts';

const experiments = join(FIXTURES, 'experiments');
const outDir = (name: string) => join(mkdtempSync(join(tmpdir(), 'segc-data-')), name);

/** Each class's share of the non-ignored pixels of the masks, centre-cropped or padded to [H, W]. */
async function classShares(root: string, options: Record<string, unknown>, name: string, size: number[]) {
  const ds = openDataset(name, { root, ...options });
  const counts = new Array(ds.classes).fill(0);
  for (let i = 0; i < ds.count('val'); i++) {
    const s = await ds.load('val', i);
    const [h, w] = s.size;
    for (let y = 0; y < size[0]; y++) {
      for (let x = 0; x < size[1]; x++) {
        const sy = y - Math.floor((size[0] - h) / 2);
        const sx = x - Math.floor((size[1] - w) / 2);
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
        const v = s.labels![sy * w + sx];
        if (v !== 255) counts[v]++;
      }
    }
  }
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
}

test("Debian's labelme-examples photos train as voc for an epoch", { timeout: 900_000 }, async () => {
  const out = outDir('labelme');
  const summary = await runExperiment(join(experiments, 'labelme_voc.seg'), { out, log: () => {} });
  const final = summary.final!;
  expect(Number.isFinite(summary.epochs[0].train.loss)).toBe(true);
  const shares = await classShares(LABELME, {}, 'voc', [32, 48]);
  final.proportions!.target.forEach((p, c) => expect(p).toBeCloseTo(shares[c], 6));
  // the crops hold the background and at least one object class
  expect(shares.filter((s) => s > 0).length).toBeGreaterThan(1);
  expect(existsSync(join(out, 'summary.json'))).toBe(true);
});

test(
  'on_error = "skip": the bad mask is reported once and counted in summary.json',
  { timeout: 900_000 },
  async () => {
    const out = outDir('skip');
    const lines: string[] = [];
    const summary = await runExperiment(join(experiments, 'image_folder.seg'), {
      out,
      log: (line: string) => lines.push(line),
    });
    const bad = join('test/fixtures/data/bad/label/masks/a.png');
    expect(summary.skipped).toEqual({
      count: 1,
      files: [
        { file: bad, message: expect.stringContaining(`Mask '${bad}' has the label 7 at row 4, column 5`) },
      ],
    });
    expect(lines.filter((l) => l.includes('skipped')).length).toBe(1);
    const written = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(written.skipped.count).toBe(1);
    // one step per epoch: the good image only; its labels are what the GPU counted
    expect(summary.epochs.length).toBe(1);
    const b = await openDataset('image_folder', { root: 'test/fixtures/data/bad/label', classes: 3 }).load(
      'val',
      1,
    );
    const own = [0, 1, 2].map((c) => b.labels!.filter((v) => v === c).length / b.labels!.length);
    summary.final!.proportions!.target.forEach((p, c) => expect(p).toBeCloseTo(own[c], 6));
  },
);

test('bad data stops the run at the scan, before its folder exists', async () => {
  const out = outDir('stop');
  await expect(runExperiment(join(experiments, 'truncated.seg'), { out, log: () => {} })).rejects.toThrow(
    /^The dataset has a bad file:\n {2}Image 'test\/fixtures\/data\/bad\/truncated\/images\/a\.jpg' is corrupt or not an image: .*\nFix them, or skip them with the dataset option on_error = "skip"\.$/s,
  );
  expect(existsSync(out)).toBe(false);
});
