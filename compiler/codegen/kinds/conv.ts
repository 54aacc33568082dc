// The lowering of the convolution ops: plain 2-D convolutions (stride 1, square kernel, isPlainConv2d) take
// the register-tiled kernel forward and for the input gradient, and for the weight gradient a
// workgroup-per-tile reduction over N and the output positions (a tiled GEMM on GPUs); the other 2-D ones
// (strided, dilated, grouped, rectangular; on GPUs the 1x1 ones too) the implicit GEMMs of conv-igemm.ts;
// depthwise and 3-D ones the direct kernels of conv-direct.ts.
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { Graph, Node } from '../../ir/types.ts';
import type { ConvGeometryNd } from '../../ops/convolution.ts';
import { convAttrs, convGeometryNd, convKernelSizes, isPlainConv2d } from '../../ops/convolution.ts';
import type { KernelContext } from '../context.ts';
import { decompose, dispatchFor, groupEntry } from '../wgsl.ts';
import { convolutionKernel } from './conv-direct.ts';
import { implicitGemmChunks, implicitGemmKernel, usesImplicitGemm } from './conv-igemm.ts';
import { gemmChunks, gradWeightGemm } from './conv-gemm.ts';
import { TILE_CHANNELS, tiledConvKernel } from './conv-tiled.ts';
import type { ConvGeometry, TiledConv } from './conv-tiled.ts';
import type { KernelBody } from './elementwise.ts';

function dims(names: string[], sizes: number[]) {
  return names.map((name, i) => ({ name, size: sizes[i] }));
}

/** A pointwise root computed in a conv's epilogue: the root node, what it inlines, and the conv it reads. */
export interface Epilogue {
  root: Node;
  inlined: Set<number>;
}

/**
 * The WGSL function `epilogue(acc, n, c, y, x)` evaluating the root's pointwise tree with the conv's value
 * `acc`.
 */
function epilogueFunction(ctx: KernelContext, conv: Node, e: Epilogue): string {
  const [n, c, h, w] = e.root.type.dims.map((d) => d.name);
  const { lines, value } = ctx.emitExpression(
    e.root.id,
    e.inlined,
    undefined,
    true,
    new Map([[conv.id, 'acc']]),
  );
  return [
    `fn epilogue(acc: f32, n: u32, c: u32, y: u32, x: u32) -> f32 {`,
    `  let i_${n} = n;`,
    `  let i_${c} = c;`,
    `  let i_${h} = y;`,
    `  let i_${w} = x;`,
    ...lines.map((l) => `  ${l}`),
    `  return ${value};`,
    `}`,
  ].join('\n');
}

/** KernelContext.size. */
type SizeOf = (name: string, value: number) => string;

/** The tiled kernel's sizes and weight layout, without its bindings. */
type TiledShape = Omit<TiledConv, 'input' | 'output' | 'weights' | 'channelTile' | 'epilogue'>;

/** The forward convolution as a tiled kernel: input channels to output channels over the padded input. */
function forwardShape(g: ConvGeometry, size: SizeOf): TiledShape {
  const { n, ci, co, h, w, oh, ow, k, pad } = g;
  return {
    n,
    inChannels: ci,
    outChannels: co,
    h,
    w,
    oh,
    ow,
    k,
    offset: pad,
    weightIndex: (oc, c, ky, kx) =>
      `((${oc} * ${size('wci', ci)} + ${c}) * ${size('k', k)} + ${ky}) * ${size('k', k)} + ${kx}`,
  };
}

/** The input gradient is a convolution of the output gradient with the flipped, transposed weight. */
function gradInputShape(g: ConvGeometry, size: SizeOf): TiledShape {
  const { n, ci, co, h, w, oh, ow, k, pad } = g;
  const last = k - 1;
  return {
    n,
    inChannels: co,
    outChannels: ci,
    h: oh,
    w: ow,
    oh: h,
    ow: w,
    k,
    offset: last - pad,
    weightIndex: (oc, c, ky, kx) =>
      `((${c} * ${size('wci', ci)} + ${oc}) * ${size('k', k)} + ${size('tap', last)} - ${ky}) * ` +
      `${size('k', k)} + ${size('tap', last)} - ${kx}`,
  };
}

/** Runs the tiled kernel of `shape` on the node's input and weight, into the epilogue's root when fused. */
function tiled(
  ctx: KernelContext,
  node: Node,
  shape: TiledShape,
  target: 'gpu' | 'cpu',
  e?: Epilogue,
): KernelBody {
  const input = ctx.bindNode(node.inputs[0]);
  const weights = ctx.bindNode(node.inputs[1]);
  const output = ctx.bindNode(e ? e.root.id : node.id, 'read_write');
  return tiledConvKernel({
    channelTile: target === 'gpu' ? 8 : 4,
    ...shape,
    input,
    output,
    weights,
    epilogue: e && epilogueFunction(ctx, node, e),
    size: (name, value) => ctx.size(name, value),
  });
}

