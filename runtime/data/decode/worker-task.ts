// The task of a decoding worker thread: one sample from its entry, its arrays transferred (not copied) back.
import { Piscina } from 'piscina';
import type { SampleEntry } from '../dataset.ts';
import { DataError } from '../errors.ts';
import type { LabelRules } from './sample.ts';
import { decodeSample } from './sample.ts';

export interface DecodeTask {
  entry: SampleEntry;
  rules: LabelRules;
}

/** A decoded sample, or the DataError as plain fields (an Error loses its class crossing threads). */
export async function decodeInWorker(task: DecodeTask) {
  try {
    const sample = await decodeSample(task.entry, task.rules);
    // Buffers that are the arrays' own (sharp's output may be a view of a larger pool buffer: copied then).
    const own = [sample.image, sample.labels]
      .filter((a) => a !== undefined && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength)
      .map((a) => a!.buffer as ArrayBuffer);
    return Piscina.move({
      get [Piscina.transferableSymbol]() {
        return own;
      },
      get [Piscina.valueSymbol]() {
        return { sample };
      },
    } as unknown as ArrayBuffer);
  } catch (error) {
    if (error instanceof DataError)
      return { error: { message: error.message, file: error.file, code: error.code } };
    throw error;
  }
}
