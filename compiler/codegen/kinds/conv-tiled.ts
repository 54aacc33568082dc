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
  /** WGSL of a u32 size (KernelContext.size: a literal, or a read of the kernel's sizes uniform). */
  size?: (name: string, value: number) => string;
}

export function tiledConvKernel(g: TiledConv): KernelBody {
  const tile = g.channelTile ?? TILE_CHANNELS;
  const groups = Array.from({ length: tile / 4 }, (_, q) => q);
  const blocks = Math.ceil(g.outChannels / tile);
  const columns = Math.ceil(g.ow / TILE_COLUMNS);
  const total = g.n * blocks * g.oh * columns;
  const size = g.size ?? ((_: string, value: number) => `${value}u`);
  const sizes = {
    ci: g.inChannels,
    co: g.outChannels,
    last: g.outChannels - 1,
    h: g.h,
    w: g.w,
    oh: g.oh,
    ow: g.ow,
    k: g.k,
    offset: g.offset,
  };
  const u = (name: keyof typeof sizes | 'total') => size(name, name === 'total' ? total : sizes[name]);
  const i = (name: keyof typeof sizes) => (g.size ? `i32(${u(name)})` : `${sizes[name]}`);
  const span = TILE_COLUMNS + g.k - 1;
  const lanes = Array.from({ length: tile }, (_, r) => r);
  const channelGuard = g.outChannels % tile !== 0;
  const weight = (r: number) => {
    const oc = `(o0 + ${r}u)`;
    const index = g.weightIndex(channelGuard ? `min(${oc}, ${u('last')})` : oc, 'c', 'ky', 'kx');
    const load = `${g.weights}[${index}]`;
    return channelGuard ? `select(0.0, ${load}, ${oc} < ${u('co')})` : load;
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
  const loadRow = spanRange.map((j) =>
    [
      `      let ix${j} = i32(x0 + ${j}u) - ${i('offset')};`,
      `      let r${j} = ` +
        `select(0.0, ${g.input}[base + u32(max(ix${j}, 0))], ix${j} >= 0 && ix${j} < ${i('w')});`,
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
      `  if (x0 + ${j}u < ${u('ow')}) {`,
      ...lanes.map(
        (r) =>
          `    if (o0 + ${r}u < ${u('co')}) { ` +
          `${g.output}[((c_n * ${u('co')} + o0 + ${r}u) * ${u('oh')} + ` +
          `c_y) * ${u('ow')} + x0 + ${j}u] = ` +
          `${stored(`a${j}_${Math.floor(r / 4)}[${r % 4}]`, `o0 + ${r}u`, `x0 + ${j}u`)}; }`,
      ),
      `  }`,
    ].join('\n'),
  );
  const body = [
    ...(g.epilogue ? [g.epilogue, ''] : []),
    ...threadEntry('t', u('total')),
    ...decompose('t', dims, 'c_', size).map((l) => `  ${l}`),
    `  let o0 = c_ob * ${tile}u;`,
    `  let x0 = c_xb * ${TILE_COLUMNS}u;`,
    ...columnsRange.flatMap((j) => groups.map((q) => `  var a${j}_${q} = vec4<f32>(0.0);`)),
    `  for (var c = 0u; c < ${u('ci')}; c++) {`,
    `    let plane = (c_n * ${u('ci')} + c) * ${u('h')};`,
    `    for (var ky = 0u; ky < ${u('k')}; ky++) {`,
    `      let iy = i32(c_y + ky) - ${i('offset')};`,
    `      if (iy < 0 || iy >= ${i('h')}) { continue; }`,
    `      let base = (plane + u32(iy)) * ${u('w')};`,
    ...loadRow,
    ...multiply,
    `    }`,
    `  }`,
    ...store,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: dispatchFor(Math.ceil(total / WORKGROUP)) };
}
