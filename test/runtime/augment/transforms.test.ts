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

/** Largest image difference by transform, printed after the run (the note's figures). */
const worst: Record<string, number> = {};
afterAll(() => console.log(`augment transforms, largest image difference: ${JSON.stringify(worst)}`));

describe('augmentation kernels against OpenCV', () => {
  for (const c of golden.cases) {
    it(c.name, async () => {
      const { device } = await testDevice();
      const input: [number, number] = [c.input.height, c.input.width];
      const output: [number, number] = [c.output.height, c.output.width];
      const options: Record<string, Setting> = {};
      if (c.params.size) options.size = c.params.size;
      if (c.params.mode) options.mode = c.params.mode as unknown as Setting;
      if (c.transform === 'pad_if_needed') Object.assign(options, { image: 0, mask: 255 });
      if (c.transform === 'grid_distortion') options.steps = c.params.steps;
      const call = { name: c.transform, args: [], options };
      const pipeline = augmentPipeline([call], input, output);
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
