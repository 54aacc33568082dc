// The metrics by catalogue name (compiler/config/training.ts declares them, with their options, direction
// and the sums the eval plan accumulates for them). A new metric: its implementation file here, a row below
// and its catalogue entry (docs/architecture.md).
import { macc, miou, perClassDiceMetric, perClassIouMetric } from './confusion.ts';
import type { Metric, MetricFactory, MetricSetup } from './metric.ts';
import { dice, dicePerImage } from './overlap.ts';
import { proportionError } from './proportion.ts';
import { hd95, nsd } from './surface.ts';

export const METRIC_IMPLEMENTATIONS: Record<string, MetricFactory> = {
  dice,
  miou,
  macc,
  per_class_iou: perClassIouMetric,
  per_class_dice: perClassDiceMetric,
  proportion_error: proportionError,
  dice_per_image: dicePerImage,
  hd95,
  nsd,
};

/** The metrics of an evaluation, created once per evaluation plan (GPU resources kept between splits). */
export async function createMetrics(
  requests: { name: string; options?: Record<string, unknown> }[],
  setup: Omit<MetricSetup, 'options' | 'requests' | 'shared'>,
): Promise<Metric[]> {
  const shared = new Map<string, Promise<unknown>>();
  const common = {
    ...setup,
    requests,
    shared: <T>(key: string, create: () => Promise<T>) => {
      if (!shared.has(key)) shared.set(key, create());
      return shared.get(key) as Promise<T>;
    },
  };
  const metrics: Metric[] = [];
  for (const request of requests) {
    const factory = METRIC_IMPLEMENTATIONS[request.name];
    if (!factory) throw new Error(`no implementation of the metric '${request.name}'`);
    metrics.push(await factory({ ...common, options: request.options ?? {} }));
  }
  return metrics;
}
