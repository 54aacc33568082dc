// The task of a decoding worker thread: one sample from its entry.
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
    return { sample: await decodeSample(task.entry, task.rules) };
  } catch (error) {
    if (error instanceof DataError) return { error: { message: error.message, file: error.file } };
    throw error;
  }
}
