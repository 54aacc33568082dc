// Runs an augmentation pipeline on the device: the uploaded u8 batch goes through each stage's kernel
// (compiler/codegen/augment/) and the last stage writes the training plan's input buffers (image and labels,
// u8), before the step reads them. Only the few per-sample parameters are computed on the CPU.
import type { AugmentPipeline, RunConfig, Setting } from '../../compiler/index.ts';
import { AugmentError, PARAMS_PER_SAMPLE, augmentPipeline, stageKernels } from '../../compiler/index.ts';
import type { LoadedPlan } from '../executor.ts';
import { InternalError } from '../../diagnostics/index.ts';
import { augmentError } from './errors.ts';
import type { AugmentList } from './errors.ts';
import { submitEncoded, writeBuffer } from '../executor.ts';
import { batchParams } from './augment-params.ts';

export interface AugmentTargets {
  image: GPUBuffer;
  labels: GPUBuffer;
}

const words = (bytes: number) => Math.max(4, Math.ceil(bytes / 4) * 4);

export class Augmenter {
  private readonly upload: AugmentTargets;
  private readonly between: AugmentTargets[];
  private readonly params: GPUBuffer;
  /** elastic's displacement fields (f32 [B, 2, H, W]): smoothed along y, then along x (read by the remap). */
  readonly fields: GPUBuffer[];
  private pipelines: GPUComputePipeline[] = [];
  private readonly kernels;
  private bound = new WeakMap<GPUBuffer, GPUBindGroup[]>();

