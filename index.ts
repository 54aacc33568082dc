// The segc library, as the package exports it (`import { compileExperiment, Trainer } from 'segc'`): compile an
// experiment without a device, train it (a Trainer emitting events, or runExperiment printing the epoch lines),
// compute a loss's gradients, and the errors they throw. The one place that names the modules behind the API:
// when one moves, only its line here changes.
export { compileExperiment, stageExperiment } from './compiler/index.ts';
export type { CompileOptions, CompiledExperiment, StagedExperiment } from './compiler/index.ts';
export { Trainer } from './runtime/train/trainer.ts';
export type { TrainerOptions } from './runtime/train/trainer.ts';
export type { EpochRecord, RunSummary, TrainerEvent, TrainerListener } from './runtime/train/events.ts';
export { runExperiment } from './runtime/train/session.ts';
export type { RunOptions } from './runtime/train/session.ts';
export { MODEL_FILE, BEST_MODEL_FILE } from './runtime/checkpoint/run-folder.ts';
export { RunError } from './runtime/errors.ts';
export { computeGrad } from './runtime/grad.ts';
export type { GradOptions } from './runtime/grad.ts';
export {
  CompileError,
  CompileError as ExperimentError,
  InternalError,
  renderDiagnostics,
} from './diagnostics/index.ts';
export type { Diagnostic } from './diagnostics/index.ts';
