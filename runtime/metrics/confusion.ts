// Metrics of the confusion matrix the eval plan accumulates over a split (UPSTREAM.md §5, cityscapes and
// polyp evaluators): per class intersection, predicted and true pixels; IoU, accuracy and Dice per class.
import type { Metric, MetricFactory, SplitSums } from './metric.ts';

export const EPS = 1e-10;

/**
 * The split's confusion matrix: rows the predicted class, columns the label (valid pixels only). Multilabel
 * masks: a row per channel, its two-by-two matrix as [true negatives, false negatives, false positives, true
 * positives] (predicted 0 then 1, each against label 0 then 1).
 */
export function confusionMatrix(split: SplitSums): number[][] {
  if (split.multilabel) {
    const { overlap, predicted, target, valid } = channelSums(split);
    return overlap.map((tp, c) => {
      const [fp, fn] = [predicted[c] - tp, target[c] - tp];
      return [valid[c] - tp - fp - fn, fn, fp, tp];
    });
  }
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
  if (split.multilabel) {
    const { overlap, predicted, target } = channelSums(split);
    return { intersection: overlap, predicted, target };
  }
  const m = confusionMatrix(split);
  const classes = m.length;
  const intersection = m.map((row, c) => row[c]);
  const predicted = m.map((row) => row.reduce((a, b) => a + b, 0));
  const target = Array.from({ length: classes }, (_, k) => m.reduce((a, row) => a + row[k], 0));
  return { intersection, predicted, target };
}

/** Multilabel masks: per channel, the positives predicted, labelled and both, and the valid pixels. */
function channelSums(split: SplitSums): Record<'overlap' | 'predicted' | 'target' | 'valid', number[]> {
  const get = (name: string) => {
    const sums = split.sums.get(`metric.channel_${name}`);
    if (!sums) throw new Error('the evaluation plan has no per-channel sums');
    return Array.from(sums);
  };
  return { overlap: get('overlap'), predicted: get('predicted'), target: get('target'), valid: get('valid') };
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
