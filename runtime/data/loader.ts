// Batches of a dataset split as the u8 bytes the plans upload ([B, C, H, W] images, [B, H, W] labels),
// decoded in worker threads (piscina) with a bounded prefetch queue: while the GPU trains on batch k, batches
// k + 1 to k + prefetch are being decoded. Decoded samples may be kept in memory under a byte budget.
//
// Every sample is placed at the plan's fixed size before upload: centred, padded (image 0, labels the ignore
// value, as albumentations' PadIfNeeded with upstream's mask value 255) or cropped around its centre. The
// resizing and augmentation of a sample are the GPU's (not done here).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Dataset, Sample, Split } from './dataset.ts';
import type { DecodeTask } from './decode/worker-task.ts';
import type { MessageCode } from '../../diagnostics/index.ts';
import { DataError } from './errors.ts';

export interface Batch {
  image: Uint8Array;
  labels: Uint8Array;
  /** Real images in the batch (the rest is padding with every pixel ignored). */
  images: number;
  /** Ids of the real images, in order. */
  ids: string[];
  /** Their size before placement at the plan's size, [H, W]. */
  sizes: number[][];
}

export interface LoaderOptions {
  batch: number;
  /** The plan's [H, W]. */
  size: [number, number];
  /** Decoding threads; 0 decodes on the main thread. Default: the cores less one, at most 4. */
  workers?: number;
  /** Batches decoded ahead (default 2). */
  prefetch?: number;
  /** Bytes of decoded samples kept in memory (default 0: none). */
  cacheBytes?: number;
  /** 'skip': a bad sample is reported once (onSkip) and its batch slot left ignored; 'stop': it is thrown. */
  onError?: 'stop' | 'skip';
  onSkip?: (error: DataError) => void;
}

/**
 * The decoding worker's module beside this one: the sources' bootstrap (runtime/data/worker.mjs) or, in the
 * bundle, dist/worker.mjs (scripts/build.mjs); neither: decoding stays on the main thread.
 */
function workerFile(): string | undefined {
  const path = fileURLToPath(new URL('./worker.mjs', import.meta.url));
  return existsSync(path) ? path : undefined;
}

export class Loader {
  readonly skipped = new Map<string, string>();
  private readonly pool?: Piscina;
  private readonly cache = new Map<string, Sample>();
  private cached = 0;

  constructor(
    readonly dataset: Dataset,
    readonly options: LoaderOptions,
  ) {
    const workers = options.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    const filename = workers > 0 && dataset.entry ? workerFile() : undefined;
    if (filename) this.pool = new Piscina({ filename, minThreads: workers, maxThreads: workers });
  }

  /**
   * Batches of `order` (sample indices of the split) in chunks of the batch size, decoded ahead; `size`: the
   * [H, W] they are placed at (default the plan's), e.g. the images' own size before a resizing augmentation.
   */
  async *batches(split: Split, order: number[], size?: [number, number]): AsyncGenerator<Batch> {
    const { batch } = this.options;
    const count = Math.ceil(order.length / batch);
    const ahead = Math.max(1, this.options.prefetch ?? 2);
    const pending: Promise<Batch>[] = [];
    const start = (k: number) =>
      pending.push(this.batchOf(split, order.slice(k * batch, (k + 1) * batch), size));
    for (let k = 0; k < Math.min(ahead, count); k++) start(k);
    for (let k = 0; k < count; k++) {
      const next = pending.shift()!;
      if (k + ahead < count) start(k + ahead);
      yield await next;
    }
  }

  /** One batch of the given sample indices. */
  async batchOf(split: Split, indices: number[], size?: [number, number]): Promise<Batch> {
    const samples = await Promise.all(indices.map((i) => this.sample(split, i)));
    return assemble(
      samples.filter((s): s is Sample => s !== undefined),
      this.options.batch,
      size ?? this.options.size,
      this.dataset.channels,
      this.dataset.ignore,
      this.dataset.multilabel ? this.dataset.classes : 1,
    );
  }

