// The codegen phase's entry point: the Plan a graph becomes (emitPlan, with the kernels fusion chose), the
// optimizers' update kernels (updates/), and checking a Plan against a device's limits (limits.ts).
export type { BufferRole, Plan, PlanBuffer, PlanKernel, PlanOptions, PlanOutput } from './plan.ts';
export { OWN_BINDINGS, STORAGE_BUFFERS_WITHOUT_DEVICE, describeNode, emitPlan } from './plan.ts';
export type { PlanLimits } from './limits.ts';
export { WEBGPU_DEFAULT_LIMITS, formatBytes, planLimits, validatePlan } from './limits.ts';
export type { OptimizerPlan, OptimizerSettings, UpdateRule } from './updates/index.ts';
export {
  APPLY_UNIFORM,
  UPDATES,
  decayUniform,
  lrUniform,
  optimizerPlanOf,
  updateUniforms,
} from './updates/index.ts';
export { GRADIENT, UPDATE } from './kinds/update.ts';
export type { AugmentPipeline, AugmentStage, Resample, StageDraw } from './augment/index.ts';
export {
  AugmentError,
  PARAMS_PER_SAMPLE,
  augmentKernel,
  augmentPipeline,
  declaredSource,
  evalSizeOf,
  gaussianWeights,
  stageKernels,
} from './augment/index.ts';
export type { VolumeStage } from './augment/index.ts';
export {
  MAP_KERNEL,
  SCALE_KERNEL,
  STATS_KERNEL,
  VOLUME_PARAMS,
  VOLUME_TRANSFORMS,
  VOLUME_WORKGROUP,
  ZSCORE_KERNEL,
  volumePipeline,
} from './augment/index.ts';
