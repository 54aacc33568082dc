// The task of a decoding worker thread: one sample from its entry, placed at the batch's frame when the task
// gives one and the sample does not fill it (batch.ts: padding and cropping run here, in parallel; a sample
// that fills it the main thread places in a fraction of a memcpy), its arrays transferred (not copied) back.
import { Piscina } from 'piscina';
import type { Frame, Slot } from '../batch.ts';
import { fillsFrame, placeSample } from '../batch.ts';
import type { Sample, SampleEntry } from '../dataset.ts';
import { DataError } from '../errors.ts';
import type { LabelRules } from './sample.ts';
import { decodeSample } from './sample.ts';

export interface DecodeTask {
  entry: SampleEntry;
  rules: LabelRules;
  /** Place the sample there (unless it fills it) and hand back the slot. */
  frame?: Frame;
  /** Hand back the decoded sample too (for the loader's cache). */
  keep?: boolean;
}

/** What a worker hands back: the sample and/or its slot, or the DataError as plain fields. */
export interface DecodeResult {
  sample?: Sample;
  slot?: Slot;
  error?: { message: string; file: string; code?: string };
}

/** A decoded sample, or the DataError as plain fields (an Error loses its class crossing threads). */
export async function decodeInWorker(task: DecodeTask) {
  try {
    const decoded = await decodeSample(task.entry, task.rules);
    const result: DecodeResult = {};
    if (task.frame && !fillsFrame(decoded, task.frame)) result.slot = placeSample(decoded, task.frame);
    if (!result.slot || task.keep) result.sample = decoded;
    // Buffers that are the arrays' own (sharp's output may be a view of a larger pool buffer: copied then).
    const own = [result.slot?.image, result.slot?.labels, result.sample?.image, result.sample?.labels]
      .filter((a) => a !== undefined && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)
      .map((a) => a!.buffer as ArrayBuffer);
    return Piscina.move({
      get [Piscina.transferableSymbol]() {
        return own;
      },
      get [Piscina.valueSymbol]() {
        return result;
      },
    } as unknown as ArrayBuffer);
  } catch (error) {
    if (error instanceof DataError)
      return { error: { message: error.message, file: error.file, code: error.code } };
    throw error;
  }
}
