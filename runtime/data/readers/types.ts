// What a reader gives: the dataset's facts and, per split, the entries of its samples.
import type { DataError } from '../errors.ts';
import type { DatasetInfo, SampleEntry, Split } from '../dataset.ts';

export interface Listing {
  info: DatasetInfo;
  splits: Partial<Record<Split, SampleEntry[]>>;
  /** Samples left out at listing (e.g. an image without its mask): an error with on_error = stop. */
  problems: DataError[];
}

/** Options of a dataset as the catalogue resolves them (defaults filled in). */
export type Options = Record<string, unknown>;

export type Reader = (options: Options) => Listing;
