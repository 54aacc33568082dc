// Batches of a dataset split as the u8 bytes the plans upload ([B, C, H, W] images, [B, H, W] labels),
// decoded in worker threads (piscina) with a bounded prefetch queue: while the GPU trains on batch k, batches
// k + 1 to k + prefetch are being decoded. Decoded samples may be kept in memory under a byte budget.
//
// Every sample is placed at the plan's fixed size before upload (batch.ts: centred, padded or cropped) in the
// worker thread that decoded it: the main thread only copies the slots into the batch. The resizing and
// augmentation of a sample are the GPU's (not done here).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Dataset, Sample, Split } from './dataset.ts';
import type { DecodeResult, DecodeTask } from './decode/worker-task.ts';
import type { MessageCode } from '../../diagnostics/index.ts';
import { assemble, assembleBatch } from './batch.ts';
import type { Batch, BatchArrays, Frame, Slot } from './batch.ts';
import { DataError } from './errors.ts';

export { assemble };
export type { Batch };

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
   * With `recycle`, a batch is valid only until the next is asked for: its arrays are then reused for a later
   * one (the trainer uploads each batch before it asks for the next).
   */
  async *batches(
    split: Split,
    order: number[],
    size?: [number, number],
    options: { recycle?: boolean } = {},
  ): AsyncGenerator<Batch> {
    const { batch } = this.options;
    const count = Math.ceil(order.length / batch);
    const ahead = Math.max(1, this.options.prefetch ?? 2);
    const pending: Promise<Batch>[] = [];
    const free: BatchArrays[] = [];
    const start = (k: number) =>
      pending.push(this.batchOf(split, order.slice(k * batch, (k + 1) * batch), size, free.pop()));
    for (let k = 0; k < Math.min(ahead, count); k++) start(k);
    let last: Batch | undefined;
    for (let k = 0; k < count; k++) {
      // Asked for batch k: the consumer is done with batch k - 1.
      if (options.recycle && last) free.push({ image: last.image, labels: last.labels });
      const next = pending.shift()!;
      if (k + ahead < count) start(k + ahead);
      last = await next;
      yield last;
    }
  }

  /** One batch of the given sample indices (skipped samples leave their slots to the ones after them). */
  async batchOf(
    split: Split,
    indices: number[],
    size?: [number, number],
    into?: BatchArrays,
  ): Promise<Batch> {
    const frame: Frame = {
      size: size ?? this.options.size,
      channels: this.dataset.channels,
      ignore: this.dataset.ignore,
      labelPlanes: this.dataset.multilabel ? this.dataset.classes : 1,
    };
    const { batch } = this.options;
    if (!this.pool) {
      const samples = await Promise.all(indices.map((i) => this.sample(split, i)));
      return assembleBatch(
        samples.filter((s): s is Sample => s !== undefined),
        batch,
        frame,
        into,
      );
    }
    const placed = await Promise.all(indices.map((i) => this.placed(split, i, frame)));
    return assembleBatch(
      placed.filter((s): s is Sample | Slot => s !== undefined),
      batch,
      frame,
      into,
    );
  }

  /** A decoded sample (from the cache when kept), or undefined when skipped. */
  async sample(split: Split, index: number): Promise<Sample | undefined> {
    const hit = this.cache.get(`${split}:${index}`);
    if (hit) return hit;
    const sample = (await this.skipping(this.decode(split, index)))?.sample;
    if (sample) this.keep(split, index, sample);
    return sample;
  }

  /**
   * A sample for `frame`: as decoded when it fills the frame, else placed there by the worker thread that
   * decoded it (a slot); undefined when skipped.
   */
  private async placed(split: Split, index: number, frame: Frame): Promise<Sample | Slot | undefined> {
    const hit = this.cache.get(`${split}:${index}`);
    if (hit) return hit;
    const keep = this.cached < (this.options.cacheBytes ?? 0);
    const result = await this.skipping(this.decode(split, index, frame, keep));
    if (result?.sample) this.keep(split, index, result.sample);
    return result?.slot ?? result?.sample;
  }

  /** The decode's result, or undefined for a DataError under on_error = skip (reported once per file). */
  private async skipping(decoding: Promise<DecodeResult>): Promise<DecodeResult | undefined> {
    try {
      return await decoding;
    } catch (error) {
      if (!(error instanceof DataError) || this.options.onError !== 'skip') throw error;
      if (!this.skipped.has(error.file)) {
        this.skipped.set(error.file, error.message);
        this.options.onSkip?.(error);
      }
      return undefined;
    }
  }

  /** Keeps a decoded sample when it fits the cache's budget. */
  private keep(split: Split, index: number, sample: Sample): void {
    const bytes = sample.image.byteLength + (sample.labels?.byteLength ?? 0);
    if (this.cached + bytes <= (this.options.cacheBytes ?? 0)) {
      this.cache.set(`${split}:${index}`, sample);
      this.cached += bytes;
    }
  }

  /** A decoded sample or its DataError, without the cache or on_error (what a scan needs). */
  async tryDecode(split: Split, index: number): Promise<Sample | DataError> {
    try {
      return (await this.decode(split, index)).sample!;
    } catch (error) {
      if (error instanceof DataError) return error;
      throw error;
    }
  }

  /**
   * Decodes a sample in a worker thread (on this one without workers); with `frame` the worker places one
   * that does not fill it there and hands back the slot, and the sample itself only when `keep` (the cache).
   */
  private async decode(split: Split, index: number, frame?: Frame, keep = true): Promise<DecodeResult> {
    if (!this.pool) return { sample: await this.dataset.load(split, index) };
    const task: DecodeTask = {
      entry: this.dataset.entry!(split, index),
      rules: { classes: this.dataset.classes, ignore: this.dataset.ignore },
      frame,
      keep,
    };
    const result = await this.pool.run(task);
    if (result.error) {
      const { message, file, code } = result.error;
      throw new DataError(message, file, undefined, code as MessageCode | undefined);
    }
    return result;
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}
