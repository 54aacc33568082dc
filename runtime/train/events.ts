// What a Trainer tells whoever drives it: typed events (the CLI renders them as progress or lines, a sweep
// as its own progress, a test collects them), and the records a run keeps per epoch.
import type { Override } from '../../compiler/index.ts';
import type { Evaluation } from './evaluate.ts';

export interface EpochRecord {
  epoch: number;
  lr: number;
  /** The param values this epoch trained with. */
  params: Record<string, number>;
  train: Record<string, number>;
  val?: Evaluation;
  seconds: number;
  /**
   * The first epoch a process trains: seconds to its first step (plans, pipelines, the first step with any
   * compilation at first use), also counted in `seconds`.
   */
  compileSeconds?: number;
}

/** Time to the first step, apart from the epochs' time: what a cold shader cache costs. */
export interface CompileTimes {
  /** Distinct kernels of the training and evaluation plans. */
  kernels: number;
  /** Staging, autodiff, passes and WGSL generation. */
  planSeconds: number;
  /** Creating the device's pipelines (in parallel, each distinct kernel once). */
  pipelineSeconds: number;
  /** The first training step, submitted to done (drivers that compile at first use do it here). */
  firstStepSeconds: number;
  /**
   * Bytes of the GPU buffers the loaded plans hold: weights, states and optimizer moments, the activations'
   * arenas (the memory plan) and the buffers of their own (inputs, accumulators, read-back tensors).
   */
  bufferBytes: number;
}

export interface RunSummary {
  experiment: string;
  device: string;
  epochs: EpochRecord[];
  final?: EpochRecord['val'];
  /** The epoch with the best selected metric, and every metric it reached. */
  best?: { epoch: number; metric: string; value: number; values: Record<string, number> };
  wallSeconds: number;
  out: string;
  /** What the run noticed that a user should know (a class the model never predicts). */
  warnings?: string[];
  /** The test of the selected model after training (`test { after_training = true }`). */
  test?: Evaluation & { split: string };
  /** The bad files left out with the dataset option on_error = "skip", each once. */
  skipped?: { count: number; files: { file: string; message: string }[] };
  /** Time to the first step of this (part of the) run; the first epoch's `seconds` include the first step. */
  compile?: CompileTimes;
}

export type TrainerEvent =
  /** The device is open and the plans are loaded; training starts at epoch `first` (0 unless resumed). */
  | {
      type: 'start';
      experiment: string;
      device: string;
      software: boolean;
      out: string;
      epochs: number;
      steps: number;
      first: number;
    }
  /**
   * The plans' `kernels` distinct kernels are being compiled: their pipelines are created, and drivers that
   * compile at first use (lavapipe) do so in the first step, which follows.
   */
  | { type: 'compile'; kernels: number }
  /** The first training step is done: how long plans, pipelines and that step took (compilation included). */
  | ({ type: 'compiled' } & CompileTimes)
  /** A resumed run continues after `epoch` with the `--set` overrides it was started with (`kept`). */
  | {
      type: 'resume';
      experiment: string;
      out: string;
      epoch: number;
      step: number;
      kept: Record<string, Override>;
    }
  /** A training step was submitted; `terms` are the epoch's running means when live terms were asked for. */
  | {
      type: 'step';
      epoch: number;
      step: number;
      steps: number;
      images: number;
      terms?: Record<string, number>;
    }
  | { type: 'evaluation'; epoch: number; evaluation: Evaluation }
  | { type: 'epoch'; record: EpochRecord; epochs: number; metrics: string[] }
  | { type: 'checkpoint'; epoch: number; files: string[] }
  /** A param's step schedule changed its value for the next epoch. */
  | { type: 'param'; name: string; from: number; to: number }
  | { type: 'warning'; message: string }
  /** A line of the test that runs after training (`test { after_training = true }`). */
  | { type: 'test'; line: string }
  | { type: 'end'; summary: RunSummary };

export type TrainerListener = (event: TrainerEvent) => void;

/** An override as it is written after `--set key=`. */
export function formatOverride(value: Override): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'object') return value.symbol;
  return String(value);
}

/** The line an epoch is reported with when no live progress is shown. */
export function epochLine(record: EpochRecord, epochs: number, metrics: string[]): string {
  const f = (v: number) => v.toFixed(4);
  const terms = Object.entries(record.train)
    .map(([k, v]) => `${k} ${f(v)}`)
    .join('  ');
  const val = record.val
    ? `  | val ${metrics
        .filter((m) => record.val!.values[m] !== undefined)
        .map((m) => `${m} ${f(record.val!.values[m])}`)
        .join('  ')}`
    : '';
  return (
    `epoch ${record.epoch}/${epochs}  lr ${record.lr.toExponential(2)}  ${terms}${val}  ` +
    `(${record.seconds.toFixed(1)} s)`
  );
}

/**
 * The plain-text lines of an event (none for events shown only by a live display): what `segc run` prints
 * when stderr is not a terminal, and what runExperiment's `log` receives.
 */
export function eventLines(event: TrainerEvent): string[] {
  switch (event.type) {
    case 'start': {
      const software = event.software ? ' (software)' : '';
      return [`segc: ${event.experiment} on ${event.device}${software}, output in ${event.out}`];
    }
    case 'resume': {
      const kept = Object.entries(event.kept);
      const shown = kept.map(([key, value]) => `--set ${key}=${formatOverride(value)}`).join(' ');
      return [
        ...(kept.length > 0 ? [`segc: the run's settings are kept: ${shown}`] : []),
        `segc: resuming ${event.experiment} after epoch ${event.epoch} (step ${event.step}) ` +
          `from ${event.out}`,
      ];
    }
    case 'epoch':
      return [epochLine(event.record, event.epochs, event.metrics)];
    case 'param':
      return [`  ${event.name} ${event.from} -> ${event.to} (step schedule)`];
    case 'warning':
      return [`segc: warning: ${event.message}`];
    case 'compile':
      return [`segc: compiling ${event.kernels} kernels...`];
    case 'compiled': {
      const f = (v: number) => v.toFixed(1);
      return [
        `segc: first step after ${f(event.planSeconds + event.pipelineSeconds + event.firstStepSeconds)} s ` +
          `(plans ${f(event.planSeconds)} s, pipelines ${f(event.pipelineSeconds)} s, first step ` +
          `${f(event.firstStepSeconds)} s; ${(event.bufferBytes / 2 ** 20).toFixed(0)} MiB of GPU buffers)`,
      ];
    }
    case 'test':
      return [event.line];
    default:
      return [];
  }
}
