// The run configuration is derived from the experiment schema in the compiler's config phase
// (compiler/config/run.ts); re-exported here for the training code.
export type { Override, RunConfig } from '../../compiler/index.ts';
export { parseOverride, readRunConfig, stepParams, unavailable } from '../../compiler/index.ts';
