// Evaluation metrics from the sums the eval kernels accumulate over a split (UPSTREAM.md §5, polyp/cityscapes
// style: dataset-level Dice and IoU), plus the mean absolute error of per-image class proportions.

export interface MetricSums {
  intersection: Float64Array; // per class: predicted == label
  predicted: Float64Array; // per class: predicted pixels (valid only)
  target: Float64Array; // per class: label pixels
  proportionError: number; // sum over images and classes of |predicted - true proportion|
  images: number;
  /** Multilabel masks: each channel's valid pixels (every channel is scored, a share is of its pixels). */
  valid?: Float64Array;
}

export interface Metrics {
  /** Mean over foreground classes (1..C-1) of 2I / (P + T + 1e-10). */
  dice: number;
  dicePerClass: number[];
  /** Foreground classes present in the labels that were never predicted (the run may be stuck on them). */
  unpredicted: number[];
  /** Mean over all classes of I / (P + T - I + 1e-10); an absent class counts as 0. */
  miou: number;
  /** Mean over images and classes of |predicted proportion - true proportion| (argmax predictions). */
  proportion_error: number;
  /** Each class's share of the split's valid pixels: predicted (argmax) and labelled (the paper's bias). */
  proportions: { predicted: number[]; target: number[] };
}

const EPS = 1e-10;

export function computeMetrics(sums: MetricSums): Metrics {
  if (sums.valid) return channelMetrics(sums, sums.valid);
  const classes = sums.intersection.length;
  const dicePerClass: number[] = [];
  const unpredicted: number[] = [];
  let iou = 0;
  for (let c = 0; c < classes; c++) {
    const i = sums.intersection[c];
    const p = sums.predicted[c];
    const t = sums.target[c];
    if (c > 0) dicePerClass.push((2 * i) / (p + t + EPS));
    if (c > 0 && t > 0 && p === 0) unpredicted.push(c);
    iou += i / (p + t - i + EPS);
  }
  const foreground =
    dicePerClass.length > 0
      ? dicePerClass
      : [(2 * sums.intersection[0]) / (sums.predicted[0] + sums.target[0] + EPS)];
  return {
    dice: foreground.reduce((a, b) => a + b, 0) / foreground.length,
    dicePerClass,
    unpredicted,
    miou: iou / classes,
    proportion_error: sums.proportionError / Math.max(1, sums.images * classes),
    proportions: { predicted: shares(sums.predicted), target: shares(sums.target) },
  };
}

/** computeMetrics for multilabel masks: every channel a foreground, its shares of its own valid pixels. */
function channelMetrics(sums: MetricSums, valid: Float64Array): Metrics {
  const channels = Array.from(sums.intersection.keys());
  const { intersection: i, predicted: p, target: t } = sums;
  const dicePerClass = channels.map((c) => (2 * i[c]) / (p[c] + t[c] + EPS));
  const iou = channels.map((c) => i[c] / (p[c] + t[c] - i[c] + EPS));
  const share = (counts: Float64Array) => channels.map((c) => (valid[c] > 0 ? counts[c] / valid[c] : 0));
  return {
    dice: dicePerClass.reduce((a, b) => a + b, 0) / Math.max(1, channels.length),
    dicePerClass,
    unpredicted: channels.filter((c) => t[c] > 0 && p[c] === 0),
    miou: iou.reduce((a, b) => a + b, 0) / Math.max(1, channels.length),
    proportion_error: sums.proportionError / Math.max(1, sums.images * channels.length),
    proportions: { predicted: share(p), target: share(t) },
  };
}

/** Each entry's share of the total (all 0 when the total is 0). */
function shares(counts: Float64Array): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return Array.from(counts, (n) => (total > 0 ? n / total : 0));
}
