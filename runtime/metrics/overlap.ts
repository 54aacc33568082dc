// Dice: over the split (polyp, UPSTREAM.md §5: dataset sums, mean over the foreground classes) and per image
// (retinal: thresholded probabilities, EPS in numerator and denominator, mean over images and channels).
import { perClassDice } from './confusion.ts';
import type { Metric, MetricFactory } from './metric.ts';
import { foregroundClasses } from './metric.ts';

/** Foreground Dice of the split: the mean over classes 1..C-1 of 2I / (P + T + EPS). */
export const dice: MetricFactory = (): Metric => ({
  name: 'dice',
  finalize: (split) => {
    const table = perClassDice(split);
    const foreground = foregroundClasses(split.classes, split.multilabel).map((c) => table[c]);
    return { value: foreground.reduce((a, b) => a + b, 0) / foreground.length, table };
  },
});

/**
 * The mean over images (with a valid pixel) and foreground channels of each image's Dice (the plan sums it
 * per channel: compiler/stage/metrics.ts); a multiclass network's background channel is left out.
 */
export const dicePerImage: MetricFactory = (): Metric => ({
  name: 'dice_per_image',
  finalize: (split) => {
    const sums = split.sums.get('metric.dice_per_image');
    const scored = split.sums.get('metric.images_scored');
    const images = scored?.[0] ?? 0;
    if (!sums) throw new Error('the evaluation plan has no per-image Dice');
    if (split.multilabel) {
      // Every channel, each over the images with a valid pixel in it (all of them unless masks ignore some).
      const table = Array.from(sums, (sum, c) => (scored![c] > 0 ? sum / scored![c] : NaN));
      const value = images > 0 ? table.reduce((a, b) => a + b, 0) / table.length : NaN;
      return { value, table };
    }
    const channels = split.binary ? [0] : foregroundClasses(split.classes);
    const table = channels.map((c) => (images > 0 ? sums[c] / images : NaN));
    const value = images > 0 ? table.reduce((a, b) => a + b, 0) / table.length : NaN;
    // The table has a slot per class (background: NaN, it is not scored).
    const perClass = Array.from({ length: split.classes }, (_, c) =>
      split.binary ? (c === 1 ? table[0] : NaN) : c === 0 ? NaN : table[c - 1],
    );
    return { value, table: perClass };
  },
});
