// Runs a volume augmentation pipeline (compiler/codegen/augment/volume.ts) on the device: the uploaded u8
// patches are written to the plan's inputs, each index map (flip, rot90) goes through a scratch buffer and
// back, intensity stages change the image in place. Per-sample draws come from (seed, epoch, sample index,
// stage, draw) as the 2-D ones (augment-params.ts): two runs with one seed see the same patches.
import type { Setting, VolumeStage } from '../../compiler/index.ts';
import {
  AugmentError,
  MAP_KERNEL,
  SCALE_KERNEL,
  STATS_KERNEL,
  VOLUME_PARAMS,
  VOLUME_WORKGROUP,
  ZSCORE_KERNEL,
  volumePipeline,
} from '../../compiler/index.ts';
import { InternalError } from '../../diagnostics/index.ts';
import { augmentError } from './errors.ts';
import type { AugmentList } from './errors.ts';
import { augmentUniform } from './augment-params.ts';
import type { AugmentTargets } from './augment.ts';
import { submitEncoded } from '../executor.ts';

const MAX_GROUPS = 65535;

const KERNELS: Record<string, string> = {
  MAP: MAP_KERNEL,
  SCALE: SCALE_KERNEL,
  STATS: STATS_KERNEL,
  ZSCORE: ZSCORE_KERNEL,
};

/** The device's pipeline of a kernel, compiled once per device. */
const compiled = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

function pipelineOf(device: GPUDevice, name: string): Promise<GPUComputePipeline> {
  let byName = compiled.get(device);
  if (!byName) compiled.set(device, (byName = new Map()));
  let pipeline = byName.get(name);
  if (!pipeline) {
    pipeline = (async () => {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ label: `volume-augment:${name}`, code: KERNELS[name] });
      const created = await device.createComputePipelineAsync({
        label: `volume-augment:${name}`,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      const error = await device.popErrorScope();
      if (error) throw new InternalError(`volume augmentation kernel ${name} failed: ${error.message}`);
      return created;
    })();
    byName.set(name, pipeline);
  }
  return pipeline;
}

/** The index map of a stage for one sample: source = A · output + t, as 12 numbers (A row-major, t). */
export function mapParams(stage: VolumeStage, size: number[], u: (k: number) => number): number[] {
  const a = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const t = [0, 0, 0];
  if (stage.kind === 'flip') {
    stage.axes.forEach((axis, k) => {
      if (u(k) < stage.p) {
        a[axis][axis] = -1;
        t[axis] = size[axis] - 1;
      }
    });
  } else if (stage.kind === 'rot90' && u(0) < stage.p) {
    rot90Map(a, t, stage.axes, Math.floor(u(1) * 4), size[stage.axes[0]]);
  }
  return [...a.flat(), ...t];
}

/** np.rot90(m, k, axes = (p, q)) as an index map (counterclockwise; the plane is n × n). */
export function rot90Map(a: number[][], t: number[], [p, q]: [number, number], k: number, n: number): void {
  const set = (row: number, col: number | undefined, sign: number, offset: number) => {
    a[row] = [0, 0, 0];
    if (col !== undefined) a[row][col] = sign;
    t[row] = offset;
  };
  if (k === 1) {
    set(p, q, 1, 0);
    set(q, p, -1, n - 1);
  } else if (k === 2) {
    set(p, p, -1, n - 1);
    set(q, q, -1, n - 1);
  } else if (k === 3) {
    set(p, q, -1, n - 1);
    set(q, p, 1, 0);
  }
}

/** Every stage's parameters for a batch: [stage][sample][VOLUME_PARAMS]; padding slots are identities. */
export function volumeParams(
  stages: VolumeStage[],
  size: number[],
  seed: number,
  epoch: number,
  samples: number[],
  batch: number,
): Float32Array {
  const out = new Float32Array(Math.max(1, stages.length) * batch * VOLUME_PARAMS);
  stages.forEach((stage, s) => {
    for (let b = 0; b < batch; b++) {
      const sample = samples[b];
      const u = (k: number) => (sample === undefined ? 1 : augmentUniform(seed, epoch, sample, s, k));
      const at = (s * batch + b) * VOLUME_PARAMS;
      if (stage.kind === 'intensity_scale') {
        const scale = u(0) < stage.p ? 1 - stage.factor + 2 * stage.factor * u(1) : 1;
        out[at] = scale;
      } else if (stage.kind !== 'zscore') out.set(mapParams(stage, size, u), at);
    }
  });
  return out;
}

export class VolumeAugmenter {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private params?: GPUBuffer;
  private scratch?: AugmentTargets;
  private stats?: GPUBuffer;
  private readonly uniforms = new Map<number, { buffer: GPUBuffer; key: string }>();

  private constructor(
    readonly device: GPUDevice,
    readonly stages: VolumeStage[],
    readonly channels: number,
    readonly ignore: number,
  ) {}

  static async create(
    device: GPUDevice,
    stages: VolumeStage[],
    channels: number,
    ignore = 255,
  ): Promise<VolumeAugmenter> {
    const augmenter = new VolumeAugmenter(device, stages, channels, ignore);
    const needed = new Set<string>(
      stages.flatMap((s) =>
        s.kind === 'intensity_scale' ? ['SCALE'] : s.kind === 'zscore' ? ['STATS', 'ZSCORE'] : ['MAP'],
      ),
    );
    for (const name of needed) augmenter.pipelines.set(name, await pipelineOf(device, name));
    return augmenter;
  }