  /** A decoded sample (from the cache when kept), or undefined when skipped. */
  async sample(split: Split, index: number): Promise<Sample | undefined> {
    const key = `${split}:${index}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let sample: Sample;
    try {
      sample = await this.decode(split, index);
    } catch (error) {
      if (!(error instanceof DataError) || this.options.onError !== 'skip') throw error;
      if (!this.skipped.has(error.file)) {
        this.skipped.set(error.file, error.message);
        this.options.onSkip?.(error);
      }
      return undefined;
    }
    const bytes = sample.image.byteLength + (sample.labels?.byteLength ?? 0);
    if (this.cached + bytes <= (this.options.cacheBytes ?? 0)) {
      this.cache.set(key, sample);
      this.cached += bytes;
    }
    return sample;
  }

  /** A decoded sample or its DataError, without the cache or on_error (what a scan needs). */
  async tryDecode(split: Split, index: number): Promise<Sample | DataError> {
    try {
      return await this.decode(split, index);
    } catch (error) {
      if (error instanceof DataError) return error;
      throw error;
    }
  }

  private async decode(split: Split, index: number): Promise<Sample> {
    if (!this.pool) return this.dataset.load(split, index);
    const task: DecodeTask = {
      entry: this.dataset.entry!(split, index),
      rules: { classes: this.dataset.classes, ignore: this.dataset.ignore },
    };
    const result = await this.pool.run(task);
    if (result.error) {
      const { message, file, code } = result.error;
      throw new DataError(message, file, undefined, code as MessageCode | undefined);
    }
    return result.sample;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}

/**
 * Samples into one batch at the plan's size: [B, C, H, W] planar images and [B, H, W] labels ([B, K, H, W]
 * for `labelPlanes` K multilabel masks, stored [H, W, K] by a sample), each sample centred (padded or
 * cropped); empty slots and padding have every label ignored.
 */
export function assemble(
  samples: Sample[],
  batch: number,
  size: [number, number],
  channels: number,
  ignore: number,
  labelPlanes = 1,
): Batch {
  const [H, W] = size;
  const plane = H * W;
  const image = new Uint8Array(batch * channels * plane);
  const labels = new Uint8Array(batch * labelPlanes * plane).fill(ignore);
  samples.forEach((s, slot) => {
    const [h, w] = s.size;
    const from = s.image;
    const stride = s.channels;
    // Offsets of the sample in the batch frame: positive pads, negative crops (centred, as PadIfNeeded and
    // CenterCrop); the rows and columns both frames share.
    const top = Math.floor((H - h) / 2);
    const left = Math.floor((W - w) / 2);
    const y0 = Math.max(0, top);
    const y1 = Math.min(H, top + h);
    const x0 = Math.max(0, left);
    const x1 = Math.min(W, left + w);
    for (let c = 0; c < channels; c++) {
      const plane0 = (slot * channels + c) * plane;
      for (let y = y0; y < y1; y++) {
        const row = plane0 + y * W;
        let k = ((y - top) * w + (x0 - left)) * stride + c;
        for (let x = x0; x < x1; x++, k += stride) image[row + x] = from[k];
      }
    }
    if (s.labels && labelPlanes > 1) {
      for (let k = 0; k < labelPlanes; k++) {
        const plane0 = (slot * labelPlanes + k) * plane;
        for (let y = y0; y < y1; y++) {
          let from = ((y - top) * w + (x0 - left)) * labelPlanes + k;
          for (let x = x0; x < x1; x++, from += labelPlanes) labels[plane0 + y * W + x] = s.labels[from];
        }
      }
    } else if (s.labels) {
      for (let y = y0; y < y1; y++) {
        const start = (y - top) * w + (x0 - left);
        labels.set(s.labels.subarray(start, start + (x1 - x0)), slot * plane + y * W + x0);
      }
    }
  });
  return {
    image,
    labels,
    images: samples.length,
    ids: samples.map((s) => s.id),
    sizes: samples.map((s) => s.size),
  };
}
