// Implicit-GEMM convolutions for every 2-D geometry (stride, dilation, padding, rectangular kernels, groups),
// on the GEMM template of gemm.ts, one GEMM per group:
// - forward: C[o, p] = sum_j W[o, j] * patch[j, p], o output channel, p = (n, oy, ox), j = (i, ky, kx);
// - input gradient: C[i, q] = sum_j W[o, i, ky, kx] * gy[n, o, oy, ox], q = (n, iy, ix), j = (o, ky, kx),
//   where (oy, ox) = ((iy + pad - ky * dil) / stride, ...) when that divides exactly and lands inside (the
//   transposed convolution's indexing; taps that miss are zeros);
// - weight gradient: C[o, j] = sum_p gy[o, p] * patch[j, p], split-K over p into chunks of partials.
// A 1x1 stride-1 unpadded convolution is a plain GEMM (no patch indexing). The tile is chosen per shape
// (gemmTileFor); measuring tiles on the device and caching the choice is future work.
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { Node, TensorType } from '../../ir/types.ts';
import type { ConvGeometryNd } from '../../ops/convolution.ts';
import {
  convAttrs,
  convGeometryNd,
  convKernelSizes,
  isDirectConv,
  isPlainConv2d,
} from '../../ops/convolution.ts';
import type { KernelContext } from '../context.ts';
import type { KernelBody } from './elementwise.ts';
import type { GemmOperand, GemmTile } from './gemm.ts';
import { gemmKernel } from './gemm.ts';

/** A 2-D geometry in the terms of the kernels. */
export interface Conv2d {
  n: number;
  ci: number;
  co: number;
  groups: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sy: number;
  sx: number;
  py: number;
  px: number;
  dy: number;
  dx: number;
}

export function conv2d(g: ConvGeometryNd): Conv2d {
  return {
    n: g.n,
    ci: g.ci,
    co: g.co,
    groups: g.groups,
    h: g.input[0],
    w: g.input[1],
    oh: g.output[0],
    ow: g.output[1],
    kh: g.kernel[0],
    kw: g.kernel[1],
    sy: g.stride[0],
    sx: g.stride[1],
    py: g.pad[0],
    px: g.pad[1],
    dy: g.dilation[0],
    dx: g.dilation[1],
  };
}

/** A 1x1 convolution of stride 1 without padding: a plain GEMM over positions. */
export const isPointwise = (g: Conv2d) =>
  g.kh === 1 && g.kw === 1 && g.sy === 1 && g.sx === 1 && g.py === 0 && g.px === 0;

/** The per-group sizes (M, N, K) of the forward GEMM... */
export function forwardSizes(g: Conv2d): [number, number, number] {
  return [g.co / g.groups, g.n * g.oh * g.ow, (g.ci / g.groups) * g.kh * g.kw];
}
/** ...of the input gradient's... */
export function gradInputSizes(g: Conv2d): [number, number, number] {
  return [g.ci / g.groups, g.n * g.h * g.w, (g.co / g.groups) * g.kh * g.kw];
}
/** ...and of the weight gradient's. */
export function gradWeightSizes(g: Conv2d): [number, number, number] {
  return [g.co / g.groups, (g.ci / g.groups) * g.kh * g.kw, g.n * g.oh * g.ow];
}

/** Rows (or columns) of a tile for a dimension of size `size`: the least power of 2 in 4..64 covering it. */
const side = (size: number) => Math.min(64, Math.max(4, 2 ** Math.ceil(Math.log2(size))));

/**
 * The tile for a GEMM of M x N (x K): 64 x 64 (128 x 64 with 8 rows per thread when both sides are large)
 * shrunk to the problem's sides, with a 16-deep K slice. A heuristic; tiles measured per shape on the device
 * would replace it.
 */
export function gemmTileFor(m: number, n: number, batches = 1): GemmTile {
  if (m >= 128 && n >= 128 && Math.ceil(m / 128) * Math.ceil(n / 64) * batches >= 128)
    return { bm: 128, bn: 64, bk: 16, tm: 8 };
  return { bm: side(m), bn: side(n), bk: 16, tm: 4 };
}

