// The image normalisation an experiment asks for: the `normalize(...)` that ends its `train augment` list
// (albumentations' Normalize: x / 255, then per channel (x - mean) / std). The staged graph applies it to
// both plans (compiler/stage/graphs.ts); an `eval augment` may only repeat it.
import { callOptions } from './check.ts';
import { findEntry } from './table.ts';
import type { Setting } from './types.ts';
import { asCall } from './types.ts';

export interface Normalization {
  mean: number[];
  std: number[];
}

/** The statistics of a `normalize` call (named `stats(...)` or lists), or undefined for another item. */
export function normalizationOf(item: Setting): Normalization | undefined {
  const call = asCall(item);
  if (!call || call.name !== 'normalize') return undefined;
  const options = callOptions(findEntry('transform', 'normalize')!, call);
  const stats = asCall(options.stats);
  const from = stats ? callOptions(findEntry('stats', stats.name)!, stats) : options;
  return { mean: (from.mean as number[]).map(Number), std: (from.std as number[]).map(Number) };
}

/** The normalisation a transform list ends with, if any. */
export function finalNormalization(transforms: Setting | undefined): Normalization | undefined {
  if (!Array.isArray(transforms) || transforms.length === 0) return undefined;
  return normalizationOf(transforms[transforms.length - 1]);
}
