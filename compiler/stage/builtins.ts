// Built-in functions of .seg: pointwise math, named-axis reductions, label helpers and list helpers; the
// layers are in builtin-layers.ts and argument reading in builtin-args.ts.
import type { Span } from '../../grammar/index.ts';
import type { Builtin, BuiltinCall } from './builtin-args.ts';
import {
  allOrAxes,
  arg,
  asList,
  int,
  list,
  numeric,
  reduceCount,
  requireAxes,
  tensorArg,
} from './builtin-args.ts';
import { layerBuiltins } from './builtin-layers.ts';
import { checkSize } from './limits.ts';
import type { Stager } from './stager.ts';
import type { Value } from './values.ts';
import { fail, number } from './values.ts';

export type { Builtin, BuiltinCall } from './builtin-args.ts';
export { checkKeywords } from './builtin-args.ts';

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
  [
    'softplus',
    (s, call) => {
      // max(x, 0) + log1p(exp(-|x|)): log(1 + e^x) without overflow.
      const x = arg(call, 0, 'x');
      if (x.kind === 'number')
        return number(Math.max(x.value, 0) + Math.log1p(Math.exp(-Math.abs(x.value))), false);
      return s.wrap(softplus(s, tensorArg(s, call), call.span));
    },
  ],
  [
    'log_sigmoid',
    (s, call) => {
      // log(sigmoid(x)) = -softplus(-x).
      const x = arg(call, 0, 'x');
      if (x.kind === 'number')
        return number(-(Math.max(-x.value, 0) + Math.log1p(Math.exp(-Math.abs(x.value)))), false);
      const negated = s.node('neg', [tensorArg(s, call)], {}, call.span);
      return s.wrap(s.node('neg', [softplus(s, negated, call.span)], {}, call.span));
    },
  ],
  [
    'leaky_relu',
    (s, call) => {
      const slope = numeric(call, 1, 'slope', 0.01);
      const x = arg(call, 0, 'x');
      if (x.kind === 'number') return number(x.value > 0 ? x.value : slope * x.value, false);
      return s.wrap(s.node('leaky_relu', [tensorArg(s, call)], { slope }, call.span));
    },
  ],
  [
    'clamp',
    (s, call) => {
      const low = numeric(call, 1, 'min', -Infinity);
      const high = numeric(call, 2, 'max', Infinity);
      if (call.positional.length < 2 && !call.named.has('min') && !call.named.has('max')) {
        fail('SEG4012', call.span);
      }
      if (!(low <= high)) fail('SEG4013', call.span, "'clamp'", 'min <= max', `${low} and ${high}`);
      const x = arg(call, 0, 'x');
      if (x.kind === 'number') return number(Math.min(Math.max(x.value, low), high), false);
      // One-sided bounds are the largest finite f32, so the WGSL constant stays finite.
      const limit = 3.4028234663852886e38;
      return s.wrap(
        s.node(
          'clamp',
          [tensorArg(s, call)],
          { min: Math.max(low, -limit), max: Math.min(high, limit) },
          call.span,
        ),
      );
    },
  ],
  ['pow', (s, call) => s.binary('^', arg(call, 0, 'x'), arg(call, 1, 'exponent'), call.span)],
  [
    'where',
    (s, call) => {
      const [c, a, b] = [0, 1, 2].map((i) =>
        s.tensor(arg(call, i, ['condition', 'x', 'y'][i]), call.argSpans[i] ?? call.span),
      );
      return s.wrap(s.node('where', [c, a, b], {}, call.span));
    },
  ],
  [
    'logsumexp',
    (s, call) => {
      // max + log(sum(exp(x - max))), the max held constant (its gradient cancels).
      const x = tensorArg(s, call);
      const axes = requireAxes(s, call, x);
      const peak = s.node('stop_gradient', [s.node('max', [x], { axes }, call.span)], {}, call.span);
      const total = s.node(
        'sum',
        [s.node('exp', [s.node('sub', [x, peak], {}, call.span)], {}, call.span)],
        { axes },
        call.span,
      );
      return s.wrap(s.node('add', [peak, s.node('log', [total], {}, call.span)], {}, call.span));
    },
  ],
  [
    'sigmoid',
    (s, call) => {
      // exp(min(x, 0)) / (1 + exp(-|x|)): never overflows, and neither does its gradient.
      const x = tensorArg(s, call);
      const n = (op: string, inputs: number[]) => s.node(op, inputs, {}, call.span);
      const numerator = n('exp', [n('minimum', [x, s.b.constant(0)])]);
      const denominator = n('add', [s.b.constant(1), n('exp', [n('neg', [n('abs', [x])])])]);
      return s.wrap(n('div', [numerator, denominator]));
    },
  ],
  [
    'softmax',
    (s, call) => {
      const z = tensorArg(s, call);
      const axes = requireAxes(s, call, z);
      const e = s.node('exp', [shifted(s, z, axes, call.span)], {}, call.span);
      return s.wrap(s.node('div', [e, s.node('sum', [e], { axes }, call.span)], {}, call.span));
    },
  ],
  [
    'log_softmax',
    (s, call) => {
      const z = tensorArg(s, call);
      const axes = requireAxes(s, call, z);
      const x = shifted(s, z, axes, call.span);
      const total = s.node('sum', [s.node('exp', [x], {}, call.span)], { axes }, call.span);
      return s.wrap(s.node('sub', [x, s.node('log', [total], {}, call.span)], {}, call.span));
    },
  ],
  [
    'sum',
    (s, call) => {
      const x = arg(call, 0, 'x');
      if (x.kind === 'number') return x;
      const node = tensorArg(s, call);
      const axes = allOrAxes(s, call, node);
      return s.wrap(axes.length === 0 ? node : s.node('sum', [node], { axes }, call.span));
    },
  ],
  [
    'mean',
    (s, call) => {
      const x = arg(call, 0, 'x');
      if (x.kind === 'number') return x;
      const node = tensorArg(s, call);
      const axes = allOrAxes(s, call, node);
      if (axes.length === 0) return s.wrap(node);
      const total = s.node('sum', [node], { axes }, call.span);
      return s.wrap(s.node('mul', [total, s.b.constant(1 / reduceCount(s, node, axes))], {}, call.span));
    },
  ],
  ['max', (s, call) => extremum(s, call, 'maximum', 1)],
  ['min', (s, call) => extremum(s, call, 'minimum', -1)],
  [
    'argmax',
    (s, call) => {
      const node = tensorArg(s, call);
      return s.wrap(s.node('argmax', [node], { axes: requireAxes(s, call, node) }, call.span));
    },
  ],
  [
    'onehot',
    (s, call) => {
      const y = tensorArg(s, call);
      const ignore = int(s, call, 1, 'ignore', 255);
      // Multilabel masks are already one channel per class: the target is [y == 1] (0 where ignored).
      if (s.isMasks(y)) return s.wrap(s.node('eq', [y, s.b.constant(1)], {}, call.span));
      if (s.options.classes !== 1) {
        return s.wrap(s.node('onehot', [y], { dim: 'C', size: s.options.classes, ignore }, call.span));
      }
      // Binary (one logit channel): the channel is the foreground, so the target is [y == 1] (0 where
      // ignored).
      const labels = s.b.type(y).dims;
      const dims = [labels[0], { name: 'C', size: 1 }, ...labels.slice(1)];
      const foreground = s.node('eq', [y, s.b.constant(1)], {}, call.span);
      return s.wrap(
        s.node(
          'expand',
          [foreground],
          { dims: dims.map((d) => d.name), sizes: dims.map((d) => d.size) },
          call.span,
        ),
      );
    },
  ],
  [
    'valid',
    (s, call) => {
      const y = tensorArg(s, call);
      return s.wrap(s.node('valid', [y], { ignore: int(s, call, 1, 'ignore', 255) }, call.span));
    },
  ],
  [
    'multilabel',
    (s, call) => {
      const y = tensorArg(s, call);
      if (s.b.type(y).dtype !== 'u8')
        fail('SEG3003', call.argSpans[0] ?? call.span, 'labels or masks', 'a float tensor');
      return { kind: 'bool', value: s.isMasks(y) };
    },
  ],
  [
    'zip',
    (_s, call) => {
      const lists = call.positional.map((_, i) => asList(call, i));
      const n = Math.min(...lists.map((l) => l.length));
      return list(Array.from({ length: n }, (_, i) => list(lists.map((l) => l[i]))));
    },
  ],
  ['reversed', (_s, call) => list([...asList(call, 0)].reverse())],
  // As Python's: a count below 1 gives an empty list.
  [
    'range',
    (s, call) => {
      const n = Math.max(0, int(s, call, 0, 'n'));
      checkSize('list', n, call.argSpans[0] ?? call.span);
      return list(Array.from({ length: n }, (_, i) => number(i, true)));
    },
  ],
  ['len', (_s, call) => number(asList(call, 0).length, true)],
  [
    'size',
    (s, call) => {
      // size[C](z): the size of a named dim, a compile-time int (for mode switches such as binary when C =
      // 1).
      const x = tensorArg(s, call);
      const axes = requireAxes(s, call, x);
      const dims = s.b.type(x).dims;
      return number(
        axes.reduce((n, axis) => n * dims.find((d) => d.name === axis)!.size, 1),
        true,
      );
    },
  ],
  ...layerBuiltins,
]);

