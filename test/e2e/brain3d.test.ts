// The spec example brain3d_ce-l1.seg at test size (test/fixtures/data/experiments/brain3d_tiny.seg: the same
// dataset options and pipelines, 8³ patches, widths [4, 8]) trains one epoch on the brain3d NIfTI fixture:
// patch batches from the loader, the 3-D transforms on the GPU, and a whole-volume evaluation by sliding
// window. The evaluation covers every voxel of the validation volume once: its label shares are those of the
// volume decoded apart (nibabel-checked decoder, no GPU).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { stageExperiment } from '../../compiler/index.ts';
import type { CompileError } from '../../diagnostics/index.ts';
import { openDataset } from '../../runtime/data/registry.ts';
import { decodeVolume } from '../../runtime/data/decode/nifti.ts';
import { testCheckpoint } from '../../runtime/train/test-run.ts';
import { Trainer } from '../../runtime/train/trainer.ts';

const root = join(import.meta.dirname, '..', '..');
const out = mkdtempSync(join(tmpdir(), 'segc-brain3d-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test(
  'brain3d trains one epoch on NIfTI volumes and evaluates whole volumes',
  { timeout: 240_000 },
  async () => {
    const file = join(root, 'test/fixtures/data/experiments/brain3d_tiny.seg');
    const summary = await new Trainer(file, { out: join(out, 'run') }).run();
    expect(summary.epochs).toHaveLength(1);
    const record = summary.epochs[0];
    expect(Number.isFinite(record.train.loss)).toBe(true);
    const val = record.val!;
    for (const name of ['loss', 'ce', 'l1', 'dice', 'miou', 'hd95'])
      expect(val.values, name).toHaveProperty(name);
    expect(val.values.dice).toBeGreaterThanOrEqual(0);
    expect(val.values.dice).toBeLessThanOrEqual(1);
    // The validation volume (split [0.8, 0.2], seed 3: one of five) decoded on the CPU.
    const ds = openDataset('nifti', {
      images: join(root, 'test/fixtures/data/brain3d/*_t1.nii.gz'),
      labels: join(root, 'test/fixtures/data/brain3d/*_seg.nii.gz'),
      split: [0.8, 0.2],
      seed: 3,
      classes: 4,
    });
    expect(ds.count('val')).toBe(1);
    const volume = await ds.load('val', 0);
    expect(volume.size).toEqual([12, 12, 12]);
    expect(volume.spacing).toEqual([Math.fround(1.2), 1, Math.fround(0.9)].map((v) => expect.closeTo(v, 6)));
    const counts = [0, 0, 0, 0];
    for (const l of volume.labels!) counts[l]++;
    const shares = counts.map((n) => n / volume.labels!.length);
    val.proportions!.target.forEach((share, c) => expect(share, `class ${c}`).toBeCloseTo(shares[c], 12));
    const predicted = val.proportions!.predicted.reduce((a, b) => a + b, 0);
    expect(predicted).toBeCloseTo(1, 12);

    // segc test with per-case Dice, saving the class map as NIfTI with the image's geometry: read back by
    // the NIfTI decoder, its Dice per class and its confusion counts against the decoded labels, by hand.
    const copy = join(out, 'brain3d_cases.seg');
    const text = readFileSync(file, 'utf8').replace(
      'metrics = [dice, hd95]',
      'metrics = [dice, dice_per_image]',
    );
    writeFileSync(copy, text);
    const tested = await testCheckpoint(copy, {
      checkpoint: join(out, 'run'),
      split: 'val',
      savePredictions: true,
      log: () => {},
    });
    const id = ds.entry!('val', 0).id;
    const saved = await decodeVolume(join(out, 'run', 'val_results', `${id}.nii.gz`));
    const image = await decodeVolume(ds.entry!('val', 0).image);
    expect(saved.size).toEqual([12, 12, 12]);
    expect(saved.spacing).toEqual(image.spacing);
    expect(saved.orientation).toEqual(image.orientation);
    const map = Array.from(saved.data);
    const labels = volume.labels!;
    const confusion = [0, 1, 2, 3].map((p) =>
      [0, 1, 2, 3].map((t) => map.filter((v, i) => v === p && labels[i] === t).length),
    );
    expect(tested.confusion).toEqual(confusion);
    const dice = [1, 2, 3].map((c) => {
      const [i, p, t] = [confusion[c][c], map.filter((v) => v === c).length, counts[c]];
      return (2 * i + 1e-10) / (p + t + 1e-10);
    });
    expect(tested.tables!.dice_per_image.slice(1)).toEqual(dice.map((d) => expect.closeTo(d, 12)));
    expect(tested.values.dice_per_image).toBeCloseTo((dice[0] + dice[1] + dice[2]) / 3, 12);
  },
);

test('what volumes cannot do yet is named where it is written, before the GPU', () => {
  const file = join(root, 'test/fixtures/data/experiments/brain3d_tiny.seg');
  const source = readFileSync(file, 'utf8');
  const messages = (text: string) => {
    try {
      stageExperiment(file, { text, check: true });
      return [];
    } catch (error) {
      return (error as CompileError).diagnostics.map((d) => `${d.code} ${d.span?.line}: ${d.message}`);
    }
  };
  const threshold = 'metrics = [dice, dice_per_image(threshold = 0.3)]';
  expect(messages(source.replace('metrics = [dice, hd95]', threshold))).toEqual([
    "SEG5080 16: dice_per_image: option 'threshold' must be 0.5 on volumes (their class map is the argmax of " +
      'the sliding-window probabilities), got 0.3.',
  ]);
  expect(messages(source.replace('spacing = "native"', 'spacing = [1, 1, 1]'))).toEqual([
    'SEG5080 7: nifti: option \'spacing\' must be "native" (resampling to a spacing is not available yet), ' +
      'got [1, 1, 1].',
  ]);
  expect(messages(source.replace('eval augment = [zscore()]', 'eval augment = [flip()]'))).toEqual([
    "SEG5053 10: Transform 'flip' in 'eval augment' is declared but not available yet; this version runs " +
      "'zscore'.",
  ]);
});
