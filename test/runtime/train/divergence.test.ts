// The divergence rule on hand-made loss curves: an epoch's mean loss over 10 times the first step's loss or
// the lowest earlier epoch's warns, naming both; noise, plateaus and exactly 10 times do not.
import { describe, expect, it } from 'vitest';
import { divergenceWarning } from '../../../runtime/train/divergence.ts';

describe('divergenceWarning', () => {
  it("warns when an epoch's loss exceeds 10 times the first step's", () => {
    // lr = 1e6 on tiny: the first epoch's mean is already 2.2e11, from 1.9 at the first step.
    expect(divergenceWarning([2.24e11], 1.9)).toBe(
      "the training loss diverges: epoch 1's 2.24e+11 is more than 10 times the first step's 1.90; lower " +
        'the learning rate (--set optimizer.lr=...).',
    );
  });

  it('warns when an epoch loss exceeds 10 times the lowest earlier one', () => {
    expect(divergenceWarning([2.2, 1.5, 40], 50)).toMatch(
      /^the training loss diverges: epoch 3's 40\.0 is more than 10 times epoch 2's 1\.50;/,
    );
  });

  it('stays silent for a falling or noisy loss, exactly 10 times, and references at or below 0', () => {
    expect(divergenceWarning([1.9], 2.2)).toBeUndefined();
    expect(divergenceWarning([2.2, 1.1, 0.7, 0.9], 2.5)).toBeUndefined();
    expect(divergenceWarning([1, 9.9], 1)).toBeUndefined();
    expect(divergenceWarning([1, 10])).toBeUndefined();
    expect(divergenceWarning([19], 1.9)).toBeUndefined();
    expect(divergenceWarning([0, 5], -1)).toBeUndefined();
  });
});
