// The lowering of the pooling ops, one thread per output element: the U-Net's k x k stride-k max pooling of
// 2-D tensors (squareMaxPool) takes a dedicated window kernel, every other pooling (max and average; 2-D and
// 3-D; kernel, stride, padding) the general one. The gradients run one thread per input element, gathering
// from the outputs whose windows reach it (no atomics needed).
import type { Node } from '../../ir/types.ts';
import type { PoolAttrs, Spatial } from '../../ops/pooling.ts';
import { poolAttrs, poolOutput, squareMaxPool } from '../../ops/pooling.ts';
import type { Nchw } from '../../ops/spatial.ts';
import { nchw, product } from '../../ops/spatial.ts';
import type { KernelContext } from '../context.ts';
import { decompose, f32Literal, namedDims, perThreadKernel, rowMajor } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';
import { at, perOutput } from './nchw.ts';

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

/** WGSL lines finding the first maximum (row-major) of pooling window (wy, wx): sets best_y, best_x. */
function windowArgmax(input: string, s: Nchw, k: number, wy: string, wx: string): string[] {
  return [
    `var best = bitcast<f32>(0xff7fffffu);`,
    `var best_y = ${wy} * ${k}u;`,
    `var best_x = ${wx} * ${k}u;`,
    `for (var dy = 0u; dy < ${k}u; dy++) {`,
    `  for (var dx = 0u; dx < ${k}u; dx++) {`,
    `    let v = ${input}[${at(s, 'c_n', 'c_c', `${wy} * ${k}u + dy`, `${wx} * ${k}u + dx`)}];`,
    `    if (v > best) { best = v; best_y = ${wy} * ${k}u + dy; best_x = ${wx} * ${k}u + dx; }`,
    `  }`,
    `}`,
  ];
}

/** k x k max pooling with stride k: one thread per output scans its window. */
function squarePool(ctx: KernelContext, node: Node, k: number): KernelBody {
  const out = ctx.bindNode(node.id, 'read_write');
  const x = ctx.bindNode(node.inputs[0]);
  const self = nchw(node.type, node.op);
  return perOutput(
    node,
    self,
    windowArgmax(x, nchw(ctx.graph.nodes[node.inputs[0]].type, node.op), k, 'c_y', 'c_x'),
    'best',
    out,
  );
}

/** Its gradient: each input element takes the gradient of its window if it is that window's first maximum. */
function squarePoolGrad(ctx: KernelContext, node: Node, k: number): KernelBody {
  const out = ctx.bindNode(node.id, 'read_write');
  const [x, g] = [ctx.bindNode(node.inputs[0]), ctx.bindNode(node.inputs[1])];
  const self = nchw(node.type, node.op);
  const pooled = nchw(ctx.graph.nodes[node.inputs[1]].type, node.op);
  const compute = [
    `var value = 0.0;`,
    `let wy = c_y / ${k}u;`,
    `let wx = c_x / ${k}u;`,
    `if (wy < ${pooled.h}u && wx < ${pooled.w}u) {`,
    ...windowArgmax(x, self, k, 'wy', 'wx').map((l) => `  ${l}`),
    `  if (best_y == c_y && best_x == c_x) { value = ${g}[${at(pooled, 'c_n', 'c_c', 'wy', 'wx')}]; }`,
    `}`,
  ];
  return perOutput(node, self, compute, 'value', out);
}

/** 'pool' and 'pool_grad'. */
export function poolKernel(ctx: KernelContext, node: Node): KernelBody {
  const k = squareMaxPool(node.attrs);
  if (node.op === 'pool') return k === undefined ? pool(ctx, node) : squarePool(ctx, node, k);
  return k === undefined ? poolGrad(ctx, node) : squarePoolGrad(ctx, node, k);
}
