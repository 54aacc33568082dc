// Per-sample draws of the resampling and elastic stages: one_or_other takes its first side with probability
// p, random_scale's factor and crop stay in range (int(side × factor), int((side - crop) × u)), and elastic's
// two stages apply together, with the field keyed by (seed, epoch, sample, stage).
import { describe, expect, it } from 'vitest';
import { PARAMS_PER_SAMPLE, augmentPipeline } from '../../../compiler/index.ts';
import type { Setting } from '../../../compiler/index.ts';
import { augmentKey, batchParams } from '../../../runtime/data/augment-params.ts';

const call = (name: string, args: Setting[] = [], options: Record<string, Setting> = {}) => ({
  name,
  args,
  options,
});
const samples = Array.from({ length: 2000 }, (_, i) => i);
const row = (params: Float32Array, stage: number, b: number) => [
  ...params.slice(
    (stage * samples.length + b) * PARAMS_PER_SAMPLE,
    (stage * samples.length + b + 1) * PARAMS_PER_SAMPLE,
  ),
];

describe('resampling and elastic draws', () => {
  it("one_or_other: resize with probability p, else random_scale's factor and crop in range", () => {
    const pipeline = augmentPipeline(
      [
        call('one_or_other', [
          0.3,
          call('resize', [], { mode: 'cubic' }),
          [call('random_scale', [0.5, 1.5], { mode: 'cubic' }), call('random_crop')],
        ]),
      ],
      [40, 80],
      [20, 40],
    );
    expect(pipeline.stages).toHaveLength(1);
    const params = batchParams(pipeline, 3, 1, samples, samples.length);
    let resized = 0;
    for (const b of samples) {
      const [apply, sx, , x, , sy, y, nw, nh] = row(params, 0, b);
      expect(apply).toBe(1);
      if (nw === 40 && nh === 20 && x === 0 && y === 0) {
        resized++;
        continue;
      }
      const factor = nw / 80;
      expect(nw).toBeGreaterThanOrEqual(40);
      expect(nw).toBeLessThanOrEqual(120);
      expect(Math.abs(nh - 40 * factor)).toBeLessThanOrEqual(1);
      expect(sx).toBeCloseTo(80 / nw, 6);
      expect(sy).toBeCloseTo(40 / nh, 6);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(nw - 40);
      expect(y).toBeLessThanOrEqual(nh - 20);
    }
    expect(resized / samples.length).toBeGreaterThan(0.27);
    expect(resized / samples.length).toBeLessThan(0.33);
  });

  it("elastic's two stages apply together, with probability p, the field keyed per sample", () => {
    const pipeline = augmentPipeline(
      [call('elastic', [], { alpha: 10, sigma: 2, alpha_affine: 1, p: 0.4 })],
      [16, 16],
    );
    expect(pipeline.stages.map((s) => s.kind)).toEqual(['warp', 'elastic']);
    const params = batchParams(pipeline, 9, 4, samples, samples.length);
    let applied = 0;
    for (const b of samples) {
      const affine = row(params, 0, b);
      const field = row(params, 1, b);
      expect(field[0]).toBe(affine[0]);
      applied += affine[0];
      const key = augmentKey(9, 4, b, 1);
      expect(field.slice(1, 3)).toEqual([key & 0xffff, key >>> 16]);
    }
    expect(applied / samples.length).toBeGreaterThan(0.37);
    expect(applied / samples.length).toBeLessThan(0.43);
  });

  it('elastic in a one_of is one choice', () => {
    const pipeline = augmentPipeline(
      [call('one_of', [1, [call('elastic', [], { p: 1 }), call('gamma', [], { p: 1 })]])],
      [16, 16],
    );
    const params = batchParams(pipeline, 1, 0, samples, samples.length);
    let elastic = 0;
    for (const b of samples) {
      const [e, field, g] = [0, 1, 2].map((s) => row(params, s, b)[0]);
      expect(field).toBe(e);
      expect(e + g).toBe(1);
      elastic += e;
    }
    expect(elastic / samples.length).toBeGreaterThan(0.46);
    expect(elastic / samples.length).toBeLessThan(0.54);
  });

  it('stages the upstream recipes from the native sizes (the retinal list resized at its end)', () => {
    const cityscapes = augmentPipeline(
      [
        call('one_or_other', [
          0.3,
          call('resize', [], { mode: 'cubic' }),
          [call('random_scale', [0.5, 1.5], { mode: 'cubic' }), call('random_crop')],
        ]),
        call('hflip', [0.5]),
      ],
      [1024, 2048],
      [512, 1024],
    );
    expect(cityscapes.stages.map((s) => [s.name, ...s.input, ...s.output])).toEqual([
      ['one_or_other', 1024, 2048, 512, 1024],
      ['hflip', 512, 1024, 512, 1024],
    ]);
    const retinal = augmentPipeline(
      [call('hflip', [0.5]), call('elastic', [], { alpha: 120, sigma: 6, alpha_affine: 3.6 })],
      [896, 896],
      [512, 512],
      { fit: true },
    );
    expect(retinal.stages.map((s) => [s.name, ...s.output])).toEqual([
      ['hflip', 896, 896],
      ['elastic', 896, 896],
      ['elastic_field', 896, 896],
      ['resize', 512, 512],
    ]);
    expect(() =>
      augmentPipeline([call('random_scale', [0.5, 1.5]), call('random_crop')], [512, 1024], [512, 1024]),
    ).toThrow(
      'random_scale(0.5, 1.5) makes 512×1024 images as small as 256×512, smaller than the random_crop',
    );
    expect(() => augmentPipeline([call('random_scale', [0.5, 1.5])], [64, 64], [32, 32])).toThrow(
      "'random_scale' must be followed by random_crop",
    );
  });
});
