// Built-in functions of .seg: pointwise math, named-axis reductions, label helpers, layers and list helpers.
import type { Span } from '../../grammar/index.ts';
import { suggest } from '../diagnostics/index.ts';
import { convWeightType, transposedSizes } from '../ops/convolution.ts';
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
function arg(call: BuiltinCall, index: number, key: string, fallback?: Value): Value {
  const named = call.named.get(key);
  if (index < call.positional.length && named) {
    fail('SEG4004', named.span, `Argument '${key}' of '${call.name}' is given both by position and by keyword.`);
  }
  const value = index < call.positional.length ? call.positional[index] : named?.value;
  if (value) return value;
  if (fallback) return fallback;
  return fail('SEG4004', call.span, `'${call.name}' needs the argument '${key}'.`);
}

/** Keyword arguments each built-in accepts; any other keyword is an error for every built-in alike. */
const KEYWORDS: Record<string, string[]> = {
  valid: ['ignore'],
  onehot: ['ignore'],
  leaky_relu: ['slope'],
  clamp: ['min', 'max'],
  pow: ['exponent'],
  conv: ['c', 'k', 'pad', 'bias', 'stride', 'dilation', 'groups'],
  conv_transpose: ['c', 'k', 'stride', 'pad', 'output_pad', 'bias', 'groups'],
  batchnorm: ['eps', 'momentum'],
  maxpool: ['k', 'stride', 'pad'],
  groupnorm: ['groups', 'eps'],
  linear: ['c', 'bias'],
  pad: ['p', 'value'],
  dropout: ['p'],
  dropout2d: ['p'],
  avgpool: ['k', 'stride', 'pad', 'count_pad'],
  upsample: ['scale', 'mode', 'align_corners'],
  resize: ['size', 'mode', 'align_corners'],
};

/**
 * The most positional arguments of the built-ins that do not take the usual ones: their first argument, then their
 * KEYWORDS in order (`conv(x, 16, 3)` is `conv(x, c = 16, k = 3)`, so conv takes 1 + 7).
 */
const POSITIONAL: Record<string, number> = { max: 2, min: 2, where: 3, concat: Infinity, zip: Infinity };

/** Checks a built-in call's argument count and keywords, the same way for every built-in. */
export function checkKeywords(call: BuiltinCall): void {
  const keys = KEYWORDS[call.name] ?? [];
  const most = POSITIONAL[call.name] ?? 1 + keys.length;
  if (call.positional.length > most) {
    fail('SEG4001', call.span, `'${call.name}'`, most === 1 ? '1' : `at most ${most}`, call.positional.length);
  }
  for (const [key, given] of call.named) {
    if (!keys.includes(key)) failWithHint(suggest(key, keys), 'SEG4002', given.span, `'${key}'`, `'${call.name}'`);
  }
}

/** Where the argument at `index` or named `key` is written (its value), else the call. */
function spanOf(call: BuiltinCall, index: number, key: string): Span {
  return call.argSpans[index] ?? call.named.get(key)?.valueSpan ?? call.named.get(key)?.span ?? call.span;
}

function int(s: Stager, call: BuiltinCall, index: number, key: string, fallback?: number): number {
  const value = arg(call, index, key, fallback === undefined ? undefined : number(fallback, true));
  return s.integer(value, spanOf(call, index, key));
}

/**
 * A per-spatial-dim integer option: a number for every dim or a list with one per dim. `floor` accepts fractions
 * and rounds them down (`pad = k / 2`).
 */
function perDim(s: Stager, call: BuiltinCall, index: number, key: string, rank: number, fallback: number, floor = false): number[] {
  const value = arg(call, index, key, number(fallback, true));
  const span = spanOf(call, index, key);
  const items = value.kind === 'list' ? value.items : Array.from({ length: rank }, () => value);
  if (items.length !== rank) fail('SEG4004', span, `'${key}' of '${call.name}' needs ${rank} values (one per spatial dim), got ${items.length}.`);
  return items.map((item) => {
    if (item.kind !== 'number') return fail('SEG3003', span, `an int for '${key}'`, describeValue(item));
    const v = floor ? Math.floor(item.value) : item.value;
    if (!Number.isInteger(v) || v < 0) fail('SEG4004', span, `'${key}' of '${call.name}' must be a whole number >= 0, got ${item.value}.`);
    return v;
  });
}

