// Metrics from accumulated sums, against hand-derived values, and the warning for a class never predicted.
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '../../runtime/metrics/index.ts';
import { unpredictedWarning } from '../../runtime/train/session.ts';

const sums = (intersection: number[], predicted: number[], target: number[]) => ({
  intersection: Float64Array.from(intersection),
  predicted: Float64Array.from(predicted),
  target: Float64Array.from(target),
  proportionError: 0.6,
  images: 2,
});

describe('computeMetrics', () => {
  it('gives dataset-level Dice per foreground class, mIoU over all classes and the proportion error', () => {
    // class 0: I 80, P 90, T 85; class 1: I 6, P 8, T 10; class 2: I 0, P 2, T 5.
    const m = computeMetrics(sums([80, 6, 0], [90, 8, 2], [85, 10, 5]));
    expect(m.dicePerClass[0]).toBeCloseTo(12 / 18, 9);
    expect(m.dicePerClass[1]).toBeCloseTo(0, 9);
    expect(m.dice).toBeCloseTo(6 / 18, 9);
    expect(m.miou).toBeCloseTo((80 / 95 + 6 / 12 + 0) / 3, 9);
    expect(m.proportion_error).toBeCloseTo(0.6 / 6, 9);
    expect(m.unpredicted).toEqual([]);
    // Class shares of the valid pixels: predicted 90/100, 8/100, 2/100; labels 85/100, 10/100, 5/100.
    expect(m.proportions.predicted.map((v) => +v.toFixed(12))).toEqual([0.9, 0.08, 0.02]);
    expect(m.proportions.target.map((v) => +v.toFixed(12))).toEqual([0.85, 0.1, 0.05]);
  });

  it('lists foreground classes in the labels that were never predicted, not absent ones', () => {
    // class 1 in the labels, never predicted; class 2 absent from labels and predictions; class 3 predicted.
    const m = computeMetrics(sums([90, 0, 0, 1], [98, 0, 0, 2], [88, 7, 0, 5]));
    expect(m.unpredicted).toEqual([1]);
    expect(m.dicePerClass).toEqual([0, 0, expect.closeTo(2 / 7, 9)]);
  });
});

describe('unpredictedWarning', () => {
  const evaluation = (unpredicted: number[]) => ({ values: {}, dicePerClass: [], unpredicted });

  it('names the classes and what can help', () => {
    expect(unpredictedWarning(evaluation([1]))).toBe(
      'class 1 is in the validation labels but never predicted (Dice 0): the run may be stuck on it; more ' +
        'epochs, a larger learning rate (--set optimizer.lr=...) or another seed (--set train.seed=...) can help.',
    );
    expect(unpredictedWarning(evaluation([1, 3]))).toMatch(/^classes 1, 3 are in the validation labels/);
  });

  it('says nothing when every class was predicted', () => {
    expect(unpredictedWarning(evaluation([]))).toBeUndefined();
  });
});
