// Built-in layers: convolutions, normalisations, dropout, pooling, resizing, linear maps, padding and channel
// concatenation. Each creates its weights (named by call path) and stages IR ops; torch's semantics and init.
import type { Span } from '../../grammar/index.ts';
import { quote, suggest } from '../../diagnostics/index.ts';
import { ShapeError } from '../ir/types.ts';
import type { TensorType } from '../ir/types.ts';
import { convWeightType, transposedSizes } from '../ops/convolution.ts';
import type { Builtin, BuiltinCall } from './builtin-args.ts';
import { arg, int, numeric, perDim, reduceCount, signedPerDim, tensorArg, text } from './builtin-args.ts';
import type { Stager } from './stager.ts';
import type { Value } from './values.ts';
import { describeValue, fail, failWithHint } from './values.ts';

export const layerBuiltins: [string, Builtin][] = [
  [
    'conv',
    (s, call) => {
      const x = tensorArg(s, call);
      const out = int(s, call, 1, 'c');
      const rank = s.b.type(x).dims.length - 2;
      const k = perDim(s, call, 2, 'k', rank, 3);
      const pad = perDim(s, call, 3, 'pad', rank, 0, true);
      const bias = arg(call, 4, 'bias', { kind: 'bool', value: true });
      const stride = perDim(s, call, 5, 'stride', rank, 1);
      const dilation = perDim(s, call, 6, 'dilation', rank, 1);
      const groups = int(s, call, 7, 'groups', 1);
      const input = groupedChannels(s, call, x, out, groups);
      const taps = k.reduce((a, b) => a * b, 1);
      const fans = { in: (input / groups) * taps, out: out * taps };
      return layer(s, call, convWeightType(out, input / groups, k), fans, bias, out, (weight) =>
        s.node('convolution', [x, weight], { stride, pad, dilation, groups }, call.span),
      );
    },
  ],
  [
    'conv_transpose',
    (s, call) => {
      // torch ConvTranspose2d/3d: weight [C_in, c / groups, k...], output (in - 1)·stride − 2·pad + k +
      // output_pad.
      const x = tensorArg(s, call);
      const out = int(s, call, 1, 'c');
      const rank = s.b.type(x).dims.length - 2;
      const k = perDim(s, call, 2, 'k', rank, 2);
      const stride = perDim(s, call, 3, 'stride', rank, 1);
      const pad = perDim(s, call, 4, 'pad', rank, 0, true);
      const outputPad = perDim(s, call, 5, 'output_pad', rank, 0, true);
      const bias = arg(call, 6, 'bias', { kind: 'bool', value: true });
      const groups = int(s, call, 7, 'groups', 1);
      const input = groupedChannels(s, call, x, out, groups);
      const attrs = { stride, pad, dilation: stride.map(() => 1), groups };
      const sizes = s.b
        .type(x)
        .dims.slice(2)
        .map((d) => d.size);
      // torch computes the fans of a transposed conv from its weight's dims: in c / groups, out C_in.
      const taps = k.reduce((a, b) => a * b, 1);
      const fans = { in: (out / groups) * taps, out: input * taps };
      return layer(s, call, convWeightType(input, out / groups, k), fans, bias, out, (weight) => {
        const target = shapeChecked(call, () => transposedSizes(sizes, k, attrs, outputPad));
        return s.node('convolution_grad_input', [x, weight], { ...attrs, input: target }, call.span);
      });
    },
  ],
  [
    'batchnorm',
    (s, call) => {
      const x = tensorArg(s, call);
      const eps = numeric(call, 1, 'eps', 1e-5);
      const momentum = numeric(call, 2, 'momentum', 0.1);
      return s.scoped('batchnorm', () => batchnorm(s, x, eps, momentum, call.span));
    },
  ],
  [
    'linear',
    (s, call) => {
      // A dense layer over C (torch Linear on [N,C]; a 1x1 layer on [N,C,S]): weight [O,I], bias [O].
      const x = tensorArg(s, call);
      const out = int(s, call, 1, 'c');
      const bias = arg(call, 2, 'bias', { kind: 'bool', value: true });
      const input = s.b.type(x).dims.find((d) => d.name === 'C')?.size;
      if (!input) fail('SEG4020', call.span, "'linear'");
      const weightType: TensorType = {
        dims: [
          { name: 'O', size: out },
          { name: 'I', size: input },
        ],
        dtype: 'f32',
      };
      return layer(s, call, weightType, { in: input, out }, bias, out, (weight) =>
        s.node('channel_mix', [x, weight], {}, call.span),
      );
    },
  ],
  [
    'pad',
    (s, call) => {
      // Constant padding of every spatial dim by `p` on both sides (a number, or one per dim); negative
      // crops.
      const x = tensorArg(s, call);
      const rank = s.b.type(x).dims.length - 2;
      const amounts = signedPerDim(s, call, 1, 'p', rank);
      const value = numeric(call, 2, 'value', 0);
      return s.wrap(s.node('pad', [x], { before: amounts, after: amounts, value }, call.span));
    },
  ],
  [
    'groupnorm',
    (s, call) => {
      const x = tensorArg(s, call);
      const groups = int(s, call, 1, 'groups', 32);
      const eps = numeric(call, 2, 'eps', 1e-5);
      const channels = s.b.type(x).dims.find((d) => d.name === 'C')?.size;
      if (!channels || channels % groups !== 0) {
        fail('SEG4021', call.span, "'groupnorm'", groups, channels ?? 'none');
      }
      return s.scoped('groupnorm', () => groupnorm(s, x, groups, eps, call.span));
    },
  ],
  ['dropout', (s, call) => dropout(s, call, false)],
  ['dropout2d', (s, call) => dropout(s, call, true)],
  ['maxpool', (s, call) => pooling(s, call, 'max')],
  ['avgpool', (s, call) => pooling(s, call, 'avg')],
  [
    'upsample',
    (s, call) => {
      const x = tensorArg(s, call);
      const rank = s.b.type(x).dims.length - 2;
      const scale = perDim(s, call, 1, 'scale', rank, 2);
      if (scale.some((v) => v < 1))
        fail('SEG4013', call.span, "'upsample'", 'scales of at least 1', scale.join('x'));
      const mode = text(call, 2, 'mode', 'nearest');
      const sizes = s.b
        .type(x)
        .dims.slice(2)
        .map((d, i) => d.size * scale[i]);
      return s.wrap(resize(s, call, x, sizes, mode, 3));
    },
  ],
  [
    'resize',
    (s, call) => {
      const x = tensorArg(s, call);
      const rank = s.b.type(x).dims.length - 2;
      const sizes = perDim(s, call, 1, 'size', rank, 1);
      return s.wrap(resize(s, call, x, sizes, text(call, 2, 'mode', 'linear'), 3));
    },
  ],
  [
    'concat',
    (s, call) => {
      if (call.axes.length !== 1 || call.axes[0].name !== 'C') {
        fail('SEG4023', call.span);
      }
      const parts = call.positional.map((v, i) => s.tensor(v, call.argSpans[i]));
      if (parts.length < 2) fail('SEG4024', call.span);
      return s.wrap(
        parts.slice(1).reduce((acc, part) => s.node('concat', [acc, part], {}, call.span), parts[0]),
      );
    },
  ],
];

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
  const groupMean = (t: number) =>
    n('mul', [
      n('group_sum', [others.length ? n('sum', [t], { axes: others }) : t], { groups }),
      k(1 / count),
    ]);
  const centred = n('sub', [x, groupMean(x)]);
  const variance = groupMean(n('mul', [centred, centred]));
  const normalised = n('mul', [centred, n('rsqrt', [n('add', [variance, k(eps)])])]);
  const weight = s.weight('weight', ['C'], [c], { kind: 'constant', value: 1 });
  const bias = s.weight('bias', ['C'], [c], { kind: 'constant', value: 0 });
  return s.wrap(n('add', [n('mul', [normalised, weight]), bias]));
}