/** Whole numbers of either sign, one per spatial dim (a number stands for all). */
function signedPerDim(s: Stager, call: BuiltinCall, index: number, key: string, rank: number): number[] {
  const value = arg(call, index, key);
  const span = call.argSpans[index] ?? call.span;
  const items = value.kind === 'list' ? value.items : Array.from({ length: rank }, () => value);
  if (rank < 1 || items.length !== rank) fail('SEG4004', span, `'${key}' of '${call.name}' needs ${rank} values (one per spatial dim), got ${items.length}.`);
  return items.map((item) => s.integer(item, span));
}

function numeric(call: BuiltinCall, index: number, key: string, fallback: number): number {
  const value = arg(call, index, key, number(fallback));
  if (value.kind !== 'number') return fail('SEG3003', spanOf(call, index, key), `a number for '${key}'`, describeValue(value));
  return value.value;
}

function tensorArg(s: Stager, call: BuiltinCall, index = 0): number {
  return s.tensor(arg(call, index, 'x'), call.argSpans[index] ?? call.span, `the argument of '${call.name}'`);
}

function requireAxes(s: Stager, call: BuiltinCall, node: number): string[] {
  if (call.axes.length === 0) fail('SEG4004', call.span, `'${call.name}' needs axes, as in '${call.name}[C](...)'.`);
  return s.axes(call.axes, node);
}

function allOrAxes(s: Stager, call: BuiltinCall, node: number): string[] {
  return call.axes.length === 0 ? s.b.type(node).dims.map((d) => d.name) : s.axes(call.axes, node);
}

function pointwise(op: string, fold: (x: number) => number): Builtin {
  return (s, call) => {
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return number(fold(x.value), false);
    return s.wrap(s.node(op, [tensorArg(s, call)], {}, call.span));
  };
}

/** z - max[axes](z), with the max held constant (it cancels in softmax and log_softmax). */
function shifted(s: Stager, z: number, axes: string[], span: Span): number {
  const peak = s.node('stop_gradient', [s.node('max', [z], { axes }, span)], {}, span);
  return s.node('sub', [z, peak], {}, span);
}

function reduceCount(s: Stager, node: number, axes: string[]): number {
  return s.b.type(node).dims.filter((d) => axes.includes(d.name)).reduce((n, d) => n * d.size, 1);
}

const list = (items: Value[]): Value => ({ kind: 'list', items });

function asList(call: BuiltinCall, index: number): Value[] {
  const value = arg(call, index, 'items');
  if (value.kind !== 'list') return fail('SEG3003', call.argSpans[index], 'a list', describeValue(value));
  return value.items;
}