/** Split-K chunks of the weight gradient: up to `target` workgroups in all, at least 4096 positions each. */
export function igemmGradWeightChunks(g: Conv2d, target: number): number {
  const [m, n, k] = gradWeightSizes(g);
  const t = gemmTileFor(m, n, g.groups);
  const tiles = Math.ceil(m / t.bm) * Math.ceil(n / t.bn) * g.groups;
  return Math.max(1, Math.min(Math.ceil(k / 4096), Math.floor(target / tiles)));
}

interface Names {
  x: string;
  w: string;
  gy: string;
  out: string;
}

/** The patch element (i, ky, kx) of group `gi` at output position (n, oy, ox) of the input `x`. */
function patch(g: Conv2d, x: string, j: string, p: string): { lines: string[]; value: string } {
  const cig = g.ci / g.groups;
  const plane = g.oh * g.ow;
  if (isPointwise(g)) {
    return {
      lines: [`let pn = ${p} / ${plane}u;`],
      value: `${x}[(pn * ${g.ci}u + gi * ${cig}u + ${j}) * ${plane}u + ${p} % ${plane}u]`,
    };
  }
  const taps = g.kh * g.kw;
  return {
    lines: [
      `let pn = ${p} / ${plane}u;`,
      `let oy = (${p} % ${plane}u) / ${g.ow}u;`,
      `let ox = ${p} % ${g.ow}u;`,
      `let ji = ${j} / ${taps}u;`,
      `let ky = (${j} % ${taps}u) / ${g.kw}u;`,
      `let kx = ${j} % ${g.kw}u;`,
      `let iy = i32(oy * ${g.sy}u + ky * ${g.dy}u) - ${g.py};`,
      `let ix = i32(ox * ${g.sx}u + kx * ${g.dx}u) - ${g.px};`,
    ],
    value:
      `select(0.0, ${x}[((pn * ${g.ci}u + gi * ${cig}u + ji) * ${g.h}u + u32(max(iy, 0))) * ${g.w}u + ` +
      `u32(max(ix, 0))], iy >= 0 && iy < ${g.h} && ix >= 0 && ix < ${g.w})`,
  };
}

/**
 * Forward: bindings x, w, out. `epilogue` names a WGSL function epilogue(acc, n, c, y, x) applied at the
 * store (declared in `prelude`).
 */
export function igemmForward(g: Conv2d, b: Names, prelude?: string): KernelBody {
  const [m, n, k] = forwardSizes(g);
  const plane = g.oh * g.ow;
  const a: GemmOperand = {
    kFastest: true,
    load: (o, j) => ({ lines: [], value: `${b.w}[(gi * ${m}u + ${o}) * ${k}u + ${j}]` }),
  };
  const bOperand: GemmOperand = { kFastest: false, load: (p, j) => patch(g, b.x, j, p) };
  return gemmKernel({
    m,
    n,
    k,
    batches: g.groups,
    chunks: 1,
    tile: gemmTileFor(m, n, g.groups),
    a,
    b: bOperand,
    prelude,
    store: (o, p, value) => {
      const c = `gi * ${m}u + ${o}`;
      return [
        `let sn = ${p} / ${plane}u;`,
        `let sp = ${p} % ${plane}u;`,
        `let sc = ${c};`,
        `${b.out}[(sn * ${g.co}u + sc) * ${plane}u + sp] = ` +
          (prelude ? `epilogue(${value}, sn, sc, sp / ${g.ow}u, sp % ${g.ow}u);` : `${value};`),
      ];
    },
  });
}

/** Whether the strided input gradient runs per stride phase (undilated and strided). */
export const byPhase = (g: Conv2d) => (g.sy > 1 || g.sx > 1) && g.dy === 1 && g.dx === 1;

