// The catalogue of configuration signatures: every dataset, transform, optimizer, schedule and metric an
// experiment may name, with its options and their types, and the keys of the train, eval and test sections.
// `segc check` validates an experiment's settings against it (checkSettings); whether this version can *run*
// a declared entry is a separate question (run.ts, `unavailable`). docs/catalogue.md is
// generated from this table.
//
// The catalogue is split by concept: types.ts (types and their constructors), data.ts (datasets, transforms,
// statistics), training.ts (optimizers, schedules, metrics), table.ts (the whole table, look-ups, section
// keys), describe.ts (types in words) and check.ts (the checker). This file is the entry point: import from
// it.
export type {
  ConfigCall,
  DeclaredShape,
  Entry,
  Family,
  Param,
  ParamStep,
  Setting,
  SumKind,
  Type,
} from './types.ts';
export { asCall } from './types.ts';
export {
  CATALOGUE,
  CONSTRUCTORS,
  EVAL_KEYS,
  LIBRARY_NAMES,
  SECTION_KEYS,
  TEST_KEYS,
  TRAIN_KEYS,
  defaultOf,
  entries,
  findEntry,
} from './table.ts';
export { describeType } from './describe.ts';
export { RUNNABLE_TRANSFORMS } from './data.ts';
export type { Normalization } from './normalize.ts';
export { finalNormalization, normalizationOf } from './normalize.ts';
export { isBetter, metricDirection } from './training.ts';
export type { CheckedSettings } from './check.ts';
export {
  callOptions,
  checkSettings,
  declaredShape,
  defaultFits,
  optionProblems,
  withDefaults,
} from './check.ts';
export type { Override, RunConfig, RunSettings } from './run.ts';
export { METRICS, parseOverride, readRunConfig, stepParams, unavailable } from './run.ts';
export type { GroupSpec, OptimizerConfig, ScheduleSpec } from './optimizer.ts';
export { readOptimizer, readSchedule } from './optimizer.ts';
export type { Assignment, WeightInfo } from './groups.ts';
export { assignGroups } from './groups.ts';