export const builtins = new Map<string, Builtin>([
  ['exp', pointwise('exp', Math.exp)],
  ['log', pointwise('log', Math.log)],
  ['abs', pointwise('abs', Math.abs)],
  ['sqrt', pointwise('sqrt', Math.sqrt)],
  ['sign', pointwise('sign', Math.sign)],
  ['relu', pointwise('relu', (x) => Math.max(x, 0))],
  ['stop_gradient', pointwise('stop_gradient', (x) => x)],
  ['log1p', pointwise('log1p', Math.log1p)],
  ['tanh', pointwise('tanh', Math.tanh)],
  ['softplus', (s, call) => {
    // max(x, 0) + log1p(exp(-|x|)): log(1 + e^x) without overflow.
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return number(Math.max(x.value, 0) + Math.log1p(Math.exp(-Math.abs(x.value))), false);
    return s.wrap(softplus(s, tensorArg(s, call), call.span));
  }],
  ['log_sigmoid', (s, call) => {
    // log(sigmoid(x)) = -softplus(-x).
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return number(-(Math.max(-x.value, 0) + Math.log1p(Math.exp(-Math.abs(x.value)))), false);
    const negated = s.node('neg', [tensorArg(s, call)], {}, call.span);
    return s.wrap(s.node('neg', [softplus(s, negated, call.span)], {}, call.span));
  }],
  ['leaky_relu', (s, call) => {
    const slope = numeric(call, 1, 'slope', 0.01);
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return number(x.value > 0 ? x.value : slope * x.value, false);
    return s.wrap(s.node('leaky_relu', [tensorArg(s, call)], { slope }, call.span));
  }],
  ['clamp', (s, call) => {
    const low = numeric(call, 1, 'min', -Infinity);
    const high = numeric(call, 2, 'max', Infinity);
    if (call.positional.length < 2 && !call.named.has('min') && !call.named.has('max')) {
      fail('SEG4004', call.span, "'clamp' needs a bound, as in 'clamp(x, 0, 1)' or 'clamp(x, min = 1e-6)'.");
    }
    if (!(low <= high)) fail('SEG4004', call.span, `'clamp' needs min <= max, got ${low} and ${high}.`);
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return number(Math.min(Math.max(x.value, low), high), false);
    // One-sided bounds are the largest finite f32, so the WGSL constant stays finite.
    const limit = 3.4028234663852886e38;
    return s.wrap(s.node('clamp', [tensorArg(s, call)], { min: Math.max(low, -limit), max: Math.min(high, limit) }, call.span));
  }],
  ['pow', (s, call) => s.binary('^', arg(call, 0, 'x'), arg(call, 1, 'exponent'), call.span)],
  ['where', (s, call) => {
    const [c, a, b] = [0, 1, 2].map((i) => s.tensor(arg(call, i, ['condition', 'x', 'y'][i]), call.argSpans[i] ?? call.span));
    return s.wrap(s.node('where', [c, a, b], {}, call.span));
  }],
  ['logsumexp', (s, call) => {
    // max + log(sum(exp(x - max))), the max held constant (its gradient cancels).
    const x = tensorArg(s, call);
    const axes = requireAxes(s, call, x);
    const peak = s.node('stop_gradient', [s.node('max', [x], { axes }, call.span)], {}, call.span);
    const total = s.node('sum', [s.node('exp', [s.node('sub', [x, peak], {}, call.span)], {}, call.span)], { axes }, call.span);
    return s.wrap(s.node('add', [peak, s.node('log', [total], {}, call.span)], {}, call.span));
  }],
  ['sigmoid', (s, call) => {
    // exp(min(x, 0)) / (1 + exp(-|x|)): never overflows, and neither does its gradient.
    const x = tensorArg(s, call);
    const n = (op: string, inputs: number[]) => s.node(op, inputs, {}, call.span);
    const numerator = n('exp', [n('minimum', [x, s.b.constant(0)])]);
    const denominator = n('add', [s.b.constant(1), n('exp', [n('neg', [n('abs', [x])])])]);
    return s.wrap(n('div', [numerator, denominator]));
  }],
  ['softmax', (s, call) => {
    const z = tensorArg(s, call);
    const axes = requireAxes(s, call, z);
    const e = s.node('exp', [shifted(s, z, axes, call.span)], {}, call.span);
    return s.wrap(s.node('div', [e, s.node('sum', [e], { axes }, call.span)], {}, call.span));
  }],
  ['log_softmax', (s, call) => {
    const z = tensorArg(s, call);
    const axes = requireAxes(s, call, z);
    const x = shifted(s, z, axes, call.span);
    const total = s.node('sum', [s.node('exp', [x], {}, call.span)], { axes }, call.span);
    return s.wrap(s.node('sub', [x, s.node('log', [total], {}, call.span)], {}, call.span));
  }],
  ['sum', (s, call) => {
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return x;
    const node = tensorArg(s, call);
    const axes = allOrAxes(s, call, node);
    return s.wrap(axes.length === 0 ? node : s.node('sum', [node], { axes }, call.span));
  }],
  ['mean', (s, call) => {
    const x = arg(call, 0, 'x');
    if (x.kind === 'number') return x;
    const node = tensorArg(s, call);
    const axes = allOrAxes(s, call, node);
    if (axes.length === 0) return s.wrap(node);
    const total = s.node('sum', [node], { axes }, call.span);
    return s.wrap(s.node('mul', [total, s.b.constant(1 / reduceCount(s, node, axes))], {}, call.span));
  }],
  ['max', (s, call) => extremum(s, call, 'maximum', 1)],
  ['min', (s, call) => extremum(s, call, 'minimum', -1)],
  ['argmax', (s, call) => {
    const node = tensorArg(s, call);
    return s.wrap(s.node('argmax', [node], { axes: requireAxes(s, call, node) }, call.span));
  }],
  ['onehot', (s, call) => {
    const y = tensorArg(s, call);
    const ignore = int(s, call, 1, 'ignore', 255);
    // Multilabel masks are already one channel per class: the target is [y == 1] (0 where ignored).
    if (s.isMasks(y)) return s.wrap(s.node('eq', [y, s.b.constant(1)], {}, call.span));
    if (s.options.classes !== 1) {
      return s.wrap(s.node('onehot', [y], { dim: 'C', size: s.options.classes, ignore }, call.span));
    }
    // Binary (one logit channel): the channel is the foreground, so the target is [y == 1] (0 where ignored).
    const labels = s.b.type(y).dims;
    const dims = [labels[0], { name: 'C', size: 1 }, ...labels.slice(1)];
    const foreground = s.node('eq', [y, s.b.constant(1)], {}, call.span);
    return s.wrap(s.node('expand', [foreground], { dims: dims.map((d) => d.name), sizes: dims.map((d) => d.size) }, call.span));
  }],
  ['valid', (s, call) => {
    const y = tensorArg(s, call);
    return s.wrap(s.node('valid', [y], { ignore: int(s, call, 1, 'ignore', 255) }, call.span));
  }],
  ['multilabel', (s, call) => {
    const y = tensorArg(s, call);
    if (s.b.type(y).dtype !== 'u8') fail('SEG3003', call.argSpans[0] ?? call.span, 'labels or masks', 'a float tensor');
    return { kind: 'bool', value: s.isMasks(y) };
  }],
  ['conv', (s, call) => {
    const x = tensorArg(s, call);
    const out = int(s, call, 1, 'c');
    const rank = s.b.type(x).dims.length - 2;
    const k = perDim(s, call, 2, 'k', rank, 3);
    const pad = perDim(s, call, 3, 'pad', rank, 0, true);
    const bias = arg(call, 4, 'bias', { kind: 'bool', value: true });
    const stride = perDim(s, call, 5, 'stride', rank, 1);
    const dilation = perDim(s, call, 6, 'dilation', rank, 1);
    const groups = int(s, call, 7, 'groups', 1);
    const input = s.b.type(x).dims.find((d) => d.name === 'C')?.size ?? 0;
    if (groups < 1 || input % groups !== 0 || out % groups !== 0) {
      fail('SEG4004', call.span, `'conv' groups (${groups}) must divide the input channels (${input}) and 'c' (${out}).`);
    }
    return s.scoped('conv', () => {
      // torch's default init: kaiming_uniform(a = sqrt(5)), i.e. U(-b, b) with b = 1 / sqrt(fan_in), for both.
      const bound = 1 / Math.sqrt((input / groups) * k.reduce((a, b) => a * b, 1));
      const w = convWeightType(out, input / groups, k);
      const weight = s.weight('weight', w.dims.map((d) => d.name), w.dims.map((d) => d.size), { kind: 'uniform', bound });
      // Stride-1 2-D convolutions with square kernels take the tiled kernels; the rest the general ones.
      const simple = rank === 2 && k[0] === k[1] && pad[0] === pad[1] && [...stride, ...dilation, groups].every((v) => v === 1);
      let y = simple
        ? s.node('conv2d', [x, weight], { pad: pad[0] }, call.span)
        : s.node('convolution', [x, weight], { stride, pad, dilation, groups }, call.span);
      if (bias.kind === 'bool' && bias.value) {
        const b = s.weight('bias', ['C'], [out], { kind: 'uniform', bound });
        y = s.node('add', [y, b], {}, call.span);
      }
      return s.wrap(y);
    });
  }],
  ['conv_transpose', (s, call) => {
    // torch ConvTranspose2d/3d: weight [C_in, c / groups, k...], output (in - 1)·stride − 2·pad + k + output_pad.
    const x = tensorArg(s, call);
    const out = int(s, call, 1, 'c');
    const rank = s.b.type(x).dims.length - 2;
    const k = perDim(s, call, 2, 'k', rank, 2);
    const stride = perDim(s, call, 3, 'stride', rank, 1);
    const pad = perDim(s, call, 4, 'pad', rank, 0, true);
    const outputPad = perDim(s, call, 5, 'output_pad', rank, 0, true);
    const bias = arg(call, 6, 'bias', { kind: 'bool', value: true });
    const groups = int(s, call, 7, 'groups', 1);
    const input = s.b.type(x).dims.find((d) => d.name === 'C')?.size ?? 0;
    if (groups < 1 || input % groups !== 0 || out % groups !== 0) {
      fail('SEG4004', call.span, `'conv_transpose' groups (${groups}) must divide the input channels (${input}) and 'c' (${out}).`);
    }
    const attrs = { stride, pad, dilation: stride.map(() => 1), groups };
    const sizes = s.b.type(x).dims.slice(2).map((d) => d.size);
    return s.scoped('conv_transpose', () => {
      const bound = 1 / Math.sqrt((out / groups) * k.reduce((a, b) => a * b, 1));
      const w = convWeightType(input, out / groups, k);
      const weight = s.weight('weight', w.dims.map((d) => d.name), w.dims.map((d) => d.size), { kind: 'uniform', bound });
      const target = transposedSizes(sizes, k, attrs, outputPad);
      let y = s.node('convolution_grad_input', [x, weight], { ...attrs, input: target }, call.span);
      if (bias.kind === 'bool' && bias.value) {
        const b = s.weight('bias', ['C'], [out], { kind: 'uniform', bound });
        y = s.node('add', [y, b], {}, call.span);
      }
      return s.wrap(y);
    });
  }],
  ['batchnorm', (s, call) => {
    const x = tensorArg(s, call);
    const eps = numeric(call, 1, 'eps', 1e-5);
    const momentum = numeric(call, 2, 'momentum', 0.1);
    return s.scoped('batchnorm', () => batchnorm(s, x, eps, momentum, call.span));
  }],
  ['linear', (s, call) => {
    // A dense layer over C (torch Linear on [N,C]; a 1x1 layer on [N,C,S]): weight [O,I], bias [O].
    const x = tensorArg(s, call);
    const out = int(s, call, 1, 'c');
    const bias = arg(call, 2, 'bias', { kind: 'bool', value: true });
    const input = s.b.type(x).dims.find((d) => d.name === 'C')?.size;
    if (!input) fail('SEG4004', call.span, "'linear' needs a tensor with a 'C' dimension.");
    return s.scoped('linear', () => {
      const bound = 1 / Math.sqrt(input);
      const weight = s.weight('weight', ['O', 'I'], [out, input], { kind: 'uniform', bound });
      let y = s.node('channel_mix', [x, weight], {}, call.span);
      if (bias.kind === 'bool' && bias.value) y = s.node('add', [y, s.weight('bias', ['C'], [out], { kind: 'uniform', bound })], {}, call.span);
      return s.wrap(y);
    });
  }],
  ['pad', (s, call) => {
    // Constant padding of every spatial dim by `p` on both sides (a number, or one per dim); negative crops.
    const x = tensorArg(s, call);
    const rank = s.b.type(x).dims.length - 2;
    const amounts = signedPerDim(s, call, 1, 'p', rank);
    const value = numeric(call, 2, 'value', 0);
    return s.wrap(s.node('pad', [x], { before: amounts, after: amounts, value }, call.span));
  }],
  ['groupnorm', (s, call) => {
    const x = tensorArg(s, call);
    const groups = int(s, call, 1, 'groups', 32);
    const eps = numeric(call, 2, 'eps', 1e-5);
    const channels = s.b.type(x).dims.find((d) => d.name === 'C')?.size;
    if (!channels || channels % groups !== 0) {
      fail('SEG4004', call.span, `'groupnorm' needs ${groups} groups to divide the channels (${channels ?? 'none'}).`);
    }
    return s.scoped('groupnorm', () => groupnorm(s, x, groups, eps, call.span));
  }],
  ['dropout', (s, call) => dropout(s, call, false)],
  ['dropout2d', (s, call) => dropout(s, call, true)],
  ['maxpool', (s, call) => pooling(s, call, 'max')],
  ['avgpool', (s, call) => pooling(s, call, 'avg')],
  ['upsample', (s, call) => {
    const x = tensorArg(s, call);
    const rank = s.b.type(x).dims.length - 2;
    const scale = perDim(s, call, 1, 'scale', rank, 2);
    const mode = text(call, 2, 'mode', 'nearest');
    const sizes = s.b.type(x).dims.slice(2).map((d, i) => d.size * scale[i]);
    // Whole-number nearest upsampling of 2-D tensors takes its dedicated kernel.
    if (mode === 'nearest' && rank === 2 && scale[0] === scale[1] && !call.named.has('align_corners')) {
      return s.wrap(s.node('upsample_nearest', [x], { scale: scale[0] }, call.span));
    }
    return s.wrap(resize(s, call, x, sizes, mode, 3));
  }],
  ['resize', (s, call) => {
    const x = tensorArg(s, call);
    const rank = s.b.type(x).dims.length - 2;
    const sizes = perDim(s, call, 1, 'size', rank, 1);
    return s.wrap(resize(s, call, x, sizes, text(call, 2, 'mode', 'linear'), 3));
  }],
  ['concat', (s, call) => {
    if (call.axes.length !== 1 || call.axes[0].name !== 'C') {
      fail('SEG4004', call.span, "'concat' joins along channels: write 'concat[C](a, b)'.");
    }
    const parts = call.positional.map((v, i) => s.tensor(v, call.argSpans[i]));
    if (parts.length < 2) fail('SEG4004', call.span, "'concat' needs at least two tensors.");
    return s.wrap(parts.slice(1).reduce((acc, part) => s.node('concat', [acc, part], {}, call.span), parts[0]));
  }],
  ['zip', (_s, call) => {
    const lists = call.positional.map((_, i) => asList(call, i));
    const n = Math.min(...lists.map((l) => l.length));
    return list(Array.from({ length: n }, (_, i) => list(lists.map((l) => l[i]))));
  }],
  ['reversed', (_s, call) => list([...asList(call, 0)].reverse())],
  // As Python's: a count below 1 gives an empty list.
  ['range', (s, call) => list(Array.from({ length: Math.max(0, int(s, call, 0, 'n')) }, (_, i) => number(i, true)))],
  ['len', (_s, call) => number(asList(call, 0).length, true)],
  ['size', (s, call) => {
    // size[C](z): the size of a named dim, a compile-time int (for mode switches such as binary when C = 1).
    const x = tensorArg(s, call);
    const axes = requireAxes(s, call, x);
    const dims = s.b.type(x).dims;
    return number(axes.reduce((n, axis) => n * dims.find((d) => d.name === axis)!.size, 1), true);
  }],
]);

