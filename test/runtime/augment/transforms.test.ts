// Each transform's WGSL kernel against OpenCV / numpy outputs for fixed parameters
// (test/golden/generate_augment.py): images within 1 grey level, labels exact. A batch of two samples: the
// first transformed, the second (for transforms that keep the size) left as it is by its apply flag.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Setting } from '../../../compiler/index.ts';
import { PARAMS_PER_SAMPLE, augmentPipeline } from '../../../compiler/index.ts';
import { Augmenter } from '../../../runtime/data/augment.ts';
import { colour, shiftScaleRotateInverse, stageParams } from '../../../runtime/data/augment-params.ts';
import { readBuffer } from '../../../runtime/executor.ts';
import { testDevice } from '../../helpers/gpu.ts';

interface Case {
  name: string;
  transform: string;
  params: Record<string, number & number[]>;
  input: { channels: number; height: number; width: number; image: number[]; labels: number[] };
  output: { height: number; width: number; image: number[]; labels: number[] };
}

const golden = JSON.parse(
  readFileSync(new URL('../../golden/augment/transforms.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

/** The kernel parameters of a case: the map or factors for its fixed parameters. */
function paramsOf(c: Case, input: [number, number], output: [number, number]): number[] {
  const p = c.params;
  const draw = { name: c.transform, options: p as Record<string, Setting>, p: 1 };
  switch (c.transform) {
    case 'rot90':
      return stageParams(draw, input, output, () => (p.k + 0.5) / 4);
    case 'random_crop':
      return [1, 0, p.x, 0, 1, p.y];
    case 'shift_scale_rotate':
      return shiftScaleRotateInverse(p.angle, p.scale, p.dx, p.dy, input[0], input[1]);
    case 'brightness_contrast':
      return colour(p.alpha, p.beta, 1);
    case 'gamma':
      return colour(1, 0, p.gamma);
    case 'grid_distortion':
      return [...p.xsteps, ...p.ysteps];
    case 'optical_distortion':
      return [p.k, p.dx, p.dy, 0, 0, 0];
    case 'hue_saturation_value':
      return [p.hue, p.sat, p.val, 0, 0, 0];
    default:
      return stageParams(draw, input, output, () => 0);
  }
}

/** The one-transform pipeline of a case, from its input to its output size. */
function casePipeline(c: Case) {
  const input: [number, number] = [c.input.height, c.input.width];
  const output: [number, number] = [c.output.height, c.output.width];
  const options: Record<string, Setting> = {};
  if (c.params.size) options.size = c.params.size;
  if (c.params.mode) options.mode = c.params.mode as unknown as Setting;
  if (c.transform === 'pad_if_needed') Object.assign(options, { image: 0, mask: 255 });
  if (c.transform === 'grid_distortion') options.steps = c.params.steps;
  const pipeline = augmentPipeline([{ name: c.transform, args: [], options }], input, output);
  return { input, output, pipeline };
}

/** Largest image difference by transform, printed after the run (the note's figures). */
const worst: Record<string, number> = {};
afterAll(() => console.log(`augment transforms, largest image difference: ${JSON.stringify(worst)}`));

describe('augmentation kernels against OpenCV', () => {
  for (const c of golden.cases) {
    it(c.name, async () => {
      const { device } = await testDevice();
      const { input, output, pipeline } = casePipeline(c);
      const keeps = input[0] === output[0] && input[1] === output[1];
      const channels = c.input.channels;
      const augmenter = await Augmenter.create(device, pipeline, 2, channels);
      const twice = (a: number[]) => Uint8Array.from([...a, ...a]);
      const params = new Float32Array(2 * PARAMS_PER_SAMPLE);
      const values = paramsOf(c, input, output);
      params.set([1, ...values], 0);
      params.set([keeps ? 0 : 1, ...values], PARAMS_PER_SAMPLE);
      const imageBytes = 2 * channels * output[0] * output[1];
      const labelBytes = 2 * output[0] * output[1];
      const buffer = (bytes: number) =>
        device.createBuffer({
          size: Math.ceil(bytes / 4) * 4,
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        });
      const targets = { image: buffer(imageBytes), labels: buffer(labelBytes) };
      augmenter.runWith(twice(c.input.image), twice(c.input.labels), params, targets);
      const bytes = async (b: GPUBuffer, n: number) =>
        new Uint8Array((await readBuffer(device, b)).buffer).slice(0, n);
      const image = await bytes(targets.image, imageBytes);
      const labels = await bytes(targets.labels, labelBytes);
      const half = imageBytes / 2;
      const expected = Uint8Array.from(c.output.image);
      let largest = 0;
      for (let i = 0; i < half; i++) largest = Math.max(largest, Math.abs(image[i] - expected[i]));
      const key = c.params.mode ? `${c.transform} ${c.params.mode}` : c.transform;
      worst[key] = Math.max(worst[key] ?? 0, largest);
      expect(largest, 'largest image difference (grey levels)').toBeLessThanOrEqual(1);
      expect([...labels.slice(0, labelBytes / 2)]).toEqual(c.output.labels);
      const second = keeps ? c.input : c.output;
      expect([...image.slice(half)]).toEqual(keeps ? c.input.image : [...image.slice(0, half)]);
      expect([...labels.slice(labelBytes / 2)]).toEqual(second.labels);
      augmenter.destroy();
      targets.image.destroy();
      targets.labels.destroy();
    });
  }
});

// Multilabel masks (K planes per sample) move as the one plane of class indices does: plane 0 against OpenCV,
// each plane against the one-plane kernel (checked above) run on that plane alone; two samples, so the
// second sample's planes read the second sample's parameters.
describe('multilabel masks: K label planes per sample', () => {
  const picked = [
    'rot90 k=1',
    'random_crop 8x10 at 3,5',
    'resize 20x11 nearest',
    'pad_if_needed 16x21',
    'shift_scale_rotate 30 1.1 0.05 -0.03',
    'optical_distortion 0.5 1 -2',
    'grid_distortion 5 steps (1)',
    'gamma 0.8',
  ];
  for (const c of golden.cases.filter((g) => picked.includes(g.name))) {
    it(c.name, async () => {
      const { device } = await testDevice();
      const { input, output, pipeline } = casePipeline(c);
      const params = new Float32Array(2 * PARAMS_PER_SAMPLE);
      const values = paramsOf(c, input, output);
      // The second sample is left as it is where the size allows (its planes must not read sample 0's flag).
      const keeps = input[0] === output[0] && input[1] === output[1];
      params.set([1, ...values], 0);
      params.set([keeps ? 0 : 1, ...values], PARAMS_PER_SAMPLE);
      const L = c.input.labels;
      const planes = [L, L.map((v) => (v * 7 + 3) % 256), [...L].reverse()];
      const out = output[0] * output[1];
      const run = async (labels: number[][], k: number) => {
        const augmenter = await Augmenter.create(device, pipeline, 2, c.input.channels, k);
        const buffer = (bytes: number) =>
          device.createBuffer({
            size: Math.ceil(bytes / 4) * 4,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
          });
        const targets = { image: buffer(2 * c.input.channels * out), labels: buffer(2 * k * out) };
        const image = Uint8Array.from([...c.input.image, ...c.input.image]);
        augmenter.runWith(image, Uint8Array.from(labels.flat()), params, targets);
        const bytes = new Uint8Array((await readBuffer(device, targets.labels)).buffer).slice(0, 2 * k * out);
        augmenter.destroy();
        targets.image.destroy();
        targets.labels.destroy();
        return bytes;
      };
      // Sample-major: sample 0's three planes, then sample 1's.
      const stacked = await run([...planes, ...planes], 3);
      expect([...stacked.slice(0, out)]).toEqual(c.output.labels);
      for (let k = 0; k < 3; k++) {
        const alone = await run([planes[k], planes[k]], 1);
        expect([...stacked.slice(k * out, (k + 1) * out)], `sample 0, plane ${k}`).toEqual([
          ...alone.slice(0, out),
        ]);
        expect([...stacked.slice((3 + k) * out, (4 + k) * out)], `sample 1, plane ${k}`).toEqual([
          ...alone.slice(out),
        ]);
      }
    });
  }
});
