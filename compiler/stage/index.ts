// Staging: experiment settings, then compile-time evaluation of the network and loss into IR graphs.
export { readExperiment, asCall } from './experiment.ts';
export type { ConfigCall, ExperimentSpec, ParamSpec, ParamStep, Setting } from './experiment.ts';
export { stageGraph, EPS } from './graphs.ts';
export type { DataShape, StagedForward, StagedGraph } from './graphs.ts';
export { stageDeclared } from './declared.ts';
export type { WeightSpec, WeightInit, WeightSource } from './stager.ts';
export { StageError } from './values.ts';
export { MAX_SWEEP_RUNS } from './sweep.ts';
export type { SweepAxis, SweepSpec, SweepVariant } from './sweep.ts';
export { inputDims, lossTerms, stageLoss } from './loss.ts';
export type { LossInput, StagedLoss, StagedLossForward } from './loss.ts';
export { checkDefinitions } from './check-definitions.ts';
export type { MetricRequest } from './metrics.ts';