function extremum(s: Stager, call: BuiltinCall, pairwise: string, sign: number): Value {
  if (call.positional.length === 2) {
    const [a, b] = call.positional;
    if (a.kind === 'number' && b.kind === 'number') return number(sign > 0 ? Math.max(a.value, b.value) : Math.min(a.value, b.value));
    return s.wrap(s.node(pairwise, [s.tensor(a, call.argSpans[0]), s.tensor(b, call.argSpans[1])], {}, call.span));
  }
  const x = tensorArg(s, call);
  const axes = allOrAxes(s, call, x);
  if (sign > 0) return s.wrap(s.node('max', [x], { axes }, call.span));
  const negated = s.node('neg', [x], {}, call.span);
  return s.wrap(s.node('neg', [s.node('max', [negated], { axes }, call.span)], {}, call.span));
}

/**
 * Group normalisation (torch GroupNorm): statistics per image over each group of C / groups channels and the
 * spatial dims, then a per-channel scale and shift (`weight` 1, `bias` 0 at the start).
 */
function groupnorm(s: Stager, x: number, groups: number, eps: number, span: Span): Value {
  const type = s.b.type(x);
  const c = type.dims.find((d) => d.name === 'C')!.size;
  const others = type.dims.map((d) => d.name).filter((n) => n !== 'N' && n !== 'C');
  const count = (c / groups) * reduceCount(s, x, others);
  const n = (op: string, inputs: number[], attrs = {}) => s.node(op, inputs, attrs, span);
  const k = (v: number) => s.b.constant(v);
  const groupMean = (t: number) => n('mul', [n('group_sum', [others.length ? n('sum', [t], { axes: others }) : t], { groups }), k(1 / count)]);
  const centred = n('sub', [x, groupMean(x)]);
  const variance = groupMean(n('mul', [centred, centred]));
  const normalised = n('mul', [centred, n('rsqrt', [n('add', [variance, k(eps)])])]);
  const weight = s.weight('weight', ['C'], [c], { kind: 'constant', value: 1 });
  const bias = s.weight('bias', ['C'], [c], { kind: 'constant', value: 0 });
  return s.wrap(n('add', [n('mul', [normalised, weight]), bias]));
}

