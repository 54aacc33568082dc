// The run configuration is derived from the experiment schema in the compiler's config phase
// (compiler/config/run.ts); re-exported here for the training code.
export * from '../../compiler/config/run.ts';
