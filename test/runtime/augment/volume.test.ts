// The 3-D transforms on the GPU against NumPy (test/golden/generate_volumes.py): flip and rot90 exactly as
// np.flip / np.rot90 (image and labels), intensity_scale and zscore as their byte formulas (docs/augment.md);
// and the draws: from (seed, epoch, sample index) only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { VolumeStage } from '../../../compiler/index.ts';
import { VOLUME_PARAMS, augmentPipeline, volumePipeline } from '../../../compiler/index.ts';
import { readBuffer, writeBuffer } from '../../../runtime/executor.ts';
import { VolumeAugmenter, mapParams, volumeParams } from '../../../runtime/data/augment-3d.ts';
import { testDevice } from '../../helpers/gpu.ts';

interface Case {
  name: string;
  params: number[] | number[][];
  axes?: string[];
  image: number[];
  labels: number[];
  exact?: number[];
}
const golden: { shape: number[]; image: number[]; labels: number[]; cases: Case[] } = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'volumes', 'transforms.json'), 'utf8'),
);
const [B, C, ...size] = golden.shape;

function stageOf(c: Case): { stage: VolumeStage; params: Float32Array } {
  const params = new Float32Array(B * VOLUME_PARAMS);
  if (c.name === 'flip') {
    const stage: VolumeStage = { kind: 'flip', axes: [0, 1, 2], p: 1 };
    (c.params as number[][]).forEach((flags, b) =>
      params.set(
        mapParams(stage, size, (k) => (flags[k] ? 0 : 1)),
        b * VOLUME_PARAMS,
      ),
    );
    return { stage, params };
  }
  if (c.name === 'rot90') {
    const stage: VolumeStage = { kind: 'rot90', axes: [1, 2], p: 1 };
    (c.params as number[]).forEach((k, b) =>
      params.set(
        mapParams(stage, size, (d) => (d === 0 ? 0 : (k + 0.5) / 4)),
        b * VOLUME_PARAMS,
      ),
    );
    return { stage, params };
  }
  if (c.name === 'intensity_scale') {
    (c.params as number[]).forEach((s, b) => (params[b * VOLUME_PARAMS] = s));
    return { stage: { kind: 'intensity_scale', factor: 0, p: 1 }, params };
  }
  return { stage: { kind: 'zscore' }, params };
}

describe('3-D transforms on the GPU', () => {
  test('flip, rot90, intensity_scale and zscore match NumPy', async () => {
    const { device } = await testDevice();
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    for (const c of golden.cases) {
      const { stage, params } = stageOf(c);
      const augmenter = await VolumeAugmenter.create(device, [stage], C);
      const targets = {
        image: device.createBuffer({ size: Math.ceil(golden.image.length / 16) * 16, usage }),
        labels: device.createBuffer({ size: Math.ceil(golden.labels.length / 16) * 16, usage }),
      };
      writeBuffer(device, targets.image, Uint8Array.from(golden.image));
      writeBuffer(device, targets.labels, Uint8Array.from(golden.labels));
      augmenter.apply(targets, size, B, params);
      const image = new Uint8Array((await readBuffer(device, targets.image)).buffer, 0, golden.image.length);
      const labels = new Uint8Array(
        (await readBuffer(device, targets.labels)).buffer,
        0,
        golden.labels.length,
      );
      expect(Array.from(labels), c.name).toEqual(c.labels);
      if (!c.exact) {
        expect(Array.from(image), c.name).toEqual(c.image);
      } else {
        // Rounded from f32 on the GPU and f64 in NumPy: equal except where NumPy's value is within 1e-4 of
        // a rounding tie, and there by at most one level.
        let off = 0;
        image.forEach((v, i) => {
          if (v === c.image[i]) return;
          off++;
          const fraction = c.exact![i] - Math.floor(c.exact![i]);
          expect(Math.abs(v - c.image[i]), `${c.name} at ${i}`).toBe(1);
          expect(Math.abs(fraction - 0.5), `${c.name} at ${i}`).toBeLessThan(1e-4);
        });
        console.log(`${c.name}: ${off} of ${image.length} bytes off by one (ties)`);
      }
      augmenter.destroy();
    }
  });

  test('the draws depend on (seed, epoch, sample index) only', () => {
    const stages = volumePipeline(
      [
        { name: 'flip', args: [], options: { axes: ['D', 'H', 'W'], p: 0.5 } },
        { name: 'rot90', args: [], options: { p: 0.5, axes: ['H', 'W'] } },
        { name: 'intensity_scale', args: [0.1], options: {} },
        { name: 'zscore', args: [], options: {} },
      ] as never,
      [8, 8, 8],
    );
    expect(stages.map((s) => s.kind)).toEqual(['flip', 'rot90', 'intensity_scale', 'zscore']);
    const a = volumeParams(stages, [8, 8, 8], 3, 2, [5, 9], 2);
    // The same sample in another slot or batch draws alike; another epoch or seed does not.
    const b = volumeParams(stages, [8, 8, 8], 3, 2, [9, 5], 2);
    const per = stages.length;
    for (let s = 0; s < per; s++) {
      const at = (k: number) => (s * 2 + k) * VOLUME_PARAMS;
      expect(a.subarray(at(0), at(1))).toEqual(b.subarray(at(1), at(2)));
    }
    expect(volumeParams(stages, [8, 8, 8], 3, 3, [5, 9], 2)).not.toEqual(a);
    expect(volumeParams(stages, [8, 8, 8], 4, 2, [5, 9], 2)).not.toEqual(a);
    // intensity_scale's factor lies in [0.9, 1.1]
    const scale = a[2 * 2 * VOLUME_PARAMS];
    expect(scale).toBeGreaterThanOrEqual(0.9);
    expect(scale).toBeLessThanOrEqual(1.1);
    // rot90 needs a square plane
    expect(() =>
      volumePipeline([{ name: 'rot90', args: [], options: { axes: ['D', 'W'] } }] as never, [4, 8, 8]),
    ).toThrow(/square/);
    // images turn in [H, W] only
    expect(() =>
      augmentPipeline([{ name: 'rot90', args: [], options: { axes: ['D', 'H'] } }] as never, [8, 8], [8, 8]),
    ).toThrow(/turns in \[H, W\]/);
  });
});
