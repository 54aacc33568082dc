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
  /** The kernels of each stage (elastic's field: three). */
  private readonly kernelsOf: number[][];
  /** Bind groups by target and (kernel, source, destination). */
  private bound = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();

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
    this.kernelsOf = pipeline.stages.map((_, s) =>
      this.kernels.flatMap((kernel, k) => (kernel.stage === s ? [k] : [])),
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

  /** The bind group of kernel `k` reading `from` and writing `to` (0 and 1: the buffers between stages). */
  private bindGroup(k: number, from: 'upload' | 0 | 1, to: 0 | 1 | AugmentTargets): GPUBindGroup {
    const targets = typeof to === 'object' ? to : undefined;
    const key = targets?.image ?? this.upload.image; // a map per plan target (the others share one)
    let groups = this.bound.get(key);
    if (!groups) this.bound.set(key, (groups = new Map()));
    const name = `${k}:${from}:${targets ? 't' : to}`;
    let group = groups.get(name);
    if (group) return group;
    const source = from === 'upload' ? this.upload : this.between[from];
    const destination = typeof to === 'object' ? to : this.between[to];
    const buffers = [
      source.image,
      source.labels,
      destination.image,
      destination.labels,
      this.params,
      ...this.fields,
    ];
    const kernel = this.kernels[k];
    group = this.device.createBindGroup({
      label: kernel.name,
      layout: this.pipelines[k].getBindGroupLayout(0),
      entries: (kernel.bindings ?? [0, 1, 2, 3, 4]).map((binding) => ({
        binding,
        resource: { buffer: buffers[binding] },
      })),
    });
    groups.set(name, group);
    return group;
  }

  /**
   * Whether no sample of the batch applies stage `s` (params) and it keeps the size: it would copy its
   * input unchanged, so the batch can leave it out.
   */
  private passesUnchanged(s: number, params: Float32Array): boolean {
    const { input, output } = this.pipeline.stages[s];
    if (input[0] !== output[0] || input[1] !== output[1]) return false;
    for (let b = 0; b < this.batch; b++) {
      if (params[(s * this.batch + b) * PARAMS_PER_SAMPLE] >= 0.5) return false;
    }
    return true;
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
    return this.augment(params, targets);
  }

  /**
   * The encoder of the stages on the batch uploaded last (bench/loader-step.ts times them without an
   * upload), with these parameters. A stage no sample of this batch applies, at an unchanged size, is left
   * out (the next reads what it would have copied); the last always writes the targets.
   */
  augment(params: Float32Array, targets: AugmentTargets): (encoder: GPUCommandEncoder) => void {
    writeBuffer(this.device, this.params, params);
    const n = this.pipeline.stages.length;
    const stages = [...Array(n).keys()].filter((s) => s === n - 1 || !this.passesUnchanged(s, params));
    return (encoder) => {
      const pass = encoder.beginComputePass({ label: 'augment' });
      stages.forEach((s, j) => {
        const from = j === 0 ? 'upload' : (((j - 1) % 2) as 0 | 1);
        const to = j === stages.length - 1 ? targets : ((j % 2) as 0 | 1);
        for (const k of this.kernelsOf[s]) {
          pass.setPipeline(this.pipelines[k]);
          pass.setBindGroup(0, this.bindGroup(k, from, to));
          pass.dispatchWorkgroups(...this.kernels[k].dispatch);
        }
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