/**
 * Dropout while training (identity in evaluation): each element (or, for dropout2d, each channel of each
 * image) is kept with probability 1 - p and scaled by 1 / (1 - p). The masks are seeded by the step, so a
 * resumed run draws the same ones.
 */
function dropout(s: Stager, call: BuiltinCall, channels: boolean): Value {
  const x = tensorArg(s, call);
  const p = numeric(call, 1, 'p', 0.5);
  if (!(p >= 0 && p < 1)) fail('SEG4013', call.span, quote(call.name), 'p in [0, 1)', p);
  if (s.options.mode === 'eval' || p === 0) return s.wrap(x);
  const dims = s.b.type(x).dims.filter((d) => !channels || d.name === 'N' || d.name === 'C');
  const seed = s.b.add('uniform', [], { name: 'step' });
  const mask = s.node(
    'random_mask',
    [seed],
    { p, salt: s.b.nodes.length, dims: dims.map((d) => d.name), sizes: dims.map((d) => d.size) },
    call.span,
  );
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
  if (countPad.kind !== 'bool')
    fail('SEG3003', call.span, "true or false for 'count_pad'", describeValue(countPad));
  return s.wrap(s.node('pool', [x], { mode, kernel, stride, pad, count_pad: countPad.value }, call.span));
}

