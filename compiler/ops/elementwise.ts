// Pointwise ops: each a scalar rule (oracle), a WGSL expression and a vjp; operands broadcast by dim name.
import type { GraphBuilder } from '../ir/builder.ts';
import type { Attrs, Node, TensorType } from '../ir/types.ts';
import { ShapeError } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { elementwiseType } from './op.ts';

type Vjp = (b: GraphBuilder, node: Node, grad: number) => (number | undefined)[];

function pointwise(
  name: string,
  doc: string,
  scalar: (...xs: number[]) => number,
  wgsl: (...xs: string[]) => string,
  vjp?: Vjp,
): OpDef {
  return {
    name,
    kind: 'elementwise',
    doc,
    inferType: (inputs) => {
      if (inputs.length !== scalar.length) throw new ShapeError(`'${name}' takes ${scalar.length} operands`);
      return elementwiseType(inputs);
    },
    scalar: (args) => scalar(...args),
    wgsl: (args) => wgsl(...args),
    vjp,
  };
}

/** A one-operand op with number attributes (an exponent, a slope, bounds). */
function withAttrs(
  name: string,
  doc: string,
  scalar: (a: number, attrs: Attrs) => number,
  wgsl: (a: string, attrs: Attrs) => string,
  vjp: Vjp,
): OpDef {
  return {
    name,
    kind: 'elementwise',
    doc,
    inferType: (inputs) => {
      if (inputs.length !== 1) throw new ShapeError(`'${name}' takes 1 operand`);
      return elementwiseType(inputs);
    },
    scalar: (args, attrs) => scalar(args[0], attrs),
    wgsl: (args, attrs) => wgsl(args[0], attrs),
    vjp,
  };
}

