// Kernels of the general pooling and resizing ops (2-D/3-D), one thread per output element; the gradients
// gather, one thread per input element, from the outputs whose windows or taps reach it (no atomics needed).
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { Node } from '../../ir/types.ts';
import type { PoolAttrs, ResizeAttrs, Spatial } from '../../ops/pooling.ts';
import { poolAttrs, poolOutput, resizeAttrs, spatialShape } from '../../ops/pooling.ts';
import type { KernelContext } from '../context.ts';
import { decompose, f32Literal, namedDims, perThreadKernel, rowMajor } from '../wgsl.ts';
import { product } from '../../ops/spatial.ts';
import type { KernelBody } from './elementwise.ts';

const LOWEST = 'bitcast<f32>(0xff7fffffu)';

/** Lines that walk window `w<d>` of output position `op<d>`: `at` (flat input index) and `inside` per tap. */
function windowLoops(s: Spatial, a: PoolAttrs, inner: string[]): string[] {
  const rank = s.sizes.length;
  const open = a.kernel.map((k, d) => `${'  '.repeat(d)}for (var k${d} = 0u; k${d} < ${k}u; k${d}++) {`);
  const body = [
    ...s.sizes.map((_, d) => `let ip${d} = i32(op${d} * ${a.stride[d]}u + k${d}) - ${a.pad[d]};`),
    `let inside = ${s.sizes.map((size, d) => `ip${d} >= 0 && ip${d} < ${size}`).join(' && ')};`,
    `let at = plane * ${product(s.sizes)}u + ${rowMajor(
      s.sizes.map((_, d) => `u32(max(ip${d}, 0))`),
      s.sizes,
    )};`,
    ...inner,
  ].map((l) => `${'  '.repeat(rank)}${l}`);
  const close = a.kernel.map((_, d) => `${'  '.repeat(rank - 1 - d)}}`);
  return [...open, ...body, ...close];
}

/** Lines computing `best_at` (first maximum) or `total` and `count` of the window of output `op<d>`. */
function reduceWindow(x: string, s: Spatial, a: PoolAttrs): string[] {
  if (a.mode === 'max') {
    return [
      `var best = ${LOWEST};`,
      `var best_at = 0u;`,
      ...windowLoops(s, a, [`if (inside && ${x}[at] > best) { best = ${x}[at]; best_at = at; }`]),
    ];
  }
  return [
    `var total = 0.0;`,
    `var count = 0.0;`,
    ...windowLoops(s, a, [`if (inside) { total += ${x}[at]; count += 1.0; }`]),
    ...(a.countPad ? [`count = ${f32Literal(product(a.kernel))};`] : []),
  ];
}

function pool(ctx: KernelContext, node: Node): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const out = ctx.bindNode(node.id, 'read_write');
  const a = poolAttrs(node.attrs);
  const { s, output } = poolOutput(ctx.graph.nodes[node.inputs[0]].type, a);
  const names = output.map((_, d) => `op${d}`);
  return perThreadKernel(s.n * s.c * product(output), [
    ...decompose('t', namedDims(['plane', ...names], [s.n * s.c, ...output]), ''),
    ...reduceWindow(x, s, a),
    `${out}[t] = ${a.mode === 'max' ? 'best' : 'total / count'};`,
  ]);
}

/** One thread per input element: the outputs whose windows hold it, along each dim a small index range. */
function poolGrad(ctx: KernelContext, node: Node): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const g = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(node.id, 'read_write');
  const a = poolAttrs(node.attrs);
  const { s, output } = poolOutput(node.type, a);
  const rank = s.sizes.length;
  const names = s.sizes.map((_, d) => `i${d}`);
  const ranges = s.sizes.flatMap((_, d) => [
    // o·stride − pad <= i <= o·stride − pad + k − 1
    `let lo${d} = u32(max(i32(i${d}) + ${a.pad[d] - a.kernel[d] + 1 + a.stride[d] - 1}, 0)) ` +
      `/ ${a.stride[d]}u;`,
    `let hi${d} = min((i${d} + ${a.pad[d]}u) / ${a.stride[d]}u, ${output[d] - 1}u);`,
  ]);
  const open = s.sizes.map(
    (_, d) => `${'  '.repeat(d)}for (var op${d} = lo${d}; op${d} <= hi${d}; op${d}++) {`,
  );
  const gradAt = `${g}[plane * ${product(output)}u + ${rowMajor(
    output.map((_, d) => `op${d}`),
    output,
  )}]`;
  const inner =
    a.mode === 'max'
      ? [...reduceWindow(x, s, a), `if (best_at == me) { acc += ${gradAt}; }`]
      : [...reduceWindow(x, s, a), `acc += ${gradAt} / count;`];
  const close = s.sizes.map((_, d) => `${'  '.repeat(rank - 1 - d)}}`);
  return perThreadKernel(s.n * s.c * product(s.sizes), [
    ...decompose('t', namedDims(['plane', ...names], [s.n * s.c, ...s.sizes]), ''),
    `let me = t;`,
    ...ranges,
    `var acc = 0.0;`,
    ...open,
    ...inner.map((l) => `${'  '.repeat(rank)}${l}`),
    ...close,
    `${out}[t] = acc;`,
  ]);
}