/**
 * Dropout while training (identity in evaluation): each element (or, for dropout2d, each channel of each image)
 * is kept with probability 1 - p and scaled by 1 / (1 - p). The masks are seeded by the step, so a resumed run
 * draws the same ones.
 */
function dropout(s: Stager, call: BuiltinCall, channels: boolean): Value {
  const x = tensorArg(s, call);
  const p = numeric(call, 1, 'p', 0.5);
  if (!(p >= 0 && p < 1)) fail('SEG4004', call.span, `'${call.name}' needs p in [0, 1), got ${p}.`);
  if (s.options.mode === 'eval' || p === 0) return s.wrap(x);
  const dims = s.b.type(x).dims.filter((d) => !channels || d.name === 'N' || d.name === 'C');
  const seed = s.b.add('uniform', [], { name: 'step' });
  const mask = s.node('random_mask', [seed], { p, salt: s.b.nodes.length, dims: dims.map((d) => d.name), sizes: dims.map((d) => d.size) }, call.span);
  return s.wrap(s.node('mul', [x, mask], {}, call.span));
}

/** Max or average pooling: `k`, `stride` (default `k`) and `pad` per spatial dim, torch semantics. */
function pooling(s: Stager, call: BuiltinCall, mode: 'max' | 'avg'): Value {
  const x = tensorArg(s, call);
  const rank = s.b.type(x).dims.length - 2;
  const kernel = perDim(s, call, 1, 'k', rank, 2);
  const given = call.positional.length > 2 || call.named.has('stride');
  const stride = given ? perDim(s, call, 2, 'stride', rank, 1) : kernel;
  const pad = perDim(s, call, 3, 'pad', rank, 0);
  const countPad = arg(call, 4, 'count_pad', { kind: 'bool', value: true });
  if (countPad.kind !== 'bool') fail('SEG3003', call.span, "true or false for 'count_pad'", describeValue(countPad));
  // The U-Net's k x k, stride k max pooling of 2-D tensors takes its dedicated kernel.
  const square = rank === 2 && kernel[0] === kernel[1] && stride.every((v, i) => v === kernel[i]) && pad.every((p) => p === 0);
  if (mode === 'max' && square) return s.wrap(s.node('maxpool2d', [x], { size: kernel[0] }, call.span));
  return s.wrap(s.node('pool', [x], { mode, kernel, stride, pad, count_pad: countPad.value }, call.span));
}

