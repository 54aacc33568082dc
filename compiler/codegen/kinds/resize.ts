// The lowering of the resizing ops, one thread per output element: whole-number nearest upsampling of 2-D
// tensors (wholeUpsample) takes a dedicated kernel, every other resize (nearest, bi/trilinear, align_corners
// true or false) the general one. The gradients run one thread per input element, gathering from every
// output within reach.
import type { Node } from '../../ir/types.ts';
import type { ResizeAttrs } from '../../ops/pooling.ts';
import { resizeAttrs, spatialShape, wholeUpsample } from '../../ops/pooling.ts';
import { nchw, product } from '../../ops/spatial.ts';
import type { KernelContext } from '../context.ts';
import { decompose, f32Literal, namedDims, perThreadKernel, rowMajor } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';
import { at, perOutput } from './nchw.ts';

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

/** Nearest upsampling by k: each output reads its source. */
function upsample(ctx: KernelContext, node: Node, k: number): KernelBody {
  const out = ctx.bindNode(node.id, 'read_write');
  const x = ctx.bindNode(node.inputs[0]);
  const small = nchw(ctx.graph.nodes[node.inputs[0]].type, node.op);
  return perOutput(
    node,
    nchw(node.type, node.op),
    [],
    `${x}[${at(small, 'c_n', 'c_c', `c_y / ${k}u`, `c_x / ${k}u`)}]`,
    out,
  );
}

/** Its gradient: each input element sums its k x k block of the upsampled gradient. */
function upsampleGrad(ctx: KernelContext, node: Node, k: number): KernelBody {
  const out = ctx.bindNode(node.id, 'read_write');
  const g = ctx.bindNode(node.inputs[0]);
  const big = nchw(ctx.graph.nodes[node.inputs[0]].type, node.op);
  const compute = [
    `var value = 0.0;`,
    `for (var dy = 0u; dy < ${k}u; dy++) {`,
    `  for (var dx = 0u; dx < ${k}u; dx++) {`,
    `    value += ${g}[${at(big, 'c_n', 'c_c', `c_y * ${k}u + dy`, `c_x * ${k}u + dx`)}];`,
    `  }`,
    `}`,
  ];
  return perOutput(node, nchw(node.type, node.op), compute, 'value', out);
}

/** 'resize' and 'resize_grad'. */
export function resizeKernel(ctx: KernelContext, node: Node): KernelBody {
  const small = node.op === 'resize' ? ctx.graph.nodes[node.inputs[0]].type : node.type;
  const k = wholeUpsample(
    small.dims.slice(2).map((d) => d.size),
    node.attrs,
  );
  if (node.op === 'resize') return k === undefined ? resize(ctx, node) : upsample(ctx, node, k);
  return k === undefined ? resizeGrad(ctx, node) : upsampleGrad(ctx, node, k);
}