/**
 * The strided, undilated input gradient, one GEMM per group and stride phase (ry, rx): the input positions
 * (ry + sy * jy, rx + sx * jx) are reached only by the taps ky = ky0 + sy * ty (ky0 = (ry + py) mod sy), at
 * output row oy = jy + cy - ty (cy = (ry + py - ky0) / sy), and likewise in x. So K runs over (o, ty, tx)
 * with ty < ceil(kh / sy) instead of every tap: no products with the zeros a strided gradient has.
 */
function gradInputByPhase(g: Conv2d, b: Names, prelude?: string): KernelBody {
  const cig = g.ci / g.groups;
  const cog = g.co / g.groups;
  const phases = g.sy * g.sx;
  const tyMax = Math.ceil(g.kh / g.sy);
  const txMax = Math.ceil(g.kw / g.sx);
  const jyMax = Math.ceil(g.h / g.sy);
  const jxMax = Math.ceil(g.w / g.sx);
  const plane = jyMax * jxMax;
  const m = cig;
  const n = g.n * plane;
  const k = cog * tyMax * txMax;
  const taps = tyMax * txMax;
  const batchLines = [
    `let grp = gi / ${phases}u;`,
    `let ry = (gi % ${phases}u) / ${g.sx}u;`,
    `let rx = gi % ${g.sx}u;`,
    `let ky0 = (ry + ${g.py}u) % ${g.sy}u;`,
    `let kx0 = (rx + ${g.px}u) % ${g.sx}u;`,
    `let cy = (ry + ${g.py}u - ky0) / ${g.sy}u;`,
    `let cx = (rx + ${g.px}u - kx0) / ${g.sx}u;`,
  ];
  const tap = (j: string) => [
    `let jo = ${j} / ${taps}u;`,
    `let tay = (${j} % ${taps}u) / ${txMax}u;`,
    `let tax = ${j} % ${txMax}u;`,
    `let ky = ky0 + tay * ${g.sy}u;`,
    `let kx = kx0 + tax * ${g.sx}u;`,
  ];
  const a: GemmOperand = {
    kFastest: true,
    load: (i, j) => ({
      lines: tap(j),
      value:
        `select(0.0, ${b.w}[((grp * ${cog}u + jo) * ${cig}u + ${i}) * ${g.kh * g.kw}u + ` +
        `min(ky, ${g.kh - 1}u) * ${g.kw}u + min(kx, ${g.kw - 1}u)], ky < ${g.kh}u && kx < ${g.kw}u)`,
    }),
  };
  const bOperand: GemmOperand = {
    kFastest: false,
    load: (q, j) => ({
      lines: [
        `let qn = ${q} / ${plane}u;`,
        `let jy = (${q} % ${plane}u) / ${jxMax}u;`,
        `let jx = ${q} % ${jxMax}u;`,
        ...tap(j),
        `let oy = i32(jy + cy) - i32(tay);`,
        `let ox = i32(jx + cx) - i32(tax);`,
        `let hit = ky < ${g.kh}u && kx < ${g.kw}u && oy >= 0 && oy < ${g.oh} && ox >= 0 && ox < ${g.ow};`,
      ],
      value:
        `select(0.0, ${b.gy}[((qn * ${g.co}u + grp * ${cog}u + jo) * ${g.oh}u + u32(max(oy, 0))) * ` +
        `${g.ow}u + u32(max(ox, 0))], hit)`,
    }),
  };
  return gemmKernel({
    m,
    n,
    k,
    batches: g.groups * phases,
    chunks: 1,
    tile: gemmTileFor(m, n, g.groups * phases),
    a,
    b: bOperand,
    prelude,
    batchLines,
    // A phase no tap reaches (ky0 >= kh: the rows a 1x1 stride-2 convolution skips) sums nothing.
    kLimit: `select(0u, ${k}u, ky0 < ${g.kh}u && kx0 < ${g.kw}u)`,
    store: (i, q, value) => [
      `let sn = ${q} / ${plane}u;`,
      `let sy = ry + ((${q} % ${plane}u) / ${jxMax}u) * ${g.sy}u;`,
      `let sx = rx + (${q} % ${jxMax}u) * ${g.sx}u;`,
      `let sc = grp * ${cig}u + ${i};`,
      `if (sy < ${g.h}u && sx < ${g.w}u) {`,
      `  ${b.out}[((sn * ${g.ci}u + sc) * ${g.h}u + sy) * ${g.w}u + sx] = ` +
        (prelude ? `epilogue(${value}, sn, sc, sy, sx);` : `${value};`),
      `}`,
    ],
  });
}

