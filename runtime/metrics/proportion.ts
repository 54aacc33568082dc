// The paper's bias measure: the mean over images and classes of |predicted - true class proportion|, the
// proportions of each image's valid pixels (argmax predictions), summed per batch on the GPU.
import type { Metric, MetricFactory } from './metric.ts';

export const proportionError: MetricFactory = (): Metric => ({
  name: 'proportion_error',
  finalize: (split) => {
    const sum = split.sums.get('metric.proportion_error')?.[0] ?? 0;
    return { value: sum / Math.max(1, split.images * split.classes) };
  },
});