  private constructor(
    readonly device: GPUDevice,
    readonly pipeline: AugmentPipeline,
    readonly batch: number,
    readonly channels: number,
    /** Label planes per sample: 1 (class indices) or K (multilabel masks). */
    readonly labelPlanes = 1,
  ) {
    const buffer = (label: string, bytes: number) =>
      device.createBuffer({
        label,
        size: words(bytes),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
    const pixels = ([h, w]: [number, number]) => batch * h * w;
    this.upload = {
      image: buffer('augment:image', pixels(pipeline.input) * channels),
      labels: buffer('augment:labels', pixels(pipeline.input) * labelPlanes),
    };
    const largest = Math.max(...pipeline.stages.map((s) => pixels(s.output)), 1);
    this.between = [0, 1].map((i) => ({
      image: buffer(`augment:image${i}`, largest * channels),
      labels: buffer(`augment:labels${i}`, largest * labelPlanes),
    }));
    // Each stage's kernels in order (elastic: three), with the stage they read from and write to.
    this.kernels = pipeline.stages.flatMap((stage, i) =>
      stageKernels(stage, i, batch, channels, labelPlanes).map((kernel) => ({ ...kernel, stage: i })),
    );
    // elastic's displacement fields (f32 [B, 2, H, W], before and after the second smoothing pass).
    const field = Math.max(
      1,
      ...pipeline.stages.map((s) => (s.kind === 'elastic' ? pixels(s.input) * 2 * 4 : 0)),
    );
    this.fields = [0, 1].map((i) => buffer(`augment:field${i}`, field));
    this.params = buffer(
      'augment:params',
      Math.max(1, pipeline.stages.length) * batch * PARAMS_PER_SAMPLE * 4,
    );
  }

  static async create(
    device: GPUDevice,
    pipeline: AugmentPipeline,
    batch: number,
    channels: number,
    labelPlanes = 1,
  ): Promise<Augmenter> {
    const augmenter = new Augmenter(device, pipeline, batch, channels, labelPlanes);
    device.pushErrorScope('validation');
    augmenter.pipelines = await Promise.all(
      augmenter.kernels.map((k) =>
        device.createComputePipelineAsync({
          label: k.name,
          layout: 'auto',
          compute: { module: device.createShaderModule({ label: k.name, code: k.wgsl }), entryPoint: 'main' },
        }),
      ),
    );
    const error = await device.popErrorScope();
    if (error) throw new InternalError(`augmentation kernels failed to compile: ${error.message}`);
    return augmenter;
  }

  private bindGroups(targets: AugmentTargets): GPUBindGroup[] {
    let groups = this.bound.get(targets.image);
    if (groups) return groups;
    const n = this.pipeline.stages.length;
    groups = this.kernels.map((kernel, i) => {
      const s = kernel.stage;
      const from = s === 0 ? this.upload : this.between[(s - 1) % 2];
      const to = s === n - 1 ? targets : this.between[s % 2];
      const buffers = [from.image, from.labels, to.image, to.labels, this.params, ...this.fields];
      return this.device.createBindGroup({
        label: kernel.name,
        layout: this.pipelines[i].getBindGroupLayout(0),
        entries: (kernel.bindings ?? [0, 1, 2, 3, 4]).map((binding) => ({
          binding,
          resource: { buffer: buffers[binding] },
        })),
      });
    });
    this.bound.set(targets.image, groups);
    return groups;
  }

  /**
   * Uploads a batch (u8 at the pipeline's input size), augments it with the parameters given ([apply, six
   * parameters, 0] per stage and sample) and writes `targets`, in a command buffer of its own.
   */
  runWith(image: Uint8Array, labels: Uint8Array, params: Float32Array, targets: AugmentTargets): void {
    submitEncoded(this.device, 'augment', this.prepareWith(image, labels, params, targets));
  }

  /**
   * Uploads a batch (u8 at the pipeline's input size) and the parameters of its draws from (seed, epoch,
   * sample index) (`samples`: the dataset indices of the batch's images; padding follows), and returns the
   * encoder of the stages that write `targets`, for the caller's command encoder (the training step's: one
   * command buffer per step). Undefined when there are no stages (the batch is written to `targets` as is).
   */
  prepare(
    image: Uint8Array,
    labels: Uint8Array,
    samples: number[],
    seed: number,
    epoch: number,
    targets: AugmentTargets,
  ): ((encoder: GPUCommandEncoder) => void) | undefined {
    const params = batchParams(this.pipeline, seed, epoch, samples, this.batch);
    return this.prepareWith(image, labels, params, targets);
  }

  private prepareWith(
    image: Uint8Array,
    labels: Uint8Array,
    params: Float32Array,
    targets: AugmentTargets,
  ): ((encoder: GPUCommandEncoder) => void) | undefined {
    if (this.kernels.length === 0) {
      writeBuffer(this.device, targets.image, image);
      writeBuffer(this.device, targets.labels, labels);
      return undefined;
    }
    writeBuffer(this.device, this.upload.image, image);
    writeBuffer(this.device, this.upload.labels, labels);
    writeBuffer(this.device, this.params, params);
    const groups = this.bindGroups(targets);
    return (encoder) => {
      const pass = encoder.beginComputePass({ label: 'augment' });
      this.kernels.forEach((kernel, i) => {
        pass.setPipeline(this.pipelines[i]);
        pass.setBindGroup(0, groups[i]);
        pass.dispatchWorkgroups(...kernel.dispatch);
      });
      pass.end();
    };
  }

  destroy(): void {
    for (const t of [this.upload, ...this.between]) {
      t.image.destroy();
      t.labels.destroy();
    }
    this.params.destroy();
    for (const f of this.fields) f.destroy();
  }
}

/** The u8 input buffers (`input:image`, `input:labels`) of a loaded training plan. */
export function planInputs(loaded: LoadedPlan): AugmentTargets {
  const at = (name: string) => {
    const index = loaded.plan.buffers.findIndex((b) => b.name === `input:${name}`);
    if (index < 0) throw new InternalError(`the training plan has no input '${name}'`);
    return loaded.buffers[index];
  };
  return { image: at('image'), labels: at('labels') };
}

/**
 * The augmenter from batches assembled at `input` to a plan's inputs at `output`: the `transforms` of a data
 * block (`train augment`, `eval augment`), then a resize to `output` where they end elsewhere (upstream's
 * final Resize). Undefined when there is nothing to do; a list that cannot run (a crop larger than the image)
 * is a RunError naming `what`.
 */
export async function dataAugmenter(
  device: GPUDevice,
  transforms: Setting | undefined,
  input: [number, number],
  output: [number, number],
  batch: number,
  channels: number,
  what: AugmentList = 'train augment',
  labelPlanes = 1,
): Promise<Augmenter | undefined> {
  const list = Array.isArray(transforms) ? transforms : [];
  const same = input[0] === output[0] && input[1] === output[1];
  const steps = list.filter((t) => (t as { name?: unknown } | null)?.name !== 'normalize');
  if (steps.length === 0 && same) return undefined;
  let pipeline: AugmentPipeline;
  try {
    pipeline = augmentPipeline(list, input, output, { fit: true });
  } catch (error) {
    if (error instanceof AugmentError) throw augmentError(what, error);
    throw error;
  }
  return Augmenter.create(device, pipeline, batch, channels, labelPlanes);
}

/**
 * The augmenter of an experiment's `train augment` list from batches at `input` (default the training size),
 * or undefined when there is nothing to do.
 */
export async function trainAugmenter(
  device: GPUDevice,
  transforms: Setting | undefined,
  config: RunConfig,
  channels: number,
  input: [number, number] = config.data.size,
): Promise<Augmenter | undefined> {
  const { size, multilabel, classes } = config.data;
  const planes = multilabel ? classes : 1;
  return dataAugmenter(device, transforms, input, size, config.train.batch, channels, undefined, planes);
}