/**
 * Resizing to `sizes` ('nearest' or 'linear', i.e. bilinear/trilinear), with `align_corners` at `alignAt`.
 */
function resize(
  s: Stager,
  call: BuiltinCall,
  x: number,
  sizes: number[],
  mode: string,
  alignAt: number,
): number {
  if (mode !== 'nearest' && mode !== 'linear') {
    failWithHint(suggest(mode, ['nearest', 'linear']), 'SEG4017', call.span, quote(call.name), `"${mode}"`);
  }
  const align = arg(call, alignAt, 'align_corners', { kind: 'bool', value: false });
  if (align.kind !== 'bool')
    fail('SEG3003', call.span, "true or false for 'align_corners'", describeValue(align));
  if (sizes.some((v) => v < 1))
    fail('SEG4013', call.span, quote(call.name), 'output sizes of at least 1', sizes.join('x'));
  return s.node('resize', [x], { mode, size: sizes, align_corners: align.value }, call.span);
}

/**
 * Batch normalisation over every dim but C (torch BatchNorm: `weight`, `bias`, `running_mean`, `running_var`,
 * `num_batches_tracked`); training mode also updates the running statistics and counts the batch.
 */
function batchnorm(s: Stager, x: number, eps: number, momentum: number, span: Span): Value {
  const channels = s.b.type(x).dims.find((d) => d.name === 'C');
  if (!channels) return fail('SEG4020', span, "'batchnorm'");
  const c = channels.size;
  const weight = s.weight('weight', ['C'], [c], { kind: 'constant', value: 1 });
  const bias = s.weight('bias', ['C'], [c], { kind: 'constant', value: 0 });
  const runningMean = s.weight('running_mean', ['C'], [c], { kind: 'constant', value: 0 }, false);
  const runningVar = s.weight('running_var', ['C'], [c], { kind: 'constant', value: 1 }, false);
  // torch's step counter (int64, unused with a fixed momentum): counted on the device, saved as int64.
  const batches = s.weight('num_batches_tracked', [], [], { kind: 'constant', value: 0 }, false, 'i64');
  const axes = s.b
    .type(x)
    .dims.map((d) => d.name)
    .filter((n) => n !== 'C');
  const count = reduceCount(s, x, axes);
  const n = (op: string, inputs: number[], attrs = {}) => s.node(op, inputs, attrs, span);
  const k = (v: number) => s.b.constant(v);
  let mean = runningMean;
  let variance = runningVar;
  if (s.options.mode === 'train') {
    mean = n('mul', [n('sum', [x], { axes }), k(1 / count)]);
    const centered = n('sub', [x, mean]);
    variance = n('mul', [n('sum', [n('mul', [centered, centered])], { axes }), k(1 / count)]);
    const blend = (old: number, fresh: number) =>
      n('add', [n('mul', [old, k(1 - momentum)]), n('mul', [fresh, k(momentum)])]);
    const unbiased = n('mul', [variance, k(count / Math.max(count - 1, 1))]);
    const nameOf = (leaf: number) => s.b.node(leaf).attrs.name as string;
    s.stateUpdates.push({ name: nameOf(runningMean), node: blend(runningMean, n('stop_gradient', [mean])) });
    s.stateUpdates.push({
      name: nameOf(runningVar),
      node: blend(runningVar, n('stop_gradient', [unbiased])),
    });
    s.stateUpdates.push({ name: nameOf(batches), node: n('add', [batches, k(1)]) });
  }
  const scale = n('mul', [n('rsqrt', [n('add', [variance, k(eps)])]), weight]);
  return s.wrap(n('add', [n('mul', [n('sub', [x, mean]), scale]), bias]));
}