/** WGSL for the source of output index `o` along a dim: sets `i0<d>`, `i1<d>`, `l<d>` (torch's rules). */
function source(o: string, d: number, inSize: number, outSize: number, a: ResizeAttrs): string[] {
  if (a.mode === 'nearest') {
    const scale = f32Literal(Math.fround(inSize / outSize));
    return [
      `let i0${d} = min(u32(floor(f32(${o}) * ${scale})), ${inSize - 1}u);`,
      `let i1${d} = i0${d};`,
      `let l${d} = 0.0;`,
    ];
  }
  const src = a.alignCorners
    ? `f32(${o}) * ${f32Literal(outSize > 1 ? (inSize - 1) / (outSize - 1) : 0)}`
    : `max((f32(${o}) + 0.5) * ${f32Literal(inSize / outSize)} - 0.5, 0.0)`;
  return [
    `let s${d} = ${src};`,
    `let i0${d} = min(u32(floor(s${d})), ${inSize - 1}u);`,
    `let i1${d} = min(i0${d} + 1u, ${inSize - 1}u);`,
    `let l${d} = s${d} - f32(i0${d});`,
  ];
}

function resize(ctx: KernelContext, node: Node): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const out = ctx.bindNode(node.id, 'read_write');
  const a = resizeAttrs(node.attrs);
  const s = spatialShape(ctx.graph.nodes[node.inputs[0]].type, 'resize');
  const rank = s.sizes.length;
  const names = a.size.map((_, d) => `o${d}`);
  // Every corner of the interpolation cell: a bit per dim picks i0 (weight 1 - l) or i1 (weight l).
  const corners = Array.from({ length: a.mode === 'nearest' ? 1 : 2 ** rank }, (_, c) => {
    const bit = (d: number) => (c >> (rank - 1 - d)) & 1;
    const index = rowMajor(
      s.sizes.map((_, d) => `i${bit(d)}${d}`),
      s.sizes,
    );
    const weight =
      a.mode === 'nearest' ? '1.0' : s.sizes.map((_, d) => (bit(d) ? `l${d}` : `(1.0 - l${d})`)).join(' * ');
    return `${weight} * ${x}[plane * ${product(s.sizes)}u + ${index}]`;
  });
  return perThreadKernel(s.n * s.c * product(a.size), [
    ...decompose('t', namedDims(['plane', ...names], [s.n * s.c, ...a.size]), ''),
    ...s.sizes.flatMap((size, d) => source(`o${d}`, d, size, a.size[d], a)),
    `${out}[t] = ${corners.join(' + ')};`,
  ]);
}

/**
 * One thread per input element: every output along each dim within reach, weighted by its taps on this index.
 */
function resizeGrad(ctx: KernelContext, node: Node): KernelBody {
  const g = ctx.bindNode(node.inputs[0]);
  const out = ctx.bindNode(node.id, 'read_write');
  const a = resizeAttrs(node.attrs);
  const s = spatialShape(node.type, 'resize_grad');
  const rank = s.sizes.length;
  const names = s.sizes.map((_, d) => `i${d}`);
  const ranges = s.sizes.flatMap((size, d) => {
    // Outputs whose source lies within one input step of i: a conservative range, exact weights decide.
    const ratio = Math.max(a.size[d] / size, size > 1 ? (a.size[d] - 1) / (size - 1) : a.size[d]);
    return [
      `let lo${d} = u32(max(floor((f32(i${d}) - 1.0) * ${f32Literal(ratio)}) - 2.0, 0.0));`,
      `let hi${d} = min(u32(ceil((f32(i${d}) + 2.0) * ${f32Literal(ratio)})) + 2u, ${a.size[d] - 1}u);`,
    ];
  });
  const open = s.sizes.map((_, d) => `${'  '.repeat(d)}for (var o${d} = lo${d}; o${d} <= hi${d}; o${d}++) {`);
  const weights = s.sizes.flatMap((size, d) => [
    ...source(`o${d}`, d, size, a.size[d], a),
    a.mode === 'nearest'
      ? `let w${d} = select(0.0, 1.0, i0${d} == i${d});`
      : `let w${d} = select(0.0, 1.0 - l${d}, i0${d} == i${d}) + select(0.0, l${d}, i1${d} == i${d});`,
  ]);
  const gradAt = `${g}[plane * ${product(a.size)}u + ${rowMajor(
    a.size.map((_, d) => `o${d}`),
    a.size,
  )}]`;
  const close = s.sizes.map((_, d) => `${'  '.repeat(rank - 1 - d)}}`);
  return perThreadKernel(s.n * s.c * product(s.sizes), [
    ...decompose('t', namedDims(['plane', ...names], [s.n * s.c, ...s.sizes]), ''),
    ...ranges,
    `var acc = 0.0;`,
    ...open,
    ...[...weights, `acc += ${s.sizes.map((_, d) => `w${d}`).join(' * ')} * ${gradAt};`].map(
      (l) => `${'  '.repeat(rank)}${l}`,
    ),
    ...close,
    `${out}[t] = acc;`,
  ]);
}

export function poolingKernel(ctx: KernelContext, node: Node): KernelBody {
  switch (node.op) {
    case 'pool':
      return pool(ctx, node);
    case 'pool_grad':
      return poolGrad(ctx, node);
    case 'resize':
      return resize(ctx, node);
    case 'resize_grad':
      return resizeGrad(ctx, node);
    default:
      throw new InternalError(`'${node.op}' is not a pooling or resize op`);
  }
}
