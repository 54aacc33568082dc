// Training on volumes: each step's batch is one patch per volume of the epoch's order (decoded by the
// loader's threads, cut on the CPU: bytes copied, no arithmetic), placed as nnU-Net places them
// (data/patches.ts: the last third of a batch centred on foreground), uploaded as u8 [B, C, D, H, W] and
// augmented on the GPU by the `train augment` stages (data/augment-3d.ts). Positions come from (dataset seed,
// epoch, sample index).
import type { CompiledExperiment } from '../../compiler/index.ts';
import type { Sample } from '../data/dataset.ts';
import type { Batch } from '../data/loader.ts';
import { choosePatch, cutPatch, forcedForeground } from '../data/patches.ts';
import { augmentUniform } from '../data/augment-params.ts';
import type { AugmentTargets } from '../data/augment.ts';
import { VolumeAugmenter, volumeStages } from '../data/augment-3d.ts';
import { createRandom } from '../data/random.ts';
import type { DataSplit } from '../data/run-data.ts';

/** The patch of `sample` at slot `slot` of a batch, as [C, D, H, W] planar bytes and its labels. */
export function patchOf(
  sample: Sample,
  patch: number[],
  slot: number,
  batch: number,
  seed: number,
  epoch: number,
  index: number,
  ignore: number,
): Sample {
  // A stream of its own per (seed, epoch, sample): the same patches in every run and on resume.
  const random = createRandom(Math.floor(augmentUniform(seed, epoch, index, 1 << 20, 0) * 2 ** 31));
  const { origin } = choosePatch(sample, patch, forcedForeground(slot, batch), random, ignore);
  return cutPatch(sample, patch, origin, ignore);
}

/** Patches into one batch: [B, C, D, H, W] planar images, [B, D, H, W] labels; empty slots ignored. */
export function assemblePatches(
  patches: Sample[],
  batch: number,
  patch: number[],
  channels: number,
  ignore: number,
): Batch {
  const cells = patch.reduce((a, b) => a * b, 1);
  const image = new Uint8Array(batch * channels * cells);
  const labels = new Uint8Array(batch * cells).fill(ignore);
  patches.forEach((p, slot) => {
    for (let c = 0; c < channels; c++) {
      const base = (slot * channels + c) * cells;
      for (let i = 0; i < cells; i++) image[base + i] = p.image[i * channels + c];
    }
    if (p.labels) labels.set(p.labels, slot * cells);
  });
  return {
    image,
    labels,
    images: patches.length,
    ids: patches.map((p) => p.id),
    sizes: patches.map(() => patch),
  };
}

export class VolumeTraining {
  private constructor(
    readonly augmenter: VolumeAugmenter,
    readonly patch: number[],
    readonly batch: number,
    readonly channels: number,
    readonly seed: number,
    readonly ignore: number,
  ) {}

  static async create(device: GPUDevice, compiled: CompiledExperiment): Promise<VolumeTraining> {
    const shape = compiled.shape;
    const patch = [shape.depth!, shape.height, shape.width];
    const stages = volumeStages(compiled.spec.blocks?.data?.['train augment'], patch, 'train augment');
    const augmenter = await VolumeAugmenter.create(device, stages, shape.channels, shape.ignore);
    const seed = Number(compiled.config.data.options.seed ?? 0);
    return new VolumeTraining(
      augmenter,
      patch,
      compiled.config.train.batch,
      shape.channels,
      seed,
      shape.ignore,
    );
  }

  /** The patches of the samples `indices` (dataset indices) in one batch, as epoch `epoch` cuts them. */
  async batchOf(split: DataSplit, indices: number[], epoch: number): Promise<Batch> {
    const samples = await Promise.all(indices.map((i) => split.loader.sample(split.split, i)));
    const patches = samples.flatMap((s, slot) =>
      s ? [patchOf(s, this.patch, slot, this.batch, this.seed, epoch, indices[slot], this.ignore)] : [],
    );
    return assemblePatches(patches, this.batch, this.patch, this.channels, this.ignore);
  }

  /** The epoch's batches of `order` (positions in the split), `steps` of them, decoded two ahead. */
  async *batches(split: DataSplit, order: number[], steps: number, epoch: number): AsyncGenerator<Batch> {
    const one = (k: number): Promise<Batch> =>
      this.batchOf(
        split,
        order.slice(k * this.batch, (k + 1) * this.batch).map((i) => split.indices[i]),
        epoch,
      );
    const pending: Promise<Batch>[] = [];
    for (let k = 0; k < Math.min(2, steps); k++) pending.push(one(k));
    for (let k = 0; k < steps; k++) {
      const next = pending.shift()!;
      if (k + 2 < steps) pending.push(one(k + 2));
      yield await next;
    }
  }

  /**
   * Uploads a batch into the training plan's inputs; returns the encoder of its augmentation (into the
   * step's command buffer).
   */
  step(
    b: Batch,
    samples: number[],
    seed: number,
    epoch: number,
    targets: AugmentTargets,
  ): ((encoder: GPUCommandEncoder) => void) | undefined {
    return this.augmenter.prepare(b.image, b.labels, samples, seed, epoch, targets, this.patch, this.batch);
  }
}