function extremum(s: Stager, call: BuiltinCall, pairwise: string, sign: number): Value {
  if (call.positional.length === 2) {
    const [a, b] = call.positional;
    if (a.kind === 'number' && b.kind === 'number')
      return number(sign > 0 ? Math.max(a.value, b.value) : Math.min(a.value, b.value));
    return s.wrap(
      s.node(pairwise, [s.tensor(a, call.argSpans[0]), s.tensor(b, call.argSpans[1])], {}, call.span),
    );
  }
  const x = tensorArg(s, call);
  const axes = allOrAxes(s, call, x);
  if (sign > 0) return s.wrap(s.node('max', [x], { axes }, call.span));
  const negated = s.node('neg', [x], {}, call.span);
  return s.wrap(s.node('neg', [s.node('max', [negated], { axes }, call.span)], {}, call.span));
}

/** log(1 + e^x) as max(x, 0) + log1p(exp(-|x|)). */
function softplus(s: Stager, x: number, span: Span): number {
  const n = (op: string, inputs: number[]) => s.node(op, inputs, {}, span);
  // maximum splits the gradient at x = 0 (0.5 there, sigmoid(0)), where relu's would be 0.
  const positive = s.node('maximum', [x, s.b.constant(0)], {}, span);
  return n('add', [positive, n('log1p', [n('exp', [n('neg', [n('abs', [x])])])])]);
}
