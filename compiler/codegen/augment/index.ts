// Augmentation on the GPU: a transform list as WGSL stages (pipeline.ts, kernels.ts).
export type { AugmentKernel, AugmentStage, Border, Sampling } from './kernels.ts';
export { PARAMS_PER_SAMPLE, augmentKernel } from './kernels.ts';
export type { AugmentPipeline, Resample, StageDraw } from './pipeline.ts';
export { gaussianWeights, stageKernels } from './elastic.ts';
export { AugmentError, augmentPipeline } from './pipeline.ts';
