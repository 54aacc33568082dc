// Reading the arguments of built-in calls: positional or keyword, typed, per spatial dim; one table of the
// keywords each built-in takes, which also fixes how many positional arguments it accepts.
import type { Span } from '../../grammar/index.ts';
import { quote, suggest } from '../../diagnostics/index.ts';
import type { Env, Stager } from './stager.ts';
import type { NamedArgument, Value } from './values.ts';
import { describeValue, fail, failWithHint, number } from './values.ts';

export interface BuiltinCall {
  name: string;
  axes: { name: string; span: Span }[];
  positional: Value[];
  named: Map<string, NamedArgument>;
  span: Span;
  /** The spans of the positional arguments' values. */
  argSpans: Span[];
  env: Env;
}

export type Builtin = (s: Stager, call: BuiltinCall) => Value;

/** The argument at `index` or named `key`, else `fallback`, else an error. */
export function arg(call: BuiltinCall, index: number, key: string, fallback?: Value): Value {
  const named = call.named.get(key);
  if (index < call.positional.length && named) {
    fail('SEG4010', named.span, quote(key), quote(call.name));
  }
  const value = index < call.positional.length ? call.positional[index] : named?.value;
  if (value) return value;
  if (fallback) return fallback;
  return fail('SEG4004', call.span, quote(call.name), quote(key));
}

/** Keyword arguments each built-in accepts; any other keyword is an error for every built-in alike. */
const KEYWORDS: Record<string, string[]> = {
  valid: ['ignore'],
  onehot: ['ignore'],
  leaky_relu: ['slope'],
  clamp: ['min', 'max'],
  pow: ['exponent'],
  conv: ['c', 'k', 'pad', 'bias', 'stride', 'dilation', 'groups', 'init'],
  conv_transpose: ['c', 'k', 'stride', 'pad', 'output_pad', 'bias', 'groups', 'init'],
  batchnorm: ['eps', 'momentum'],
  maxpool: ['k', 'stride', 'pad'],
  groupnorm: ['groups', 'eps'],
  linear: ['c', 'bias', 'init'],
  pad: ['p', 'value'],
  dropout: ['p'],
  dropout2d: ['p'],
  avgpool: ['k', 'stride', 'pad', 'count_pad'],
  upsample: ['scale', 'mode', 'align_corners'],
  resize: ['size', 'mode', 'align_corners'],
};

/**
 * The most positional arguments of the built-ins that do not take the usual ones: their first argument, then
 * their KEYWORDS in order (`conv(x, 16, 3)` is `conv(x, c = 16, k = 3)`, so conv takes 1 + 7).
 */
const POSITIONAL: Record<string, number> = { max: 2, min: 2, where: 3, concat: Infinity, zip: Infinity };

/** Checks a built-in call's argument count and keywords, the same way for every built-in. */
export function checkKeywords(call: BuiltinCall): void {
  const keys = KEYWORDS[call.name] ?? [];
  const most = POSITIONAL[call.name] ?? 1 + keys.length;
  if (call.positional.length > most) {
    fail(
      'SEG4001',
      call.span,
      `'${call.name}'`,
      most === 1 ? '1' : `at most ${most}`,
      call.positional.length,
    );
  }
  for (const [key, given] of call.named) {
    if (!keys.includes(key))
      failWithHint(suggest(key, keys), 'SEG4002', given.span, `'${key}'`, `'${call.name}'`);
  }
}

/** Where the argument at `index` or named `key` is written (its value), else the call. */
export function spanOf(call: BuiltinCall, index: number, key: string): Span {
  return call.argSpans[index] ?? call.named.get(key)?.valueSpan ?? call.named.get(key)?.span ?? call.span;
}

export function int(s: Stager, call: BuiltinCall, index: number, key: string, fallback?: number): number {
  const value = arg(call, index, key, fallback === undefined ? undefined : number(fallback, true));
  return s.integer(value, spanOf(call, index, key));
}

/**
 * A per-spatial-dim integer option: a number for every dim or a list with one per dim. `floor` accepts
 * fractions and rounds them down (`pad = k / 2`).
 */
export function perDim(
  s: Stager,
  call: BuiltinCall,
  index: number,
  key: string,
  rank: number,
  fallback: number,
  floor = false,
): number[] {
  const value = arg(call, index, key, number(fallback, true));
  const span = spanOf(call, index, key);
  const items = value.kind === 'list' ? value.items : Array.from({ length: rank }, () => value);
  if (items.length !== rank) fail('SEG4015', span, quote(key), quote(call.name), rank, items.length);
  return items.map((item) => {
    if (item.kind !== 'number') return fail('SEG3003', span, `an int for '${key}'`, describeValue(item));
    const v = floor ? Math.floor(item.value) : item.value;
    if (!Number.isInteger(v) || v < 0) fail('SEG4014', span, quote(key), quote(call.name), item.value);
    return v;
  });
}

/** Whole numbers of either sign, one per spatial dim (a number stands for all). */
export function signedPerDim(
  s: Stager,
  call: BuiltinCall,
  index: number,
  key: string,
  rank: number,
): number[] {
  const value = arg(call, index, key);
  const span = call.argSpans[index] ?? call.span;
  const items = value.kind === 'list' ? value.items : Array.from({ length: rank }, () => value);
  if (rank < 1 || items.length !== rank)
    fail('SEG4015', span, quote(key), quote(call.name), rank, items.length);
  return items.map((item) => s.integer(item, span));
}

export function numeric(call: BuiltinCall, index: number, key: string, fallback: number): number {
  const value = arg(call, index, key, number(fallback));
  if (value.kind !== 'number')
    return fail('SEG3003', spanOf(call, index, key), `a number for '${key}'`, describeValue(value));
  return value.value;
}

export function tensorArg(s: Stager, call: BuiltinCall, index = 0): number {
  return s.tensor(arg(call, index, 'x'), call.argSpans[index] ?? call.span, `the argument of '${call.name}'`);
}

export function requireAxes(s: Stager, call: BuiltinCall, node: number): string[] {
  if (call.axes.length === 0) fail('SEG4016', call.span, quote(call.name), quote(`${call.name}[C](...)`));
  return s.axes(call.axes, node);
}

export function allOrAxes(s: Stager, call: BuiltinCall, node: number): string[] {
  return call.axes.length === 0 ? s.b.type(node).dims.map((d) => d.name) : s.axes(call.axes, node);
}

export function reduceCount(s: Stager, node: number, axes: string[]): number {
  return s.b
    .type(node)
    .dims.filter((d) => axes.includes(d.name))
    .reduce((n, d) => n * d.size, 1);
}

export const list = (items: Value[]): Value => ({ kind: 'list', items });

export function asList(call: BuiltinCall, index: number): Value[] {
  const value = arg(call, index, 'items');
  if (value.kind !== 'list') return fail('SEG3003', call.argSpans[index], 'a list', describeValue(value));
  return value.items;
}

/** A string option (`mode = "linear"`). */
export function text(call: BuiltinCall, index: number, key: string, fallback: string): string {
  const value = arg(call, index, key, { kind: 'string', value: fallback });
  if (value.kind !== 'string')
    return fail('SEG3003', spanOf(call, index, key), `a string for '${key}'`, describeValue(value));
  return value.value;
}