/** Input gradient: bindings gy, w, out (the input's gradient), with an optional epilogue as forward. */
export function igemmGradInput(g: Conv2d, b: Names, prelude?: string): KernelBody {
  if (byPhase(g)) return gradInputByPhase(g, b, prelude);
  const [m, n, k] = gradInputSizes(g);
  const cog = g.co / g.groups;
  const taps = g.kh * g.kw;
  const inPlane = g.h * g.w;
  const outPlane = g.oh * g.ow;
  const pointwise = isPointwise(g);
  // W[o, i, ky, kx] of group gi at row i, column j = (o, ky, kx): o * cig * taps + i * taps + tap.
  const a: GemmOperand = pointwise
    ? {
        kFastest: false,
        load: (i, j) => ({ lines: [], value: `${b.w}[(gi * ${cog}u + ${j}) * ${m}u + ${i}]` }),
      }
    : {
        kFastest: true,
        load: (i, j) => ({
          lines: [],
          value: `${b.w}[((gi * ${cog}u + ${j} / ${taps}u) * ${m}u + ${i}) * ${taps}u + ${j} % ${taps}u]`,
        }),
      };
  const bOperand: GemmOperand = {
    kFastest: false,
    load: (q, j) => {
      if (pointwise)
        return {
          lines: [`let qn = ${q} / ${inPlane}u;`],
          value: `${b.gy}[(qn * ${g.co}u + gi * ${cog}u + ${j}) * ${outPlane}u + ${q} % ${inPlane}u]`,
        };
      return {
        lines: [
          `let qn = ${q} / ${inPlane}u;`,
          `let iy = (${q} % ${inPlane}u) / ${g.w}u;`,
          `let ix = ${q} % ${g.w}u;`,
          `let jo = ${j} / ${taps}u;`,
          `let ky = (${j} % ${taps}u) / ${g.kw}u;`,
          `let kx = ${j} % ${g.kw}u;`,
          `let ry = i32(iy + ${g.py}u) - i32(ky * ${g.dy}u);`,
          `let rx = i32(ix + ${g.px}u) - i32(kx * ${g.dx}u);`,
          `let oy = u32(max(ry, 0)) / ${g.sy}u;`,
          `let ox = u32(max(rx, 0)) / ${g.sx}u;`,
          `let hit = ry >= 0 && rx >= 0 && u32(ry) % ${g.sy}u == 0u && u32(rx) % ${g.sx}u == 0u && ` +
            `oy < ${g.oh}u && ox < ${g.ow}u;`,
        ],
        value:
          `select(0.0, ${b.gy}[((qn * ${g.co}u + gi * ${cog}u + jo) * ${g.oh}u + oy) * ${g.ow}u + ox], ` +
          `hit)`,
      };
    },
  };
  return gemmKernel({
    m,
    n,
    k,
    batches: g.groups,
    chunks: 1,
    tile: gemmTileFor(m, n, g.groups),
    a,
    b: bOperand,
    prelude,
    store: (i, q, value) => [
      `let sn = ${q} / ${inPlane}u;`,
      `let sq = ${q} % ${inPlane}u;`,
      `let sc = gi * ${m}u + ${i};`,
      `${b.out}[(sn * ${g.ci}u + sc) * ${inPlane}u + sq] = ` +
        (prelude ? `epilogue(${value}, sn, sc, sq / ${g.w}u, sq % ${g.w}u);` : `${value};`),
    ],
  });
}

