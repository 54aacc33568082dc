// The spec examples retinal_unet_bce-l1_512.seg and cityscapes_fpn101_ce-l1.seg, each trained for one epoch
// with `segc run`'s Trainer on a small dataset in its layout (test/golden/generate_example_data.py): their
// datasets, recipes (retinal_train with elastic, grid and optical distortions; cityscapes_train with
// one_or_other and random_scale), eval augment, losses, optimizers, schedules, metrics and test section as
// written. Changed, and only this: the `model` line (and its std/nets import), a two-level U-Net instead of the ResNet-50 U-Net and the
// ResNet-101 FPN (lavapipe takes minutes to compile their 735 and 2523 kernels; the ResNet nets are checked
// against torch in test/e2e/nets.test.ts), so no pretrained `weights` file is read; and the dataset's root,
// sizes and batch by --set overrides. References: the generator's pixel counts of the val labels, at
// Cityscapes' native 64×128 (evaluated by a second plan while training on 32×64 crops) and after the retinal
// Resize to 32×32 (nearest), which the evaluation's class shares must equal.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Override } from '../../compiler/index.ts';
import { Trainer } from '../../runtime/train/trainer.ts';

const golden = JSON.parse(
  readFileSync(new URL('../golden/data/examples_val.json', import.meta.url), 'utf8'),
) as { val_pixels: number[]; retinal_val_lesion_pixels_32x32: number };
const data = resolve('test/fixtures/data/examples');

/** The example with its `model` line replaced by `model` (a std/nets unet), in a folder of its own. */
function prepared(name: string, model: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'segc-example-'));
  const text = readFileSync(`test/fixtures/spec-examples/${name}`, 'utf8');
  const line = /^ {2}model = .*$/m;
  expect(text).toMatch(line);
  const file = join(dir, name);
  const nets = /^import std\/nets \{ \w+ \}$/m;
  expect(text).toMatch(nets);
  writeFileSync(file, text.replace(line, `  model = ${model}`).replace(nets, 'import std/nets { unet }'));
  return file;
}

describe('the spec examples run for one epoch', () => {
  it('cityscapes_fpn101_ce-l1.seg: trained on crops, evaluated at the native size', async () => {
    const overrides: Record<string, Override> = {
      'data.root': join(data, 'cityscapes'),
      'data.train_crop': [32, 64],
      'data.eval_size': [64, 128],
      'data.workers': 1,
      'train.batch': 2,
      'eval.batch': 2,
      'train.epochs': 1,
    };
    const file = prepared('cityscapes_fpn101_ce-l1.seg', 'unet(in = 3, classes = 19, widths = [4, 8])');
    const summary = await new Trainer(file, { overrides, out: join(dirname(file), 'run') }).run();
    expect(summary.epochs).toHaveLength(1);
    expect(Number.isFinite(summary.epochs[0].train.loss)).toBe(true);
    const counts = golden.val_pixels;
    const total = counts.reduce((a, b) => a + b, 0);
    summary.final!.proportions!.target.forEach((share, c) => expect(share).toBeCloseTo(counts[c] / total, 6));
    expect(summary.final!.tables!.per_class_iou).toHaveLength(19);
    expect(Number.isFinite(summary.final!.values.miou)).toBe(true);
  }, 300_000);

  it('retinal_unet_bce-l1_512.seg: binary lesions, resized to the training size, tested after training', async () => {
    const overrides: Record<string, Override> = {
      'data.root': join(data, 'retinal_lesions'),
      'data.size': [32, 32],
      'data.workers': 1,
      'train.batch': 2,
      'train.epochs': 1,
    };
    const file = prepared('retinal_unet_bce-l1_512.seg', 'unet(in = 3, classes = 1, widths = [4, 8])');
    const summary = await new Trainer(file, { overrides, out: join(dirname(file), 'run') }).run();
    expect(summary.epochs).toHaveLength(1);
    expect(Number.isFinite(summary.epochs[0].train.loss)).toBe(true);
    const target = summary.final!.proportions!.target;
    expect(target[1]).toBeCloseTo(golden.retinal_val_lesion_pixels_32x32 / (2 * 32 * 32), 6);
    for (const metric of ['dice_per_image', 'nsd']) {
      expect(Number.isFinite(summary.final!.values[metric])).toBe(true);
    }
    expect(summary.test).toBeDefined();
  }, 300_000);
});
