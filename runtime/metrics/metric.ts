// The Metric seam: a metric of the catalogue (compiler/config/training.ts) as the evaluation runs it. The
// eval plan accumulates the sums a metric reads (compiler/stage/metrics.ts, METRIC_SUMS) on the GPU; a
// metric may also encode its own kernels after each batch (accumulate: the class map and labels never leave
// the GPU); finalize turns what was accumulated over the split into a value or a per-class table.

/** What the evaluation accumulated over a split, read back once. */
export interface SplitSums {
  /** The eval plan's sums by output name (`metric.confusion`, `metric.proportion_error`, ...). */
  sums: Map<string, Float64Array>;
  /** Real images evaluated (padding slots excluded). */
  images: number;
  /** Classes of the data (2 in binary mode). */
  classes: number;
  /** Binary mode: a one-channel network (sigmoid), class 1 the foreground. */
  binary: boolean;
  /** Multilabel masks: `classes` channels, each its own two-class problem (all of them scored). */
  multilabel?: boolean;
}

/** A metric's result: a scalar (what `eval.select` and the logs read) and/or a table, one value per class. */
export interface MetricValue {
  value?: number;
  table?: number[];
}

/** One evaluated batch as it lies on the GPU. */
export interface EvaluatedBatch {
  /** Each pixel's predicted class, f32 [N, ...size]. */
  predicted: GPUBuffer;
  /** The labels, u8 [N, ...size] packed four to a word. */
  labels: GPUBuffer;
}

export interface Metric {
  readonly name: string;
  /** Encodes GPU work for one evaluated batch (surface metrics); most metrics read the plan's sums only. */
  accumulate?(batch: EvaluatedBatch): void;
  /** Called before a split is evaluated (clears what accumulate gathered). */
  reset?(): void;
  finalize(split: SplitSums): MetricValue | Promise<MetricValue>;
  /** Frees GPU resources. */
  destroy?(): void;
}

/** What a metric is created from. */
export interface MetricSetup {
  device: GPUDevice;
  /** The metric's options as the catalogue resolves them (defaults filled in). */
  options: Record<string, unknown>;
  /** Every metric of the evaluation with its options (metrics that can share GPU work find each other). */
  requests: { name: string; options?: Record<string, unknown> }[];
  classes: number;
  binary: boolean;
  multilabel?: boolean;
  /** Images per batch and the spatial size of a batch's maps ([H, W] or [D, H, W]). */
  batch: number;
  size: number[];
  ignore: number;
  /** One object per key for the whole evaluation (GPU work two metrics share). */
  shared<T>(key: string, create: () => Promise<T>): Promise<T>;
}

export type MetricFactory = (setup: MetricSetup) => Metric | Promise<Metric>;

/**
 * The foreground classes a per-class metric averages over: 1..C-1 (class 1 alone in binary mode); every
 * channel of multilabel masks.
 */
export function foregroundClasses(classes: number, multilabel = false): number[] {
  if (multilabel) return Array.from({ length: classes }, (_, c) => c);
  return classes > 1 ? Array.from({ length: classes - 1 }, (_, i) => i + 1) : [0];
}