/** Resizing to `sizes` ('nearest' or 'linear', i.e. bilinear/trilinear), with `align_corners` at `alignAt`. */
function resize(s: Stager, call: BuiltinCall, x: number, sizes: number[], mode: string, alignAt: number): number {
  if (mode !== 'nearest' && mode !== 'linear') {
    failWithHint(suggest(mode, ['nearest', 'linear']), 'SEG4004', call.span, `'${call.name}' mode must be "nearest" or "linear", got "${mode}".`);
  }
  const align = arg(call, alignAt, 'align_corners', { kind: 'bool', value: false });
  if (align.kind !== 'bool') fail('SEG3003', call.span, "true or false for 'align_corners'", describeValue(align));
  if (sizes.some((v) => v < 1)) fail('SEG4004', call.span, `'${call.name}' needs output sizes of at least 1, got ${sizes.join('x')}.`);
  return s.node('resize', [x], { mode, size: sizes, align_corners: align.value }, call.span);
}

/** A string option (`mode = "linear"`). */
function text(call: BuiltinCall, index: number, key: string, fallback: string): string {
  const value = arg(call, index, key, { kind: 'string', value: fallback });
  if (value.kind !== 'string') return fail('SEG3003', spanOf(call, index, key), `a string for '${key}'`, describeValue(value));
  return value.value;
}