/** Threads per workgroup of the weight gradient; each folds a strided share of the output positions. */
const GRAD_WEIGHT_THREADS = 64;

/**
 * Weight gradient: a workgroup owns a 4 (out) x 4 (in) channel tile at one tap (ky, kx); each thread
 * accumulates the 16 products over a strided share of the N x OH x OW positions, then the workgroup sums the
 * shares.
 */
function gradWeight(ctx: KernelContext, node: Node, g: ConvGeometry, split?: Split): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const grad = ctx.bindNode(node.inputs[1]);
  const out = split ? ctx.bind(split.partial, 'read_write') : ctx.bindNode(node.id, 'read_write');
  const chunks = split?.chunks ?? 1;
  const T = TILE_CHANNELS;
  const outBlocks = Math.ceil(g.co / T);
  const inBlocks = Math.ceil(g.ci / T);
  const groups = outBlocks * inBlocks * g.k * g.k;
  const positions = g.n * g.oh * g.ow;
  const chunkSize = Math.ceil(positions / chunks);
  const weightCount = g.co * g.ci * g.k * g.k;
  const threads = GRAD_WEIGHT_THREADS;
  const sizes = {
    co: g.co,
    ci: g.ci,
    coLast: g.co - 1,
    ciLast: g.ci - 1,
    groups,
    launched: groups * chunks,
    positions,
    chunkSize,
    pad: g.pad,
    h: g.h,
    w: g.w,
    plane: g.h * g.w,
    oh: g.oh,
    ow: g.ow,
    k: g.k,
    weights: weightCount,
  };
  const u = (name: keyof typeof sizes) => ctx.size(name, sizes[name]);
  const i = (name: keyof typeof sizes) => ctx.sizeI32(name, sizes[name]);
  const size = (name: string, value: number) => ctx.size(name, value);
  const lanes = Array.from({ length: T }, (_, r) => r);
  const clampOut = (r: number) => (g.co % T === 0 ? `(o0 + ${r}u)` : `min(o0 + ${r}u, ${u('coLast')})`);
  const clampIn = (r: number) => (g.ci % T === 0 ? `(i0 + ${r}u)` : `min(i0 + ${r}u, ${u('ciLast')})`);
  const body = [
    `var<workgroup> partial: array<vec4<f32>, ${threads * T}>;`,
    ...groupEntry('g', u('launched'), threads),
    `  let chunk = g / ${u('groups')};`,
    `  let t = g % ${u('groups')};`,
    ...decompose('t', dims(['ob', 'ib', 'ky', 'kx'], [outBlocks, inBlocks, g.k, g.k]), 'c_', size).map(
      (l) => `  ${l}`,
    ),
    `  let o0 = c_ob * ${T}u;`,
    `  let i0 = c_ib * ${T}u;`,
    ...lanes.map((r) => `  var a${r} = vec4<f32>(0.0);`),
    `  let end = min(${u('positions')}, (chunk + 1u) * ${u('chunkSize')});`,
    `  for (var p = chunk * ${u('chunkSize')} + lid; p < end; p += ${threads}u) {`,
    ...decompose('p', dims(['n', 'y', 'x'], [g.n, g.oh, g.ow]), 'p_', size).map((l) => `    ${l}`),
    `    let iy = i32(p_y + c_ky) - ${i('pad')};`,
    `    let ix = i32(p_x + c_kx) - ${i('pad')};`,
    `    let inside = iy >= 0 && iy < ${i('h')} && ix >= 0 && ix < ${i('w')};`,
    `    let at = u32(max(iy, 0)) * ${u('w')} + u32(max(ix, 0));`,
    `    let xs = vec4<f32>(` +
      lanes.map((r) => `${x}[(p_n * ${u('ci')} + ${clampIn(r)}) * ${u('plane')} + at]`).join(', ') +
      `);`,
    `    let xv = select(vec4<f32>(0.0), xs, inside);`,
    ...lanes.map(
      (r) =>
        `    a${r} = ` +
        `a${r} + ${grad}[((p_n * ${u('co')} + ${clampOut(r)}) * ${u('oh')} + p_y) * ${u('ow')} + p_x] * xv;`,
    ),
    `  }`,
    ...lanes.map((r) => `  partial[lid * ${T}u + ${r}u] = a${r};`),
    `  workgroupBarrier();`,
    // One barrier, then 4 threads walk the tree of the 64 threads' vec4 shares (the additions of a tree
    // fold, without its barrier in a loop, which costs Mesa's llvmpipe seconds of compilation).
    `  if (lid < ${T}u) {`,
    `    for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {`,
    `      for (var j = 0u; j < s; j++) {`,
    `        partial[j * ${T}u + lid] = partial[j * ${T}u + lid] + partial[(j + s) * ${T}u + lid];`,
    `      }`,
    `    }`,
    `  }`,
    `  workgroupBarrier();`,
    `  if (lid < ${T * T}u) {`,
    `    let r = lid / ${T}u;`,
    `    let q = lid % ${T}u;`,
    `    let total = partial[r][q];`,
    `    let o = o0 + r;`,
    `    let i = i0 + q;`,
    `    if (o < ${u('co')} && i < ${u('ci')}) {`,
    `      ${out}[chunk * ${u('weights')} + ((o * ${u('ci')} + i) * ${u('k')} + c_ky) * ${u('k')} + ` +
      `c_kx] = ` +
      `total;`,
    `    }`,
    `  }`,
    `}`,
  ].join('\n');
  return { body, workgroup: threads, dispatch: dispatchFor(groups * chunks) };
}

