// Register-tiled direct convolution: each thread computes 4 (or 8) output channels x 4 adjacent columns,
// reusing each loaded input row segment across output channels and each weight vector across columns. The
// input gradient is the same kernel with the weight flipped and transposed and padding k - 1 - pad.
import { WORKGROUP, decompose, dispatchFor, threadEntry } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

/** A plain 2-D convolution (stride 1, square kernel `k`, padding `pad` all round) (the tiled kernels). */
export interface ConvGeometry {
  n: number;
  ci: number;
  co: number;
  h: number; // input height
  w: number;
  k: number;
  pad: number;
  oh: number;
  ow: number;
}

export const TILE_CHANNELS = 4;
export const TILE_COLUMNS = 4;

export interface TiledConv {
  n: number;
  inChannels: number;
  outChannels: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  k: number;
  /** Input row/column of output (y, x) at tap (ky, kx) is y + ky - offset. */
  offset: number;
  input: string;
  output: string;
  /** WGSL index into `weights` for (output channel `oc`, input channel `c`, tap `ky`, `kx`). */
  weightIndex: (oc: string, c: string, ky: string, kx: string) => string;
  weights: string;
  /** Output channels per thread, a multiple of 4 (default TILE_CHANNELS). */
  channelTile?: number;
  /**
   * A pointwise epilogue: WGSL lines of a function `epilogue(acc, n, c, y, x) -> f32` applied to each result
   * before it is stored (bias, eval batch norm, activation fused into the convolution).
   */
  epilogue?: string;
}

export function tiledConvKernel(g: TiledConv): KernelBody {
  const tile = g.channelTile ?? TILE_CHANNELS;
  const groups = Array.from({ length: tile / 4 }, (_, q) => q);
  const blocks = Math.ceil(g.outChannels / tile);
  const columns = Math.ceil(g.ow / TILE_COLUMNS);
  const total = g.n * blocks * g.oh * columns;
  const span = TILE_COLUMNS + g.k - 1;
  const lanes = Array.from({ length: tile }, (_, r) => r);
  const channelGuard = g.outChannels % tile !== 0;
  const weight = (r: number) => {
    const oc = `(o0 + ${r}u)`;
    const index = g.weightIndex(channelGuard ? `min(${oc}, ${g.outChannels - 1}u)` : oc, 'c', 'ky', 'kx');
    const load = `${g.weights}[${index}]`;
    return channelGuard ? `select(0.0, ${load}, ${oc} < ${g.outChannels}u)` : load;
  };
  const dims = [
    { name: 'n', size: g.n },
    { name: 'ob', size: blocks },
    { name: 'y', size: g.oh },
    { name: 'xb', size: columns },
  ];
  const stored = (acc: string, channel: string, column: string) =>
    g.epilogue ? `epilogue(${acc}, c_n, ${channel}, c_y, ${column})` : acc;
  const columnsRange = Array.from({ length: TILE_COLUMNS }, (_, j) => j);
  const spanRange = Array.from({ length: span }, (_, i) => i);
  const taps = Array.from({ length: g.k }, (_, kx) => kx);
  // Inner loops are unrolled into scalar registers: private arrays indexed in loops spill to memory.
  const loadRow = spanRange.map((i) =>
    [
      `      let ix${i} = i32(x0 + ${i}u) - ${g.offset};`,
      `      let r${i} = ` +
        `select(0.0, ${g.input}[base + u32(max(ix${i}, 0))], ix${i} >= 0 && ix${i} < ${g.w});`,
    ].join('\n'),
  );
  const multiply = taps.map((kx) =>
    [
      ...groups.map((q) => {
        const vector = lanes.slice(4 * q, 4 * q + 4).map((r) => weight(r).replaceAll('kx', `${kx}u`));
        return `      let w${kx}_${q} = vec4<f32>(${vector.join(', ')});`;
      }),
      ...columnsRange.flatMap((j) =>
        groups.map((q) => `      a${j}_${q} = a${j}_${q} + r${j + kx} * w${kx}_${q};`),
      ),
    ].join('\n'),
  );
  const store = columnsRange.map((j) =>
    [
      `  if (x0 + ${j}u < ${g.ow}u) {`,
      ...lanes.map(
        (r) =>
          `    if (o0 + ${r}u < ${g.outChannels}u) { ` +
          `${g.output}[((c_n * ${g.outChannels}u + o0 + ${r}u) * ${g.oh}u + ` +
          `c_y) * ${g.ow}u + x0 + ${j}u] = ` +
          `${stored(`a${j}_${Math.floor(r / 4)}[${r % 4}]`, `o0 + ${r}u`, `x0 + ${j}u`)}; }`,
      ),
      `  }`,
    ].join('\n'),
  );
  const body = [
    ...(g.epilogue ? [g.epilogue, ''] : []),
    ...threadEntry('t', total),
    ...decompose('t', dims, 'c_').map((l) => `  ${l}`),
    `  let o0 = c_ob * ${tile}u;`,
    `  let x0 = c_xb * ${TILE_COLUMNS}u;`,
    ...columnsRange.flatMap((j) => groups.map((q) => `  var a${j}_${q} = vec4<f32>(0.0);`)),
    `  for (var c = 0u; c < ${g.inChannels}u; c++) {`,
    `    let plane = (c_n * ${g.inChannels}u + c) * ${g.h}u;`,
    `    for (var ky = 0u; ky < ${g.k}u; ky++) {`,
    `      let iy = i32(c_y + ky) - ${g.offset};`,
    `      if (iy < 0 || iy >= ${g.h}) { continue; }`,
    `      let base = (plane + u32(iy)) * ${g.w}u;`,
    ...loadRow,
    ...multiply,
    `    }`,
    `  }`,
    ...store,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: dispatchFor(Math.ceil(total / WORKGROUP)) };
}