/** A WGSL f32 literal (always with a decimal point or exponent). */
function literal(value: number): string {
  if (!Number.isFinite(value)) throw new ShapeError(`cannot write ${value} as a WGSL constant`);
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** log(1 + a) with the correction of Goldberg's trick: exact where 1 + a rounds to 1. */
function log1pWgsl(a: string): string {
  const u = `(1.0 + ${a})`;
  return `select(log(${u}) * (${a} / (${u} - 1.0)), ${a}, ${u} == 1.0)`;
}

/** WGSL's pow is undefined for a negative base: integer exponents take the sign from the base. */
function powWgsl(a: string, exponent: number): string {
  if (exponent === 1) return a;
  if (exponent === 2) return `(${a} * ${a})`;
  if (!Number.isInteger(exponent)) return `pow(${a}, ${literal(exponent)})`;
  const magnitude = `pow(abs(${a}), ${literal(exponent)})`;
  return exponent % 2 === 0 ? magnitude : `(sign(${a}) * ${magnitude})`;
}

const typeOf = (b: GraphBuilder, node: Node, i: number): TensorType => b.type(node.inputs[i]);
const mul = (b: GraphBuilder, x: number, y: number) => b.binary('mul', x, y);

/** Vjp of maximum (`larger`) or minimum: the gradient goes to the winning operand, split evenly on ties. */
function extremumVjp(larger: boolean): Vjp {
  return (b, n, g) => {
    const [x, y] = n.inputs;
    const wins = larger ? b.binary('gt', x, y) : b.binary('gt', y, x);
    const first = b.binary('add', wins, b.scale(b.binary('eq', x, y), 0.5));
    const second = b.binary('sub', b.constant(1), first);
    return [
      b.unbroadcast(mul(b, g, first), typeOf(b, n, 0)),
      b.unbroadcast(mul(b, g, second), typeOf(b, n, 1)),
    ];
  };
}

export const elementwiseOps: OpDef[] = [
  pointwise(
    'add',
    'a + b',
    (a, b) => a + b,
    (a, b) => `(${a} + ${b})`,
    (b, n, g) => [b.unbroadcast(g, typeOf(b, n, 0)), b.unbroadcast(g, typeOf(b, n, 1))],
  ),
  pointwise(
    'sub',
    'a - b',
    (a, b) => a - b,
    (a, b) => `(${a} - ${b})`,
    (b, n, g) => [b.unbroadcast(g, typeOf(b, n, 0)), b.unbroadcast(b.unary('neg', g), typeOf(b, n, 1))],
  ),
  pointwise(
    'mul',
    'a * b',
    (a, b) => a * b,
    (a, b) => `(${a} * ${b})`,
    (b, n, g) => [
      b.unbroadcast(mul(b, g, n.inputs[1]), typeOf(b, n, 0)),
      b.unbroadcast(mul(b, g, n.inputs[0]), typeOf(b, n, 1)),
    ],
  ),
  pointwise(
    'div',
    'a / b',
    (a, b) => a / b,
    (a, b) => `(${a} / ${b})`,
    (b, n, g) => {
      const [x, y] = n.inputs;
      const gx = b.binary('div', g, y);
      const gy = b.unary('neg', mul(b, gx, b.binary('div', x, y)));
      return [b.unbroadcast(gx, typeOf(b, n, 0)), b.unbroadcast(gy, typeOf(b, n, 1))];
    },
  ),
  pointwise(
    'neg',
    '-a',
    (a) => -a,
    (a) => `(-${a})`,
    (b, _n, g) => [b.unary('neg', g)],
  ),
  pointwise(
    'exp',
    'e^a',
    Math.exp,
    (a) => `exp(${a})`,
    (b, n, g) => [mul(b, g, n.id)],
  ),
  pointwise(
    'log',
    'natural logarithm',
    Math.log,
    (a) => `log(${a})`,
    (b, n, g) => [b.binary('div', g, n.inputs[0])],
  ),
  pointwise(
    'abs',
    '|a|',
    Math.abs,
    (a) => `abs(${a})`,
    (b, n, g) => [mul(b, g, b.unary('sign', n.inputs[0]))],
  ),
  pointwise(
    'sign',
    '-1, 0 or 1',
    Math.sign,
    (a) => `sign(${a})`,
    () => [undefined],
  ),
  pointwise(
    'sqrt',
    'square root',
    Math.sqrt,
    (a) => `sqrt(${a})`,
    (b, n, g) => [b.binary('div', b.scale(g, 0.5), n.id)],
  ),
  pointwise(
    'rsqrt',
    '1 / sqrt(a)',
    (a) => 1 / Math.sqrt(a),
    (a) => `inverseSqrt(${a})`,
    (b, n, g) => {
      const cube = mul(b, n.id, mul(b, n.id, n.id));
      return [b.scale(mul(b, g, cube), -0.5)];
    },
  ),
  pointwise(
    'relu',
    'max(a, 0)',
    (a) => (a > 0 ? a : 0),
    (a) => `max(${a}, 0.0)`,
    (b, n, g) => [mul(b, g, b.binary('gt', n.inputs[0], b.constant(0)))],
  ),
  pointwise(
    'maximum',
    'larger of a and b (ties split the gradient)',
    Math.max,
    (a, b) => `max(${a}, ${b})`,
    extremumVjp(true),
  ),
  pointwise(
    'minimum',
    'smaller of a and b (ties split the gradient)',
    Math.min,
    (a, b) => `min(${a}, ${b})`,
    extremumVjp(false),
  ),
  pointwise(
    'gt',
    '1 where a > b else 0',
    (a, b) => (a > b ? 1 : 0),
    (a, b) => `select(0.0, 1.0, ${a} > ${b})`,
    () => [undefined, undefined],
  ),
  pointwise(
    'eq',
    '1 where a == b else 0',
    (a, b) => (a === b ? 1 : 0),
    (a, b) => `select(0.0, 1.0, ${a} == ${b})`,
    () => [undefined, undefined],
  ),
  pointwise(
    'stop_gradient',
    'a, with no gradient',
    (a) => a,
    (a) => a,
    () => [undefined],
  ),
  pointwise(
    'log1p',
    'log(1 + a), accurate for small a',
    Math.log1p,
    (a) => log1pWgsl(a),
    (b, n, g) => [b.binary('div', g, b.binary('add', b.constant(1), n.inputs[0]))],
  ),
  // tanh from exp(-2|a|), which never overflows (a naive (e^2a - 1) / (e^2a + 1) is inf / inf for large a).
  pointwise(
    'tanh',
    'hyperbolic tangent',
    Math.tanh,
    (a) => `(sign(${a}) * (1.0 - 2.0 / (exp(2.0 * abs(${a})) + 1.0)))`,
    (b, n, g) => [mul(b, g, b.binary('sub', b.constant(1), mul(b, n.id, n.id)))],
  ),
  pointwise(
    'where',
    'b where c is not 0, else d (c: a condition such as a comparison)',
    (c, x, y) => (c !== 0 ? x : y),
    (c, x, y) => `select(${y}, ${x}, ${c} != 0.0)`,
    (b, n, g) => {
      const taken = b.binary('sub', b.constant(1), b.binary('eq', n.inputs[0], b.constant(0)));
      const other = b.binary('eq', n.inputs[0], b.constant(0));
      return [
        undefined,
        b.unbroadcast(mul(b, g, taken), typeOf(b, n, 1)),
        b.unbroadcast(mul(b, g, other), typeOf(b, n, 2)),
      ];
    },
  ),
  withAttrs(
    'pow',
    'a ^ exponent (a number); a < 0 only with an integer exponent',
    (a, attrs) => a ** (attrs.exponent as number),
    (a, attrs) => powWgsl(a, attrs.exponent as number),
    (b, n, g) => {
      const e = n.attrs.exponent as number;
      const lower = e === 2 ? n.inputs[0] : b.add('pow', [n.inputs[0]], { exponent: e - 1 });
      return [b.scale(mul(b, g, lower), e)];
    },
  ),
  withAttrs(
    'leaky_relu',
    'a where a > 0, else slope * a',
    (a, attrs) => (a > 0 ? a : (attrs.slope as number) * a),
    (a, attrs) => `select(${literal(attrs.slope as number)} * ${a}, ${a}, ${a} > 0.0)`,
    (b, n, g) => {
      const slope = n.attrs.slope as number;
      const positive = b.binary('gt', n.inputs[0], b.constant(0));
      return [mul(b, g, b.binary('add', b.constant(slope), b.scale(positive, 1 - slope)))];
    },
  ),
  withAttrs(
    'clamp',
    'a limited to [min, max] (gradient 1 inside, boundaries included, as torch.clamp)',
    (a, attrs) => Math.min(Math.max(a, attrs.min as number), attrs.max as number),
    (a, attrs) => `clamp(${a}, ${literal(attrs.min as number)}, ${literal(attrs.max as number)})`,
    (b, n, g) => {
      const x = n.inputs[0];
      const one = b.constant(1);
      const aboveMin = b.binary('sub', one, b.binary('gt', b.constant(n.attrs.min as number), x));
      const belowMax = b.binary('sub', one, b.binary('gt', x, b.constant(n.attrs.max as number)));
      return [mul(b, g, mul(b, aboveMin, belowMax))];
    },
  ),
  {
    name: 'expand',
    kind: 'elementwise',
    doc: 'a broadcast to the dims in attrs (by name)',
    inferType: (inputs, attrs) => {
      const names = attrs.dims as string[];
      const sizes = attrs.sizes as number[];
      const type: TensorType = { dims: names.map((name, i) => ({ name, size: sizes[i] })), dtype: 'f32' };
      elementwiseType([inputs[0], type]);
      for (const d of inputs[0].dims) {
        if (!names.includes(d.name)) throw new ShapeError(`cannot expand away dimension '${d.name}'`);
      }
      return type;
    },
    scalar: (args) => args[0],
    wgsl: (args) => args[0],
    vjp: (b, n, g) => [b.unbroadcast(g, typeOf(b, n, 0))],
  },
];