export interface Split {
  chunks: number;
  partial: number;
}

/** Chunks of output positions for the weight gradient: up to `target` workgroups, >= 8192 positions each. */
export function gradWeightChunks(
  node: Node,
  input: Node,
  target: number,
  kind: 'gpu' | 'cpu' = 'cpu',
): number {
  if (usesImplicitGemm(node, [input.type], kind))
    return kind === 'gpu' ? implicitGemmChunks(node, input.type, target) : 1;
  if (!tiledConvolution(node, [input.type])) return 1;
  if (kind === 'gpu') {
    const [n, ci, h, w] = input.type.dims.map((d) => d.size);
    const [co, , k] = node.type.dims.map((d) => d.size);
    return gemmChunks({ n, ci, co, h, w, k, pad: 0, oh: h, ow: w }, target);
  }
  const [n, , h, w] = input.type.dims.map((d) => d.size);
  const [co, ci, k] = node.type.dims.map((d) => d.size);
  const groups = Math.ceil(co / TILE_CHANNELS) * Math.ceil(ci / TILE_CHANNELS) * k * k;
  return Math.max(1, Math.min(Math.ceil((n * h * w) / 8192), Math.floor(target / groups)));
}

/** Whether a convolution node takes the tiled kernels (the weight given only when the node has one). */
function tiledConvolution(node: Node, inputs: Node['type'][]): boolean {
  return isPlainConv2d(node.attrs, convKernelSizes(node.op, node.attrs, inputs));
}

/** Whether a convolution node of `graph` takes the tiled kernels (which may run a pointwise epilogue). */
export function isTiledConvolution(graph: Graph, node: Node): boolean {
  return tiledConvolution(
    node,
    node.inputs.map((i) => graph.nodes[i].type),
  );
}

/** The 2-D geometry of a plain convolution. */
function plain(g: ConvGeometryNd): ConvGeometry {
  const [h, w] = g.input;
  const [oh, ow] = g.output;
  return { n: g.n, ci: g.ci, co: g.co, h, w, k: g.kernel[0], pad: g.pad[0], oh, ow };
}

export function convKernel(
  ctx: KernelContext,
  node: Node,
  split?: Split,
  target: 'gpu' | 'cpu' = 'gpu',
  e?: Epilogue,
): KernelBody {
  const inputTypes = node.inputs.map((i) => ctx.graph.nodes[i].type);
  if (usesImplicitGemm(node, inputTypes, target))
    return implicitGemmKernel(
      ctx,
      node,
      split,
      e && { prelude: epilogueFunction(ctx, node, e), root: e.root.id },
    );
  if (!isTiledConvolution(ctx.graph, node))
    return convolutionKernel(ctx, node, e && { prelude: epilogueFunction(ctx, node, e), root: e.root.id });
  const type = (i: number) => ctx.graph.nodes[node.inputs[i]].type;
  const attrs = convAttrs(node.attrs);
  const size: SizeOf = (name, value) => ctx.size(name, value);
  switch (node.op) {
    case 'convolution':
      return tiled(ctx, node, forwardShape(plain(convGeometryNd(type(0), type(1), attrs)), size), target, e);
    case 'convolution_grad_input':
      return tiled(
        ctx,
        node,
        gradInputShape(plain(convGeometryNd(node.type, type(1), attrs)), size),
        target,
        e,
      );
    case 'convolution_grad_weight': {
      const g = plain(convGeometryNd(type(0), node.type, attrs));
      if (target === 'cpu') return gradWeight(ctx, node, g, split);
      const x = ctx.bindNode(node.inputs[0]);
      const gy = ctx.bindNode(node.inputs[1]);
      const out = split ? ctx.bind(split.partial, 'read_write') : ctx.bindNode(node.id, 'read_write');
      return gradWeightGemm(g, x, gy, out, split?.chunks ?? 1);
    }
    default:
      throw new InternalError(`'${node.op}' is not a conv op`);
  }
}
