// The evaluation graph's metric sums: what each metric of the catalogue needs the GPU to accumulate over a
// split (runtime/metrics/ finalizes them). A metric's catalogue entry names the sums it reads (`sums`); each
// kind of sum is staged once, however many metrics read it. Sums are outputs of the eval plan's accumulator.
import type { GraphBuilder } from '../ir/builder.ts';
import { entries } from '../config/index.ts';
import type { SumKind } from '../config/index.ts';

export type { SumKind } from '../config/index.ts';

/**
 * Which sums each metric of the catalogue reads (runtime/metrics/registry.ts finalizes them); the surface
 * metrics (hd95, nsd) run their own kernels (distance transforms) on the predicted class map.
 */
export const METRIC_SUMS: Record<string, SumKind[]> = Object.fromEntries(
  entries('metric').flatMap((e) => (e.sums ? [[e.name, e.sums]] : [])),
);

/** A metric as the evaluation asks for it: its catalogue name and options (defaults filled in). */
export interface MetricRequest {
  name: string;
  options?: Record<string, unknown>;
}

export interface MetricInputs {
  /** The network's logits [N, C, H, W] (C = 1: binary mode) and the labels [N, H, W] (u8). */
  logits: number;
  labels: number;
  classes: number;
  ignore: number;
  /**
   * Each pixel's predicted class (argmax, or logit > 0 in binary mode), [N, H, W]; for multilabel masks
   * ([N, C, H, W] labels), each channel's 0/1 (logit > 0), [N, C, H, W].
   */
  predicted: number;
  multilabel?: boolean;
}

export const EPS = 1e-10;

/**
 * Stages the sums the requested metrics read (always the confusion matrix and the proportion error, which
 * the run's summary reports) and returns the names of the accumulated outputs. `prediction` is not a sum: it
 * is the class map as a 'tensor' output, which the surface metrics read on the GPU after each batch.
 */
export function stageMetricSums(b: GraphBuilder, inputs: MetricInputs, requests: MetricRequest[]): string[] {
  const kinds = new Set<SumKind>(['confusion', 'proportion_error']);
  for (const r of requests) for (const kind of METRIC_SUMS[r.name] ?? []) kinds.add(kind);
  const outputs: string[] = [];
  const n = (op: string, operands: number[], attrs = {}) => b.add(op, operands, attrs);
  const { labels, classes } = inputs;
  const spatial = spatialDims(b, labels);
  const valid = n('valid', [labels], { ignore: inputs.ignore });
  const multilabel = inputs.multilabel === true;
  // Multilabel: every channel is its own two-class problem; its 0/1 prediction and mask (0 where ignored).
  const predicted = multilabel
    ? n('mul', [inputs.predicted, valid])
    : n('mul', [n('onehot', [inputs.predicted], { dim: 'C', size: classes }), valid]);
  const target = multilabel
    ? n('eq', [labels, b.constant(1)])
    : n('onehot', [labels], { dim: 'C', size: classes });
  if (kinds.has('confusion') && multilabel) {
    // Per channel: predicted and true positives, their overlap, and the valid pixels ([C] each): the
    // channel's two-by-two confusion matrix (runtime/metrics/confusion.ts).
    const over = { axes: ['N', ...spatial] };
    b.output('metric.channel_overlap', n('sum', [n('mul', [predicted, target])], over));
    b.output('metric.channel_predicted', n('sum', [predicted], over));
    b.output('metric.channel_target', n('sum', [target], over));
    b.output('metric.channel_valid', n('sum', [valid], over));
    outputs.push('metric.channel_overlap', 'metric.channel_predicted', 'metric.channel_target');
    outputs.push('metric.channel_valid');
  } else if (kinds.has('confusion')) {
    // confusion[c][k]: valid pixels predicted c whose label is k (UPSTREAM.md §5: histograms over the split).
    const truth = n('onehot', [labels], { dim: 'K', size: classes });
    b.output('metric.confusion', n('sum', [n('mul', [predicted, truth])], { axes: ['N', ...spatial] }));
    outputs.push('metric.confusion');
  }
  if (kinds.has('proportion_error')) {
    const pixels = n('add', [n('sum', [valid], { axes: spatial }), b.constant(EPS)]);
    const proportion = (x: number) =>
      n('div', [n('add', [n('sum', [x], { axes: spatial }), b.constant(EPS)]), pixels]);
    const error = n('abs', [n('sub', [proportion(predicted), proportion(target)])]);
    b.output('metric.proportion_error', n('sum', [error], { axes: ['N', 'C'] }));
    outputs.push('metric.proportion_error');
  }
  if (kinds.has('dice_per_image')) {
    const request = requests.find((r) => r.name === 'dice_per_image');
    const threshold = Number(request?.options?.threshold ?? 0.5);
    outputs.push(...stageDicePerImage(b, inputs, valid, target, threshold));
  }
  return outputs;
}

/**
 * Retinal Dice (UPSTREAM.md §5): per image and channel, (2·Σ p·t + EPS) / (Σ p + Σ t + EPS) of the
 * probabilities thresholded at `threshold` (sigmoid in binary mode, softmax otherwise), ignored pixels left
 * out; summed over the images that have a valid pixel (padding slots of the last batch have none), with
 * their count. Per channel: the runtime drops the background channel of a multiclass network.
 */
function stageDicePerImage(
  b: GraphBuilder,
  inputs: MetricInputs,
  valid: number,
  target: number,
  threshold: number,
): string[] {
  const n = (op: string, operands: number[], attrs = {}) => b.add(op, operands, attrs);
  const spatial = spatialDims(b, inputs.labels);
  const logits = inputs.logits;
  const channels = b.type(logits).dims.find((d) => d.name === 'C')!.size;
  let positive: number;
  let truth: number;
  if (channels === 1 || inputs.multilabel) {
    // sigmoid(x) > t exactly where x > log(t / (1 - t)).
    const cut = threshold <= 0 ? -3.4e38 : threshold >= 1 ? 3.4e38 : Math.log(threshold / (1 - threshold));
    positive = n('gt', [logits, b.constant(cut)]);
    // Binary: the foreground is class 1 (an ignored label is not); multilabel: each channel's mask.
    truth = inputs.multilabel ? target : n('eq', [inputs.labels, b.constant(1)]);
  } else {
    const shifted = n('sub', [logits, n('max', [logits], { axes: ['C'] })]);
    const e = n('exp', [shifted]);
    const probability = n('div', [e, n('sum', [e], { axes: ['C'] })]);
    positive = n('gt', [probability, b.constant(threshold)]);
    truth = target;
  }
  const p = n('mul', [positive, valid]);
  const overlap = n('sum', [n('mul', [p, truth])], { axes: spatial });
  const sizes = n('add', [n('sum', [p], { axes: spatial }), n('sum', [truth], { axes: spatial })]);
  const dice = n('div', [
    n('add', [n('mul', [overlap, b.constant(2)]), b.constant(EPS)]),
    n('add', [sizes, b.constant(EPS)]),
  ]);
  const scored = n('gt', [n('sum', [valid], { axes: spatial }), b.constant(0)]);
  b.output('metric.dice_per_image', n('sum', [n('mul', [dice, scored])], { axes: ['N'] }));
  b.output('metric.images_scored', n('sum', [scored], { axes: ['N'] }));
  return ['metric.dice_per_image', 'metric.images_scored'];
}

/** The labels' spatial dims ([H, W] or [D, H, W]). */
function spatialDims(b: GraphBuilder, labels: number): string[] {
  return b
    .type(labels)
    .dims.map((d) => d.name)
    .filter((name) => name !== 'N' && name !== 'C');
}
