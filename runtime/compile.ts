// The compiler's driver is compiler/index.ts; the runtime and the CLI reach it through these names.
// ExperimentError is CompileError (a .seg error with the sources to render it).
export type { CompileOptions, CompiledExperiment, StagedExperiment } from '../compiler/index.ts';
export { assertFits, compileExperiment, stageExperiment } from '../compiler/index.ts';
export { CompileError as ExperimentError } from '../diagnostics/index.ts';
