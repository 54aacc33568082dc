// Kernels of the general convolution (2-D/3-D, stride, dilation, groups): forward and input gradient with one
// thread per output element, weight gradient with one workgroup per weight element folding every position.
// Direct and simple; conv.ts lowers the stride-1 2-D convolutions of U-Nets to its tiled kernels instead.
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { Node } from '../../ir/types.ts';
import type { ConvGeometryNd } from '../../ops/convolution.ts';
import { convAttrs, convGeometryNd } from '../../ops/convolution.ts';
import type { KernelContext } from '../context.ts';
import {
  decompose,
  dispatchFor,
  groupEntry,
  namedDims,
  perThreadKernel,
  rowMajor,
  workgroupPartial,
  workgroupSum,
} from '../wgsl.ts';
import { product } from '../../ops/spatial.ts';
import type { KernelBody } from './elementwise.ts';

/** Nested loops over the kernel taps `k0, k1, ...` around `inner` lines. */
function tapLoops(g: ConvGeometryNd, inner: string[], indent: string): string[] {
  const lines: string[] = [];
  g.kernel.forEach((k, d) =>
    lines.push(`${indent}${'  '.repeat(d)}for (var k${d} = 0u; k${d} < ${k}u; k${d}++) {`),
  );
  const deep = indent + '  '.repeat(g.kernel.length);
  lines.push(...inner.map((l) => `${deep}${l}`));
  for (let d = g.kernel.length - 1; d >= 0; d--) lines.push(`${indent}${'  '.repeat(d)}}`);
  return lines;
}

/** Input coordinates `ip<d>` of output position `op<d>` at tap `k<d>`, and whether all are inside. */
function inputAt(g: ConvGeometryNd): string[] {
  const lines = g.input.map(
    (_, d) => `let ip${d} = i32(op${d} * ${g.stride[d]}u + k${d} * ${g.dilation[d]}u) - ${g.pad[d]};`,
  );
  const inside = g.input.map((size, d) => `ip${d} >= 0 && ip${d} < ${size}`).join(' && ');
  return [...lines, `let inside = ${inside};`];
}

/** Row-major flat index of the input coordinates `ip<d>` (inside the input). */
function inputIndex(g: ConvGeometryNd): string {
  return rowMajor(
    g.input.map((_, d) => `u32(ip${d})`),
    g.input,
  );
}

/** Row-major flat index of the kernel tap `k<d>`. */
function tapIndex(g: ConvGeometryNd): string {
  return rowMajor(
    g.kernel.map((_, d) => `k${d}`),
    g.kernel,
  );
}

function forward(ctx: KernelContext, node: Node, g: ConvGeometryNd, e?: DirectEpilogue): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const w = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(e ? e.root : node.id, 'read_write');
  const cig = g.ci / g.groups;
  const cog = g.co / g.groups;
  const taps = product(g.kernel);
  const total = g.n * g.co * product(g.output);
  const outNames = g.output.map((_, d) => `op${d}`);
  return withPrelude(
    perThreadKernel(total, [
      ...decompose('t', namedDims(['n', 'o', ...outNames], [g.n, g.co, ...g.output]), ''),
      `let ic0 = (o / ${cog}u) * ${cig}u;`,
      `var acc = 0.0;`,
      ...tapLoops(
        g,
        [
          ...inputAt(g),
          `if (inside) {`,
          `  let at = ${inputIndex(g)};`,
          `  for (var i = 0u; i < ${cig}u; i++) {`,
          `    acc += ${x}[(n * ${g.ci}u + ic0 + i) * ${product(g.input)}u + at] * ` +
            `${w}[(o * ${cig}u + i) * ${taps}u + ${tapIndex(g)}];`,
          `  }`,
          `}`,
        ],
        '',
      ),
      `${out}[t] = ${stored(g, e, 'o', outNames)};`,
    ]),
    e?.prelude,
  );
}

/**
 * One thread per input element: every (output channel of its group, tap) whose output position it reaches.
 */
