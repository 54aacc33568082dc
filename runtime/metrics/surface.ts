// HD95 and NSD (UPSTREAM.md §5: MedPy's hd95, the retinal test's NSD at tolerance 1 mm, spacing (2, 1)) from
// the surface-distance kernels (surface-kernels.ts), per image and foreground class on the GPU; only the
// per-class sums come back. Both metrics of one evaluation with the same spacing share one accumulator.
import type { Metric, MetricFactory, MetricSetup } from './metric.ts';
import { foregroundClasses } from './metric.ts';
import type { SurfaceSums } from './surface-kernels.ts';
import { SurfaceAccumulator } from './surface-kernels.ts';

/** The spacing per spatial axis: given, or 1 mm per axis. */
function spacingOf(options: Record<string, unknown>, size: number[]): number[] {
  const given = options.spacing as number[] | undefined;
  const spacing = given ?? size.map(() => 1);
  if (spacing.length !== size.length) {
    throw new Error(
      `spacing [${spacing.join(', ')}] has ${spacing.length} values but the maps have ${size.length} ` +
        'spatial axes',
    );
  }
  return spacing;
}

/** The accumulator for a spacing, with the tolerance of the evaluation's nsd (if it has one). */
function accumulatorOf(
  setup: MetricSetup,
  spacing: number[],
  tolerance: number,
): Promise<SurfaceAccumulator> {
  return setup.shared(`surface:${spacing.join(',')}:${tolerance}`, () =>
    SurfaceAccumulator.create(setup.device, {
      images: setup.batch,
      size: setup.size,
      spacing,
      classes: foregroundClasses(setup.classes),
      classCount: setup.classes,
      tolerance,
      ignore: setup.ignore,
    }),
  );
}

/** A metric over the accumulator's per-class sums: the mean over scored (image, class) pairs; NaN if none. */
function surfaceMetric(
  name: string,
  accumulator: SurfaceAccumulator,
  pick: (sums: SurfaceSums) => { sum: number; images: number }[],
): Metric {
  let read: Promise<SurfaceSums> | undefined;
  return {
    name,
    accumulate: (batch) => {
      read = undefined;
      if (!owner.has(accumulator) || owner.get(accumulator) === name) {
        owner.set(accumulator, name);
        accumulator.accumulate(batch.predicted, batch.labels);
      }
    },
    reset: () => {
      read = undefined;
      if (owner.get(accumulator) === name || !owner.has(accumulator)) accumulator.reset();
    },
    finalize: async () => {
      read ??= accumulator.read();
      const sums = pick(await read);
      const total = sums.reduce((a, s) => a + s.sum, 0);
      const images = sums.reduce((a, s) => a + s.images, 0);
      return {
        value: images > 0 ? total / images : NaN,
        table: sums.map((s) => (s.images > 0 ? s.sum / s.images : NaN)),
      };
    },
    destroy: () => accumulator.destroy(),
  };
}

/** Which metric of an evaluation runs a shared accumulator's kernels (the other only reads its sums). */
const owner = new WeakMap<SurfaceAccumulator, string>();

export const hd95: MetricFactory = async (setup) => {
  const spacing = spacingOf(setup.options, setup.size);
  // Shares nsd's kernels when the evaluation has an nsd with the same spacing.
  const nsd = setup.requests.find((r) => r.name === 'nsd');
  const nsdSpacing = nsd ? spacingOf(nsd.options ?? {}, setup.size) : undefined;
  const tolerance = nsdSpacing?.join() === spacing.join() ? Number(nsd!.options?.tolerance ?? 1) : 0;
  return surfaceMetric('hd95', await accumulatorOf(setup, spacing, tolerance), (s) => s.hd95);
};

export const nsd: MetricFactory = async (setup) => {
  const spacing = spacingOf(setup.options, setup.size);
  const tolerance = Number(setup.options.tolerance ?? 1);
  return surfaceMetric('nsd', await accumulatorOf(setup, spacing, tolerance), (s) => s.nsd);
};
