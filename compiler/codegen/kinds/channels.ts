// Kernels of the channel-group sum (group normalisation statistics) and the seeded random mask (dropout), one
// thread per output element.
import type { Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import { saltBits } from '../../ops/channels.ts';
import type { KernelContext } from '../context.ts';
import { f32Literal, perThreadKernel } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

/** Wellons' lowbias32, as hash32 in ops/channels.ts. */
const HASH = (x: string) => [
  `var h = ${x};`,
  `h = h ^ (h >> 16u);`,
  `h = h * 0x7feb352du;`,
  `h = h ^ (h >> 15u);`,
  `h = h * 0x846ca68bu;`,
  `h = h ^ (h >> 16u);`,
];

/** Each channel gets the sum over its group's channels. */
export function groupSumKernel(ctx: KernelContext, node: Node): KernelBody {
  const total = elementCount(node.type);
  const out = ctx.bindNode(node.id, 'read_write');
  const x = ctx.bindNode(node.inputs[0]);
  const at = node.type.dims.findIndex((d) => d.name === 'C');
  const c = node.type.dims[at].size;
  const inner = node.type.dims.slice(at + 1).reduce((a, d) => a * d.size, 1);
  const size = c / (node.attrs.groups as number);
  return perThreadKernel(total, [
    `let i = t % ${inner}u;`,
    `let ch = (t / ${inner}u) % ${c}u;`,
    `let o = t / ${inner * c}u;`,
    `let first = (ch / ${size}u) * ${size}u;`,
    `var total = 0.0;`,
    `for (var k = first; k < first + ${size}u; k++) { total += ${x}[(o * ${c}u + k) * ${inner}u + i]; }`,
    `${out}[t] = total;`,
  ]);
}

/** A seeded keep-mask, the same bits as randomDraw in ops/channels.ts. */
export function randomMaskKernel(ctx: KernelContext, node: Node): KernelBody {
  const total = elementCount(node.type);
  const out = ctx.bindNode(node.id, 'read_write');
  // The seed: the step uniform while training, else a constant or a scalar tensor.
  const seed = ctx.graph.nodes[node.inputs[0]];
  const seedValue =
    seed.op === 'uniform'
      ? `u32(${ctx.uniform(seed.attrs.name as string)})`
      : seed.op === 'const'
        ? `${(seed.attrs.value as number) >>> 0}u`
        : `u32(${ctx.bindNode(seed.id)}[0])`;
  const p = node.attrs.p as number;
  return perThreadKernel(total, [
    ...HASH(`${seedValue} ^ ${saltBits(node.attrs.salt as number)}u`),
    `let mixed = t * 0x9e3779b9u + h;`,
    ...HASH('mixed').map((l) => l.replace('var h', 'var g').replace(/\bh\b/g, 'g')),
    `let draw = f32(g >> 8u) / 16777216.0;`,
    `${out}[t] = select(0.0, ${f32Literal(1 / (1 - p))}, draw >= ${f32Literal(p)});`,
  ]);
}