  private storage(label: string, bytes: number, old?: GPUBuffer): GPUBuffer {
    if (old && old.size >= bytes) return old;
    old?.destroy();
    return this.device.createBuffer({
      label: `volume-augment:${label}`,
      size: Math.max(16, Math.ceil(bytes / 16) * 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
  }

  /**
   * Uploads a batch of patches and the parameters of its draws from (seed, epoch, sample index), and returns
   * the encoder of the stages that augment it in place in `targets`, for the caller's command encoder (the
   * training step's: one command buffer per step).
   */
  prepare(
    image: Uint8Array,
    labels: Uint8Array,
    samples: number[],
    seed: number,
    epoch: number,
    targets: AugmentTargets,
    size: number[],
    batch: number,
  ): ((encoder: GPUCommandEncoder) => void) | undefined {
    this.device.queue.writeBuffer(targets.image, 0, padded(image));
    this.device.queue.writeBuffer(targets.labels, 0, padded(labels));
    if (this.stages.length === 0) return undefined;
    const params = volumeParams(this.stages, size, seed, epoch, samples, batch);
    return this.stagesOf(targets, size, batch, params);
  }

  /**
   * Runs the stages in place on `targets` (u8 [batch, C, ...size] and [batch, ...size] on the GPU) with the
   * given parameters ([stage][sample][VOLUME_PARAMS]).
   */
  apply(targets: AugmentTargets, size: number[], batch: number, params: Float32Array): void {
    if (this.stages.length > 0) {
      submitEncoded(this.device, 'volume-augment', this.stagesOf(targets, size, batch, params));
    }
  }

  /** Writes the parameters and returns the encoder of the stages' dispatches. */
  private stagesOf(
    targets: AugmentTargets,
    size: number[],
    batch: number,
    params: Float32Array,
  ): (encoder: GPUCommandEncoder) => void {
    const voxels = size.reduce((a, b) => a * b, 1);
    const imageWords = Math.ceil((batch * this.channels * voxels) / 4);
    const labelWords = Math.ceil((batch * voxels) / 4);
    this.params = this.storage('params', params.byteLength, this.params);
    this.device.queue.writeBuffer(this.params, 0, params);
    const geometric = this.stages.some((s) => s.kind === 'flip' || s.kind === 'rot90');
    if (geometric) {
      this.scratch = {
        image: this.storage('image', imageWords * 4, this.scratch?.image),
        labels: this.storage('labels', labelWords * 4, this.scratch?.labels),
      };
    }
    if (this.stages.some((s) => s.kind === 'zscore'))
      this.stats = this.storage('stats', batch * this.channels * 8, this.stats);
    const uniforms = this.stages.map((_, s) =>
      this.uniform(s, [...size, this.channels, batch, this.ignore, s, imageWords]),
    );
    return (encoder) =>
      this.stages.forEach((stage, s) => {
        const uniform = uniforms[s];
        if (stage.kind === 'flip' || stage.kind === 'rot90') {
          const scratch = this.scratch!;
          const buffers = [
            uniform,
            this.params!,
            targets.image,
            targets.labels,
            scratch.image,
            scratch.labels,
          ];
          this.dispatch(encoder, 'MAP', buffers, imageWords + labelWords);
          encoder.copyBufferToBuffer(scratch.image, 0, targets.image, 0, imageWords * 4);
          encoder.copyBufferToBuffer(scratch.labels, 0, targets.labels, 0, labelWords * 4);
        } else if (stage.kind === 'intensity_scale') {
          this.dispatch(encoder, 'SCALE', [uniform, this.params!, targets.image, targets.labels], imageWords);
        } else {
          this.dispatch(
            encoder,
            'STATS',
            [uniform, targets.image, targets.labels, this.stats!],
            0,
            batch * this.channels,
          );
          this.dispatch(encoder, 'ZSCORE', [uniform, this.stats!, targets.image, targets.labels], imageWords);
        }
      });
  }

  /**
   * Stage `s`'s uniform block (sizes, channels, batch, ignore, stage, image words): one buffer per stage,
   * rewritten when the values change (a queue write lands before the next submission reads it).
   */
  private uniform(s: number, values: number[]): GPUBuffer {
    let held = this.uniforms.get(s);
    if (!held) {
      const buffer = this.device.createBuffer({
        size: 32,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      held = { buffer, key: '' };
      this.uniforms.set(s, held);
    }
    const key = values.join(',');
    if (held.key !== key) this.device.queue.writeBuffer(held.buffer, 0, new Uint32Array(values));
    held.key = key;
    return held.buffer;
  }

  private dispatch(
    encoder: GPUCommandEncoder,
    name: string,
    buffers: GPUBuffer[],
    threads: number,
    groups = Math.max(1, Math.ceil(threads / VOLUME_WORKGROUP)),
  ): void {
    const pipeline = this.pipelines.get(name)!;
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = encoder.beginComputePass({ label: `volume-augment:${name}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS));
    pass.end();
  }

  destroy(): void {
    this.params?.destroy();
    for (const u of this.uniforms.values()) u.buffer.destroy();
    this.scratch?.image.destroy();
    this.scratch?.labels.destroy();
    this.stats?.destroy();
  }
}

function padded(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength % 4 === 0) return bytes;
  const out = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  out.set(bytes);
  return out;
}

/** The stages of a volume transform list, a RunError when one cannot run (`what`: the list's name). */
export function volumeStages(
  transforms: Setting | undefined,
  patch: number[],
  what: AugmentList,
): VolumeStage[] {
  if (!Array.isArray(transforms)) return [];
  try {
    return volumePipeline(transforms, patch);
  } catch (error) {
    if (error instanceof AugmentError) throw augmentError(what, error);
    throw error;
  }
}
