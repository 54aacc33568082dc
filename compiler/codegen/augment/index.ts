// Augmentation on the GPU: a transform list as WGSL stages (pipeline.ts, kernels.ts).
export type { AugmentKernel, AugmentStage, Border, Sampling } from './kernels.ts';
export { PARAMS_PER_SAMPLE, augmentKernel } from './kernels.ts';
export type { AugmentPipeline, Resample, StageDraw } from './pipeline.ts';
export { gaussianWeights, stageKernels } from './elastic.ts';
export { AugmentError, augmentPipeline, declaredSource, evalSizeOf } from './pipeline.ts';
export type { VolumeStage } from './volume.ts';
export {
  MAP_KERNEL,
  SCALE_KERNEL,
  STATS_KERNEL,
  VOLUME_PARAMS,
  VOLUME_TRANSFORMS,
  VOLUME_WORKGROUP,
  ZSCORE_KERNEL,
  volumePipeline,
} from './volume.ts';
