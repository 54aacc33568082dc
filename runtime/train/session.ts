// runExperiment: a Trainer whose events are rendered as lines (the per-epoch log), for callers that want a
// run and its log without driving the Trainer themselves (tests, scripts).
import { Trainer } from './trainer.ts';
import type { TrainerOptions } from './trainer.ts';
import { eventLines } from './events.ts';
import type { RunSummary } from './events.ts';

export type { EpochRecord, RunSummary } from './events.ts';
export { BEST_MODEL_FILE, MODEL_FILE } from '../checkpoint/run-folder.ts';
export { RunError } from '../errors.ts';
export { unpredictedWarning } from './trainer.ts';

export interface RunOptions extends TrainerOptions {
  /** Receives each line of the run's log (none when absent). */
  log?: (line: string) => void;
}

/** Compiles `file` for the opened device (kernels are tuned per adapter kind), then trains and evaluates. */
export async function runExperiment(file: string, options: RunOptions = {}): Promise<RunSummary> {
  const { log, ...rest } = options;
  const trainer = new Trainer(file, rest);
  if (log) trainer.on((event) => eventLines(event).forEach(log));
  return trainer.run();
}