function gradInput(ctx: KernelContext, node: Node, g: ConvGeometryNd, e?: DirectEpilogue): KernelBody {
  const gy = ctx.bindNode(node.inputs[0]);
  const w = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(e ? e.root : node.id, 'read_write');
  const cig = g.ci / g.groups;
  const cog = g.co / g.groups;
  const taps = product(g.kernel);
  const total = g.n * g.ci * product(g.input);
  const inNames = g.input.map((_, d) => `ip${d}`);
  const reach = g.input.flatMap((_, d) => [
    `let num${d} = i32(ip${d} + ${g.pad[d]}u) - i32(k${d} * ${g.dilation[d]}u);`,
    `let op${d} = u32(max(num${d}, 0)) / ${g.stride[d]}u;`,
  ]);
  const valid = g.input
    .map((_, d) => `num${d} >= 0 && u32(num${d}) % ${g.stride[d]}u == 0u && op${d} < ${g.output[d]}u`)
    .join(' && ');
  const outFlat = rowMajor(
    g.output.map((_, d) => `op${d}`),
    g.output,
  );
  return withPrelude(
    perThreadKernel(total, [
      ...decompose('t', namedDims(['n', 'ic', ...inNames], [g.n, g.ci, ...g.input]), ''),
      `let group = ic / ${cig}u;`,
      `let i = ic % ${cig}u;`,
      `var acc = 0.0;`,
      ...tapLoops(
        g,
        [
          ...reach,
          `if (${valid}) {`,
          `  let at = ${outFlat};`,
          `  for (var oc = group * ${cog}u; oc < (group + 1u) * ${cog}u; oc++) {`,
          `    acc += ${gy}[(n * ${g.co}u + oc) * ${product(g.output)}u + at] * ` +
            `${w}[(oc * ${cig}u + i) * ${taps}u + ${tapIndex(g)}];`,
          `  }`,
          `}`,
        ],
        '',
      ),
      `${out}[t] = ${stored(g, e, 'ic', inNames)};`,
    ]),
    e?.prelude,
  );
}

const GRAD_WEIGHT_THREADS = 64;

/**
 * One workgroup per weight element: its threads fold strided shares of the N x output positions, then sum.
 */
function gradWeight(ctx: KernelContext, node: Node, g: ConvGeometryNd): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const gy = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(node.id, 'read_write');
  const cig = g.ci / g.groups;
  const cog = g.co / g.groups;
  const weights = g.co * cig * product(g.kernel);
  const positions = g.n * product(g.output);
  const threads = GRAD_WEIGHT_THREADS;
  const kNames = g.kernel.map((_, d) => `k${d}`);
  const outNames = g.output.map((_, d) => `op${d}`);
  const inFlat = inputIndex(g);
  const outFlat = rowMajor(outNames, g.output);
  const body = [
    workgroupPartial(threads),
    ...groupEntry('e', weights, threads),
    ...decompose('e', namedDims(['o', 'i', ...kNames], [g.co, cig, ...g.kernel]), '').map((l) => `  ${l}`),
    `  let ic = (o / ${cog}u) * ${cig}u + i;`,
    `  var acc = 0.0;`,
    `  for (var p = lid; p < ${positions}u; p += ${threads}u) {`,
    ...decompose('p', namedDims(['n', ...outNames], [g.n, ...g.output]), '').map((l) => `    ${l}`),
    ...inputAt(g).map((l) => `    ${l}`),
    `    if (inside) {`,
    `      acc += ${gy}[(n * ${g.co}u + o) * ${product(g.output)}u + ${outFlat}] * ` +
      `${x}[(n * ${g.ci}u + ic) * ${product(g.input)}u + ${inFlat}];`,
    `    }`,
    `  }`,
    ...workgroupSum(threads, 'acc', (sum) => `${out}[e] = ${sum};`, ctx.sharedSizes),
    `}`,
  ].join('\n');
  return { body, workgroup: threads, dispatch: dispatchFor(weights) };
}

function withPrelude(kernel: KernelBody, prelude?: string): KernelBody {
  return prelude ? { ...kernel, body: `${prelude}\n\n${kernel.body}` } : kernel;
}

/** A fused pointwise epilogue: the WGSL function epilogue(acc, n, c, y, x) and the root it stores into. */
export interface DirectEpilogue {
  prelude: string;
  root: number;
}

/** The value stored: `acc`, or the epilogue of it at (n, channel, position) of a 2-D convolution. */
function stored(
  g: ConvGeometryNd,
  e: DirectEpilogue | undefined,
  channel: string,
  position: string[],
): string {
  if (!e) return 'acc';
  if (g.input.length !== 2) throw new InternalError('a conv epilogue is 2-D');
  return `epilogue(acc, n, ${channel}, ${position.join(', ')})`;
}

export function convolutionKernel(ctx: KernelContext, node: Node, e?: DirectEpilogue): KernelBody {
  const type = (i: number) => ctx.graph.nodes[node.inputs[i]].type;
  const attrs = convAttrs(node.attrs);
  switch (node.op) {
    case 'convolution':
      return forward(ctx, node, convGeometryNd(type(0), type(1), attrs), e);
    case 'convolution_grad_input':
      return gradInput(ctx, node, convGeometryNd(node.type, type(1), attrs), e);
    case 'convolution_grad_weight':
      return gradWeight(ctx, node, convGeometryNd(type(0), node.type, attrs));
    default:
      throw new InternalError(`'${node.op}' is not a general convolution op`);
  }
}
