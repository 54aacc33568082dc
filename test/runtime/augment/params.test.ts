// Per-sample draws: a function of (seed, epoch, sample index) only, whatever the batch slot, with the
// probabilities the transforms declare and one_of applying exactly one of its choices.
import { describe, expect, it } from 'vitest';
import { PARAMS_PER_SAMPLE, augmentPipeline } from '../../../compiler/index.ts';
import type { Setting } from '../../../compiler/index.ts';
import { batchParams, shiftScaleRotateInverse } from '../../../runtime/data/augment-params.ts';

const call = (name: string, args: Setting[] = [], options: Record<string, Setting> = {}) => ({
  name,
  args,
  options,
});

describe('augmentation draws', () => {
  const pipeline = augmentPipeline(
    [
      call('hflip', [0.5]),
      call('one_of', [0.3, [call('gamma'), call('contrast'), call('brightness')]]),
      call('shift_scale_rotate', [0.0625, 0.1, 45], { p: 1 }),
    ],
    [16, 16],
  );
  const samples = Array.from({ length: 3000 }, (_, i) => i);
  const params = batchParams(pipeline, 7, 2, samples, samples.length);
  const applied = (stage: number, b: number) =>
    params[(stage * samples.length + b) * PARAMS_PER_SAMPLE] === 1;

  it('applies each transform with its probability, one_of one choice at a time', () => {
    const rate = (stage: number) => samples.filter((b) => applied(stage, b)).length / samples.length;
    expect(rate(0)).toBeGreaterThan(0.47);
    expect(rate(0)).toBeLessThan(0.53);
    const group = samples.filter((b) => applied(1, b) || applied(2, b) || applied(3, b)).length;
    expect(group / samples.length).toBeGreaterThan(0.27);
    expect(group / samples.length).toBeLessThan(0.33);
    for (const stage of [1, 2, 3]) expect(rate(stage)).toBeGreaterThan(0.08);
    const twice = samples.filter((b) => [1, 2, 3].filter((s) => applied(s, b)).length > 1);
    expect(twice).toEqual([]);
    expect(rate(4)).toBe(1);
  });

  it('depends on the sample index, not on its place in the batch; epochs and seeds differ', () => {
    const moved = batchParams(pipeline, 7, 2, [2999, 5], 2);
    const at = (p: Float32Array, stage: number, b: number, n: number) => [
      ...p.slice((stage * n + b) * PARAMS_PER_SAMPLE, (stage * n + b + 1) * PARAMS_PER_SAMPLE),
    ];
    for (const stage of [0, 1, 2, 3, 4]) {
      expect(at(moved, stage, 0, 2)).toEqual(at(params, stage, 2999, samples.length));
      expect(at(moved, stage, 1, 2)).toEqual(at(params, stage, 5, samples.length));
    }
    const otherEpoch = batchParams(pipeline, 7, 3, [5], 1);
    const otherSeed = batchParams(pipeline, 8, 2, [5], 1);
    expect(at(otherEpoch, 4, 0, 1)).not.toEqual(at(moved, 4, 1, 2));
    expect(at(otherSeed, 4, 0, 1)).not.toEqual(at(moved, 4, 1, 2));
  });

  it('inverts the shift-scale-rotate map (a pure rotation by 90 degrees about the centre)', () => {
    // cv2.getRotationMatrix2D((8, 8), 90, 1) maps (x, y) to (y, 16 - x); its inverse maps (x, y) to (16 - y, x).
    const m = shiftScaleRotateInverse(90, 1, 0, 0, 16, 16);
    const expected = [0, -1, 16, 1, 0, 0];
    m.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
  });
});