/** Weight gradient: bindings x, gy, out (gw, or chunk-major partials when chunks > 1). */
export function igemmGradWeight(g: Conv2d, b: Names, chunks: number): KernelBody {
  const [m, n, k] = gradWeightSizes(g);
  const plane = g.oh * g.ow;
  const weights = g.co * n;
  const a: GemmOperand = {
    kFastest: true,
    load: (o, p) => ({
      lines: [],
      value: `${b.gy}[((${p} / ${plane}u) * ${g.co}u + gi * ${m}u + ${o}) * ${plane}u + ${p} % ${plane}u]`,
    }),
  };
  const bOperand: GemmOperand = { kFastest: true, load: (j, p) => patch(g, b.x, j, p) };
  return gemmKernel({
    m,
    n,
    k,
    batches: g.groups,
    chunks,
    tile: gemmTileFor(m, n, g.groups),
    a,
    b: bOperand,
    store: (o, j, value) => [
      `${b.out}[${chunks > 1 ? `chunk * ${weights}u + ` : ''}(gi * ${m}u + ${o}) * ${n}u + ${j}] = ${value};`,
    ],
  });
}

/** Off: the convolutions the implicit GEMMs would take run the direct kernels (bench/ comparisons only). */
export const IMPLICIT_GEMM = { enabled: true };

/**
 * Whether a convolution node takes the implicit GEMMs: on GPUs, every 2-D one that is neither depthwise
 * (direct kernels) nor plain (stride 1, square: the register-tiled kernels), and the 1x1 plain ones too. The
 * CPU adapter takes the direct kernels instead: llvmpipe compiles a GEMM's barrier-separated K loop for
 * seconds per kernel (a ResNet-18 U-Net's first step: ~360 s of compilation against ~30 s with the direct
 * kernels, under load), while the GEMM ran only ~1.3x faster there.
 */
export function usesImplicitGemm(node: Node, inputs: TensorType[], target: 'gpu' | 'cpu'): boolean {
  if (!IMPLICIT_GEMM.enabled || target === 'cpu') return false;
  const kernel = convKernelSizes(node.op, node.attrs, inputs);
  const ciPerGroup = node.op === 'convolution_grad_weight' ? node.type.dims[1].size : inputs[1].dims[1].size;
  if (isDirectConv(node.attrs, kernel, ciPerGroup)) return false;
  if (!isPlainConv2d(node.attrs, kernel)) return true;
  return kernel.every((k) => k === 1);
}

/** The weight gradient's split-K chunks for a node taking the implicit GEMM (x its input). */
export function implicitGemmChunks(node: Node, x: TensorType, target: number): number {
  return igemmGradWeightChunks(conv2d(convGeometryNd(x, node.type, convAttrs(node.attrs))), target);
}

/**
 * The implicit-GEMM kernel of a convolution node; a fused epilogue gives the WGSL function it declares and
 * the pointwise root it stores into.
 */
export function implicitGemmKernel(
  ctx: KernelContext,
  node: Node,
  split?: { chunks: number; partial: number },
  epilogue?: { prelude: string; root: number },
): KernelBody {
  const type = (i: number) => ctx.graph.nodes[node.inputs[i]].type;
  const attrs = convAttrs(node.attrs);
  const first = ctx.bindNode(node.inputs[0]);
  const second = ctx.bindNode(node.inputs[1]);
  const out = split
    ? ctx.bind(split.partial, 'read_write')
    : ctx.bindNode(epilogue ? epilogue.root : node.id, 'read_write');
  switch (node.op) {
    case 'convolution':
      return igemmForward(
        conv2d(convGeometryNd(type(0), type(1), attrs)),
        { x: first, w: second, gy: '', out },
        epilogue?.prelude,
      );
    case 'convolution_grad_input':
      return igemmGradInput(
        conv2d(convGeometryNd(node.type, type(1), attrs)),
        { x: '', w: second, gy: first, out },
        epilogue?.prelude,
      );
    case 'convolution_grad_weight':
      return igemmGradWeight(
        conv2d(convGeometryNd(type(0), node.type, attrs)),
        { x: first, w: '', gy: second, out },
        split?.chunks ?? 1,
      );
    default:
      throw new InternalError(`'${node.op}' is not a conv op`);
  }
}
