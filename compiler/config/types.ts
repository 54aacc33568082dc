// The shape of the catalogue: families, option types, options (Param) and entries, with the small
// constructors of types and options that the tables (data.ts, training.ts, table.ts) are written with; and
// the plain values an experiment's settings are read into (Setting).
import type { Span } from '../../grammar/index.ts';

export type Setting = number | string | boolean | Setting[] | ConfigCall;

/** `name(args, key = value)` in a setting: a dataset, optimizer, schedule or metric with options. */
export interface ConfigCall {
  name: string;
  args: Setting[];
  options: Record<string, Setting>;
  span?: Span;
}

/**
 * `param alpha = step(1.0, every = 10, factor = 5.0, max = 100)`: ×factor after every `every` epochs, capped.
 */
export interface ParamStep {
  every: number;
  factor: number;
  max: number;
}

/** A dataset, optimizer, schedule or metric setting as a call: a bare name is a call without options. */
export function asCall(setting: Setting | undefined): ConfigCall | undefined {
  if (setting === undefined) return undefined;
  if (typeof setting === 'string') return { name: setting, args: [], options: {} };
  if (typeof setting === 'object' && !Array.isArray(setting)) return setting;
  return undefined;
}

export type Family = 'dataset' | 'transform' | 'optimizer' | 'group' | 'schedule' | 'metric' | 'stats';

/** The type of an option's value. */
export type Type =
  | { kind: 'int'; min?: number; max?: number }
  /** `above`: exclusive lower bound; `below`: exclusive upper bound. */
  | { kind: 'number'; min?: number; max?: number; above?: number; below?: number }
  | { kind: 'string'; values?: string[] }
  | { kind: 'bool' }
  /** A name written without quotes (`iteration`, `val.loss`), one of `values` or passing `test`. */
  | { kind: 'symbol'; values?: string[]; test?: (name: string) => boolean; what?: string }
  | { kind: 'list'; of: Type; length?: number; what?: string }
  /**
   * A catalogue entry of a family, written as a name (`dice`) or a call (`dice_per_image(threshold = 0.5)`).
   */
  | { kind: 'entry'; family: Family }
  | { kind: 'either'; of: Type[] };

export interface Param {
  name: string;
  type: Type;
  /** The value when the option is not given; absent for required options and those with no default. */
  default?: Setting;
  /** Must be given. */
  required?: boolean;
  /** What the default means when it is not a value (`the dataset's training size`). */
  defaultText?: string;
  doc: string;
}

/** Check-time image and label shape a dataset declares. `classes` or `channels` undefined: the network's. */
export interface DeclaredShape {
  channels?: number;
  classes?: number;
  /** Spatial sizes of a training sample: [H, W] or [D, H, W]. */
  size: number[];
  /** Spatial sizes of an evaluation sample, when they differ. */
  evalSize?: number[];
  /** Labels are multilabel masks, one 0/1 plane per class (retinal_lesions without `binary`). */
  multilabel?: boolean;
}

/**
 * The kinds of per-split sums a metric can read (each an eval output named `metric.<kind>`); `prediction` is
 * the class map, which the surface metrics read on the GPU after each batch.
 */
export type SumKind = 'confusion' | 'proportion_error' | 'dice_per_image' | 'prediction';

export interface Entry {
  name: string;
  family: Family;
  doc: string;
  /** Options in positional order: `hflip(0.5)` is `hflip(p = 0.5)`. */
  params: Param[];
  /** Keys of the entry's option block (datasets: the augmentation pipelines). */
  block?: Param[];
  /** How it is written, for messages and docs. */
  example: string;
  /** Metrics: whether it is one number (can be selected on); per-class tables are not. */
  scalar?: boolean;
  /**
   * Metrics: the per-split sums the evaluation plan accumulates for it (compiler/stage/metrics.ts), which its
   * implementation (runtime/metrics/) finalizes. A metric without them is declared only: `segc check`
   * accepts it, `segc run` refuses it (SEG5055).
   */
  sums?: SumKind[];
  /** Metrics: which way is better, for selecting a checkpoint and for schedules watching it. */
  better?: 'higher' | 'lower';
  /**
   * Declared for `segc check` but not runnable by this version (a dataset without a reader in
   * runtime/data/registry.ts): `segc run` refuses it (SEG5050).
   */
  declaredOnly?: boolean;
  /** Datasets: the shape a checked experiment is staged at, from the options (defaults filled in). */
  shape?: (options: Record<string, Setting>) => DeclaredShape;
  /**
   * Checks across options, after each option's type: returns [rule, option] pairs, reported as
   * "Option 'option' of 'entry' RULE." (SEG5012), or without an option as "'entry' needs RULE." (SEG5013).
   */
  refine?: (options: Record<string, Setting>, given: Set<string>) => Array<[string, string?]>;
}

// Constructors of option types and of the common `p` option, for the tables.
export const int = (min?: number, max?: number): Type => ({ kind: 'int', min, max });
export const num = (bounds: Omit<Extract<Type, { kind: 'number' }>, 'kind'> = {}): Type => ({
  kind: 'number',
  ...bounds,
});
export const str: Type = { kind: 'string' };
export const bool: Type = { kind: 'bool' };
export const probability: Type = num({ min: 0, max: 1 });
export const pair = (what = '[height, width]'): Type => ({ kind: 'list', of: int(1), length: 2, what });
export const triple: Type = { kind: 'list', of: int(1), length: 3, what: '[depth, height, width]' };
export const numbers = (length?: number): Type => ({ kind: 'list', of: num(), length });
export const entry = (family: Family): Type => ({ kind: 'entry', family });
export const transforms: Type = { kind: 'list', of: entry('transform') };
export const interpolation: Type = { kind: 'symbol', values: ['nearest', 'linear', 'cubic'] };
export const p = (value = 0.5): Param => ({
  name: 'p',
  type: probability,
  default: value,
  doc: 'probability of applying it',
});

/** Entries of one family, written without their `family`. */
export function ofFamily(family: Family, list: Omit<Entry, 'family'>[]): Entry[] {
  return list.map((e) => ({ ...e, family }));
}
