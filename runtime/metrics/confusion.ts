// Metrics of the confusion matrix the eval plan accumulates over a split (UPSTREAM.md §5, cityscapes and
// polyp evaluators): per class intersection, predicted and true pixels; IoU, accuracy and Dice per class.
import type { Metric, MetricFactory, SplitSums } from './metric.ts';

export const EPS = 1e-10;

/** The split's confusion matrix: rows the predicted class, columns the label (valid pixels only). */
export function confusionMatrix(split: SplitSums): number[][] {
  const flat = split.sums.get('metric.confusion');
  if (!flat) throw new Error('the evaluation plan has no confusion matrix');
  const c = split.classes;
  return Array.from({ length: c }, (_, row) => Array.from(flat.subarray(row * c, (row + 1) * c)));
}

/** Per class: predicted == label (I), predicted (P) and labelled (T) pixels. */
export function classSums(split: SplitSums): {
  intersection: number[];
  predicted: number[];
  target: number[];
} {
  const m = confusionMatrix(split);
  const classes = m.length;
  const intersection = m.map((row, c) => row[c]);
  const predicted = m.map((row) => row.reduce((a, b) => a + b, 0));
  const target = Array.from({ length: classes }, (_, k) => m.reduce((a, row) => a + row[k], 0));
  return { intersection, predicted, target };
}

/** IoU of each class: I / (P + T - I + EPS); a class absent from labels and predictions scores 0. */
export function perClassIou(split: SplitSums): number[] {
  const { intersection: i, predicted: p, target: t } = classSums(split);
  return i.map((v, c) => v / (p[c] + t[c] - v + EPS));
}

/** Dice of each class over the split: 2I / (P + T + EPS). */
export function perClassDice(split: SplitSums): number[] {
  const { intersection: i, predicted: p, target: t } = classSums(split);
  return i.map((v, c) => (2 * v) / (p[c] + t[c] + EPS));
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** mIoU over all classes, absent ones counted as 0 (upstream's cityscapes evaluator, not NaN-skipped). */
export const miou: MetricFactory = (): Metric => ({
  name: 'miou',
  finalize: (split) => ({ value: mean(perClassIou(split)), table: perClassIou(split) }),
});

/** Mean over all classes of the pixel accuracy I / (T + EPS). */
export const macc: MetricFactory = (): Metric => ({
  name: 'macc',
  finalize: (split) => {
    const { intersection, target } = classSums(split);
    const table = intersection.map((v, c) => v / (target[c] + EPS));
    return { value: mean(table), table };
  },
});

export const perClassIouMetric: MetricFactory = (): Metric => ({
  name: 'per_class_iou',
  finalize: (split) => ({ table: perClassIou(split) }),
});

export const perClassDiceMetric: MetricFactory = (): Metric => ({
  name: 'per_class_dice',
  finalize: (split) => ({ table: perClassDice(split) }),
});
