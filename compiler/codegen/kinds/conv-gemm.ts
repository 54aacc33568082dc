// The conv weight gradient as a tiled GEMM for GPUs: gw[o, j] = sum_p gy[o, p] * patch[j, p], j = (i, ky,
// kx), p = (n, y, x). A workgroup of 256 threads owns a 64 x 64 tile of gw and one chunk of positions; it
// stages 32-position slices of both operands in workgroup memory and each thread accumulates a 4 x 4 block.
import type { ConvGeometry } from './conv-tiled.ts';
import { decompose, dispatchFor, groupEntry } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

const TILE = 64;
const SLICE = 32;
const THREADS = 256;
/**
 * Workgroup tiles are stored position-major with a padded row (33) so neither staging nor reading conflicts.
 */
const STRIDE = TILE + 1;

export function gemmTiles(g: ConvGeometry): number {
  return Math.ceil(g.co / TILE) * Math.ceil((g.ci * g.k * g.k) / TILE);
}

/** Position chunks: up to `target` workgroups in all, at least 4096 positions each. */
export function gemmChunks(g: ConvGeometry, target: number): number {
  const positions = g.n * g.oh * g.ow;
  return Math.max(1, Math.min(Math.ceil(positions / 4096), Math.floor(target / gemmTiles(g))));
}

/** Bindings: x (input), gy (output gradient), out (gw, or chunk-major partials when chunks > 1). */
export function gradWeightGemm(
  g: ConvGeometry,
  x: string,
  gy: string,
  out: string,
  chunks: number,
): KernelBody {
  const columns = g.ci * g.k * g.k;
  const rowTiles = Math.ceil(g.co / TILE);
  const columnTiles = Math.ceil(columns / TILE);
  const tiles = rowTiles * columnTiles;
  const positions = g.n * g.oh * g.ow;
  const chunkSize = Math.ceil(positions / chunks / SLICE) * SLICE;
  const plane = g.oh * g.ow;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const p = (name: string) =>
    decompose(
      name,
      [
        { name: 'n', size: g.n },
        { name: 'y', size: g.oh },
        { name: 'x', size: g.ow },
      ],
      `${name}_`,
    );
  // Each thread stages 16 elements of each operand: element e = lid + 64 * q of the 32 x 32 slice.
  const stage = range((TILE * SLICE) / THREADS).map((q) => {
    const e = `e${q}`;
    return [
      `    {`,
      `      let ${e} = lid + ${q * THREADS}u;`,
      `      let row = ${e} / ${SLICE}u;`,
      `      let pos = base + ${e} % ${SLICE}u;`,
      ...p('pos').map((l) => `      ${l}`),
      `      let o = o0 + row;`,
      `      let live = pos < end;`,
      `      a_tile[(${e} % ${SLICE}u) * ${STRIDE}u + row] = ` +
        `select(0.0, ${gy}[(pos_n * ${g.co}u + min(o, ${g.co - 1}u)) * ${plane}u + ` +
        `pos_y * ${g.ow}u + pos_x], live && o < ${g.co}u);`,
      `      let j = j0 + row;`,
      `      let i = j / ${g.k * g.k}u;`,
      `      let tap = j % ${g.k * g.k}u;`,
      `      let iy = i32(pos_y + tap / ${g.k}u) - ${g.pad};`,
      `      let ix = i32(pos_x + tap % ${g.k}u) - ${g.pad};`,
      `      let inside = live && j < ${columns}u && iy >= 0 && iy < ${g.h} && ix >= 0 && ix < ${g.w};`,
      `      let at = ((pos_n * ${g.ci}u + min(i, ${g.ci - 1}u)) * ${g.h}u + ` +
        `u32(max(iy, 0))) * ${g.w}u + u32(max(ix, 0));`,
      `      b_tile[(${e} % ${SLICE}u) * ${STRIDE}u + row] = ` +
        `select(0.0, ${x}[min(at, ${g.n * g.ci * g.h * g.w - 1}u)], inside);`,
      `    }`,
    ].join('\n');
  });
  const rows = range(4);
  const body = [
    `var<workgroup> a_tile: array<f32, ${STRIDE * SLICE}>;`,
    `var<workgroup> b_tile: array<f32, ${STRIDE * SLICE}>;`,
    ...groupEntry('group', tiles * chunks, THREADS),
    `  let chunk = group / ${tiles}u;`,
    `  let tile = group % ${tiles}u;`,
    `  let o0 = (tile / ${columnTiles}u) * ${TILE}u;`,
    `  let j0 = (tile % ${columnTiles}u) * ${TILE}u;`,
    `  let r0 = (lid / ${TILE / 4}u) * 4u;`,
    `  let c0 = (lid % ${TILE / 4}u) * 4u;`,
    ...rows.map((r) => `  var acc${r} = vec4<f32>(0.0);`),
    `  let end = min(${positions}u, (chunk + 1u) * ${chunkSize}u);`,
    `  for (var base = chunk * ${chunkSize}u; base < end; base += ${SLICE}u) {`,
    ...stage,
    `    workgroupBarrier();`,
    `    for (var s = 0u; s < ${SLICE}u; s++) {`,
    `      let b = vec4<f32>(${rows.map((c) => `b_tile[s * ${STRIDE}u + c0 + ${c}u]`).join(', ')});`,
    ...rows.map((r) => `      acc${r} = acc${r} + a_tile[s * ${STRIDE}u + r0 + ${r}u] * b;`),
    `    }`,
    `    workgroupBarrier();`,
    `  }`,
    ...rows.map((r) =>
      [
        `  if (o0 + r0 + ${r}u < ${g.co}u) {`,
        ...rows.map(
          (c) =>
            `    if (j0 + c0 + ${c}u < ${columns}u) { ` +
            `${out}[${chunks > 1 ? `chunk * ${g.co * columns}u + ` : ''}(o0 + r0 + ${r}u) * ${columns}u + ` +
            `j0 + c0 + ${c}u] = acc${r}[${c}]; }`,
        ),
        `  }`,
      ].join('\n'),
    ),
    `}`,
  ].join('\n');
  return { body, workgroup: THREADS, dispatch: dispatchFor(tiles * chunks) };
}