/** The input channels of a grouped layer, checked: groups must divide them and the output channels `out`. */
function groupedChannels(s: Stager, call: BuiltinCall, x: number, out: number, groups: number): number {
  const input = s.b.type(x).dims.find((d) => d.name === 'C')?.size ?? 0;
  if (groups < 1 || input % groups !== 0 || out % groups !== 0) {
    fail('SEG4022', call.span, quote(call.name), groups, input, out);
  }
  return input;
}

/** The initialisations a layer's `init` names (its weight's bound from the fans; its bias's init). */
const INITS: Record<string, (fans: { in: number; out: number }) => { weight: number; bias?: number }> = {
  // torch's default (kaiming_uniform(a = sqrt(5)), and the bias U(-b, b)): b = 1 / sqrt(fan_in).
  torch: (f) => ({ weight: 1 / Math.sqrt(f.in), bias: 1 / Math.sqrt(f.in) }),
  // kaiming_uniform(mode = fan_in, nonlinearity = relu): b = gain sqrt(3 / fan_in), gain sqrt(2); bias 0.
  kaiming: (f) => ({ weight: Math.sqrt(6 / f.in) }),
  // xavier_uniform: b = sqrt(6 / (fan_in + fan_out)); bias 0.
  xavier: (f) => ({ weight: Math.sqrt(6 / (f.in + f.out)) }),
};

/**
 * A layer with a weight of `weightType` and, when `bias` is true, a bias over C, named in the layer's own
 * scope and initialised as its `init` says: "torch" (the default, as torch's layers), "kaiming" or "xavier"
 * (as smp's initialize_decoder and initialize_head: uniform weights, zero bias). `fans`: torch's fan_in and
 * fan_out.
 */
function layer(
  s: Stager,
  call: BuiltinCall,
  weightType: TensorType,
  fans: { in: number; out: number },
  bias: Value,
  out: number,
  apply: (weight: number) => number,
): Value {
  const init = text(call, call.name === 'linear' ? 3 : 8, 'init', 'torch');
  if (!Object.hasOwn(INITS, init))
    failWithHint(suggest(init, Object.keys(INITS)), 'SEG4018', call.span, quote(call.name), `"${init}"`);
  const bounds = INITS[init](fans);
  return s.scoped(call.name, () => {
    const weight = s.weight(
      'weight',
      weightType.dims.map((d) => d.name),
      weightType.dims.map((d) => d.size),
      { kind: 'uniform', bound: bounds.weight },
    );
    const y = apply(weight);
    if (bias.kind !== 'bool' || !bias.value) return s.wrap(y);
    const biasInit =
      bounds.bias === undefined
        ? { kind: 'constant' as const, value: 0 }
        : { kind: 'uniform' as const, bound: bounds.bias };
    return s.wrap(s.node('add', [y, s.weight('bias', ['C'], [out], biasInit)], {}, call.span));
  });
}

/** A shape rule evaluated outside an IR node: its ShapeError becomes a diagnostic at the call. */
function shapeChecked<T>(call: BuiltinCall, rule: () => T): T {
  try {
    return rule();
  } catch (error) {
    if (error instanceof ShapeError) return fail('SEG3004', call.span, `'${call.name}'`, error.message);
    throw error;
  }
}
