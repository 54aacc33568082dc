// Pointwise ops: each a scalar rule (oracle), a WGSL expression and a vjp; operands broadcast by dim name.
import type { GraphBuilder } from '../ir/builder.ts';
import type { Node, TensorType } from '../ir/types.ts';
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

const typeOf = (b: GraphBuilder, node: Node, i: number): TensorType => b.type(node.inputs[i]);
const mul = (b: GraphBuilder, x: number, y: number) => b.binary('mul', x, y);

export const elementwiseOps: OpDef[] = [
  pointwise('add', 'a + b', (a, b) => a + b, (a, b) => `(${a} + ${b})`, (b, n, g) => [
    b.unbroadcast(g, typeOf(b, n, 0)),
    b.unbroadcast(g, typeOf(b, n, 1)),
  ]),
  pointwise('sub', 'a - b', (a, b) => a - b, (a, b) => `(${a} - ${b})`, (b, n, g) => [
    b.unbroadcast(g, typeOf(b, n, 0)),
    b.unbroadcast(b.unary('neg', g), typeOf(b, n, 1)),
  ]),
  pointwise('mul', 'a * b', (a, b) => a * b, (a, b) => `(${a} * ${b})`, (b, n, g) => [
    b.unbroadcast(mul(b, g, n.inputs[1]), typeOf(b, n, 0)),
    b.unbroadcast(mul(b, g, n.inputs[0]), typeOf(b, n, 1)),
  ]),
  pointwise('div', 'a / b', (a, b) => a / b, (a, b) => `(${a} / ${b})`, (b, n, g) => {
    const [x, y] = n.inputs;
    const gx = b.binary('div', g, y);
    const gy = b.unary('neg', mul(b, gx, b.binary('div', x, y)));
    return [b.unbroadcast(gx, typeOf(b, n, 0)), b.unbroadcast(gy, typeOf(b, n, 1))];
  }),
  pointwise('neg', '-a', (a) => -a, (a) => `(-${a})`, (b, _n, g) => [b.unary('neg', g)]),
  pointwise('exp', 'e^a', Math.exp, (a) => `exp(${a})`, (b, n, g) => [mul(b, g, n.id)]),
  pointwise('log', 'natural logarithm', Math.log, (a) => `log(${a})`, (b, n, g) => [
    b.binary('div', g, n.inputs[0]),
  ]),
  pointwise('abs', '|a|', Math.abs, (a) => `abs(${a})`, (b, n, g) => [mul(b, g, b.unary('sign', n.inputs[0]))]),
  pointwise('sign', '-1, 0 or 1', Math.sign, (a) => `sign(${a})`, () => [undefined]),
  pointwise('sqrt', 'square root', Math.sqrt, (a) => `sqrt(${a})`, (b, n, g) => [
    b.binary('div', b.scale(g, 0.5), n.id),
  ]),
  pointwise('rsqrt', '1 / sqrt(a)', (a) => 1 / Math.sqrt(a), (a) => `inverseSqrt(${a})`, (b, n, g) => {
    const cube = mul(b, n.id, mul(b, n.id, n.id));
    return [b.scale(mul(b, g, cube), -0.5)];
  }),
  pointwise('relu', 'max(a, 0)', (a) => (a > 0 ? a : 0), (a) => `max(${a}, 0.0)`, (b, n, g) => [
    mul(b, g, b.binary('gt', n.inputs[0], b.constant(0))),
  ]),
  pointwise('maximum', 'larger of a and b (ties split the gradient)', Math.max, (a, b) => `max(${a}, ${b})`,
    (b, n, g) => {
      const [x, y] = n.inputs;
      const first = b.binary('add', b.binary('gt', x, y), b.scale(b.binary('eq', x, y), 0.5));
      const second = b.binary('sub', b.constant(1), first);
      return [b.unbroadcast(mul(b, g, first), typeOf(b, n, 0)), b.unbroadcast(mul(b, g, second), typeOf(b, n, 1))];
    }),
  pointwise('minimum', 'smaller of a and b (ties split the gradient)', Math.min, (a, b) => `min(${a}, ${b})`,
    (b, n, g) => {
      const [x, y] = n.inputs;
      const first = b.binary('add', b.binary('gt', y, x), b.scale(b.binary('eq', x, y), 0.5));
      const second = b.binary('sub', b.constant(1), first);
      return [b.unbroadcast(mul(b, g, first), typeOf(b, n, 0)), b.unbroadcast(mul(b, g, second), typeOf(b, n, 1))];
    }),
  pointwise('gt', '1 where a > b else 0', (a, b) => (a > b ? 1 : 0), (a, b) => `select(0.0, 1.0, ${a} > ${b})`,
    () => [undefined, undefined]),
  pointwise('eq', '1 where a == b else 0', (a, b) => (a === b ? 1 : 0),
    (a, b) => `select(0.0, 1.0, ${a} == ${b})`, () => [undefined, undefined]),
  pointwise('stop_gradient', 'a, with no gradient', (a) => a, (a) => a, () => [undefined]),
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