/** log(1 + e^x) as max(x, 0) + log1p(exp(-|x|)). */
function softplus(s: Stager, x: number, span: Span): number {
  const n = (op: string, inputs: number[]) => s.node(op, inputs, {}, span);
  // maximum splits the gradient at x = 0 (0.5 there, sigmoid(0)), where relu's would be 0.
  const positive = s.node('maximum', [x, s.b.constant(0)], {}, span);
  return n('add', [positive, n('log1p', [n('exp', [n('neg', [n('abs', [x])])])])]);
}

/** Batch normalisation over every dim but C; training mode also updates the running statistics. */
function batchnorm(s: Stager, x: number, eps: number, momentum: number, span: Span): Value {
  const channels = s.b.type(x).dims.find((d) => d.name === 'C');
  if (!channels) return fail('SEG4004', span, "'batchnorm' needs a tensor with a 'C' dimension.");
  const c = channels.size;
  const weight = s.weight('weight', ['C'], [c], { kind: 'constant', value: 1 });
  const bias = s.weight('bias', ['C'], [c], { kind: 'constant', value: 0 });
  const runningMean = s.weight('running_mean', ['C'], [c], { kind: 'constant', value: 0 }, false);
  const runningVar = s.weight('running_var', ['C'], [c], { kind: 'constant', value: 1 }, false);
  const axes = s.b.type(x).dims.map((d) => d.name).filter((n) => n !== 'C');
  const count = reduceCount(s, x, axes);
  const n = (op: string, inputs: number[], attrs = {}) => s.node(op, inputs, attrs, span);
  const k = (v: number) => s.b.constant(v);
  let mean = runningMean;
  let variance = runningVar;
  if (s.options.mode === 'train') {
    mean = n('mul', [n('sum', [x], { axes }), k(1 / count)]);
    const centered = n('sub', [x, mean]);
    variance = n('mul', [n('sum', [n('mul', [centered, centered])], { axes }), k(1 / count)]);
    const blend = (old: number, fresh: number) => n('add', [n('mul', [old, k(1 - momentum)]), n('mul', [fresh, k(momentum)])]);
    const unbiased = n('mul', [variance, k(count / Math.max(count - 1, 1))]);
    const nameOf = (leaf: number) => s.b.node(leaf).attrs.name as string;
    s.stateUpdates.push({ name: nameOf(runningMean), node: blend(runningMean, n('stop_gradient', [mean])) });
    s.stateUpdates.push({ name: nameOf(runningVar), node: blend(runningVar, n('stop_gradient', [unbiased])) });
  }
  const scale = n('mul', [n('rsqrt', [n('add', [variance, k(eps)])]), weight]);
  return s.wrap(n('add', [n('mul', [n('sub', [x, mean]), scale]), bias]));
}
