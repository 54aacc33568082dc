// Staging: experiment settings, then compile-time evaluation of the network and loss into IR graphs.
export { readExperiment, asCall } from './experiment.ts';
export type { ConfigCall, ExperimentSpec, ParamSpec, ParamStep, Setting } from './experiment.ts';
export { stageGraph, EPS } from './graphs.ts';
export type { DataShape, StagedGraph } from './graphs.ts';
export type { WeightSpec, WeightInit } from './stager.ts';
export { StageError } from './values.ts';
export { inputDims, lossTerms, stageLoss } from './loss.ts';
export type { LossInput, StagedLoss } from './loss.ts';
