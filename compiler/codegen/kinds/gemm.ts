// A tiled GEMM template, C[m, n] = sum_k A[m, k] * B[k, n], with pluggable operand loads and store, for the
// implicit-GEMM convolutions (conv-igemm.ts). A workgroup owns a bm x bn tile of C in one of `batches`
// independent GEMMs (conv groups) and one of `chunks` slices of K (split-K: each writes its own partials);
// it stages bk-deep slices of A and B in workgroup memory (as vec4 along m and n) and each thread accumulates
// a tm x 4 register block from vec4 reads.
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import { decompose, dispatchFor, groupEntry } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

/** Workgroup tile bm x bn, K slice bk; each thread computes tm rows x 4 columns (tm a multiple of 4). */
export interface GemmTile {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
}

export const gemmThreads = (t: GemmTile) => (t.bm / t.tm) * (t.bn / 4);

/** An operand's element at (`outer`, `k`), both in range: WGSL lines and the value expression. */
export interface GemmOperand {
  load: (outer: string, k: string) => { lines: string[]; value: string };
  /** Consecutive threads stage consecutive k (true) or consecutive m / n (false): whichever is contiguous. */
  kFastest: boolean;
}

export interface GemmSpec {
  m: number;
  n: number;
  k: number;
  /** Independent GEMMs of the same sizes (conv groups): WGSL `gi` in loads and the store. */
  batches: number;
  /** K is cut into `chunks` slices (a multiple of bk each): WGSL `chunk` in the store. */
  chunks: number;
  tile: GemmTile;
  a: GemmOperand;
  b: GemmOperand;
  /** Lines storing `value` at (m, n), both in range. */
  store: (m: string, n: string, value: string) => string[];
  /** Declarations before the entry point (an epilogue function). */
  prelude?: string;
  /** Lines at the start defining per-batch values (from `gi`) the loads and the store use. */
  batchLines?: string[];
  /** A WGSL bound on K for this batch (`k` when absent): a batch with nothing to sum gives 0. */
  kLimit?: string;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Rows or columns of one operand's slice staged by each thread. */
function stageLines(
  name: 'A' | 'B',
  operand: GemmOperand,
  outerSize: number,
  outer0: string,
  outerTile: number,
  t: GemmTile,
  threads: number,
): string[] {
  const elements = outerTile * t.bk;
  if (elements % threads !== 0) throw new InternalError(`gemm tile ${JSON.stringify(t)} stages unevenly`);
  // A loop, not unrolled: GPU compilers unroll it, and Mesa's llvmpipe compiles it much faster.
  return [
    `    for (var q = 0u; q < ${elements / threads}u; q++) {`,
    ...[0].flatMap(() => {
      const e = `(lid + q * ${threads}u)`;
      const [kk, oo] = operand.kFastest
        ? [`${e} % ${t.bk}u`, `${e} / ${t.bk}u`]
        : [`${e} / ${outerTile}u`, `${e} % ${outerTile}u`];
      const { lines, value } = operand.load('go', 'gk');
      return [
        `    {`,
        `      let kk = ${kk};`,
        `      let oo = ${oo};`,
        `      let go = ${outer0} + oo;`,
        `      let gk = k0 + kk;`,
        `      var v = 0.0;`,
        `      if (go < ${outerSize}u && gk < k_end) {`,
        ...lines.map((l) => `        ${l}`),
        `        v = ${value};`,
        `      }`,
        `      ${name}s[kk * ${outerTile / 4}u + oo / 4u][oo % 4u] = v;`,
        `    }`,
      ];
    }),
    `    }`,
  ];
}

export function gemmKernel(s: GemmSpec): KernelBody {
  const t = s.tile;
  if (t.tm % 4 !== 0 || t.bm % t.tm !== 0 || t.bn % 4 !== 0)
    throw new InternalError(`bad gemm tile ${JSON.stringify(t)}`);
  const threads = gemmThreads(t);
  const mTiles = Math.ceil(s.m / t.bm);
  const nTiles = Math.ceil(s.n / t.bn);
  const groups = s.chunks * s.batches * mTiles * nTiles;
  const chunkSize = Math.ceil(s.k / s.chunks / t.bk) * t.bk;
  const rowVectors = t.tm / 4;
  const rows = range(t.tm);
  const cols = range(4);
  const body = [
    ...(s.prelude ? [s.prelude, ''] : []),
    `var<workgroup> As: array<vec4<f32>, ${(t.bk * t.bm) / 4}>;`,
    `var<workgroup> Bs: array<vec4<f32>, ${(t.bk * t.bn) / 4}>;`,
    ...groupEntry('wg', groups, threads),
    ...decompose(
      'wg',
      [
        { name: 'chunk', size: s.chunks },
        { name: 'gi', size: s.batches },
        { name: 'tm', size: mTiles },
        { name: 'tn', size: nTiles },
      ],
      'w_',
    ).map((l) => `  ${l}`),
    `  let chunk = w_chunk;`,
    `  let gi = w_gi;`,
    `  let m0 = w_tm * ${t.bm}u;`,
    `  let n0 = w_tn * ${t.bn}u;`,
    `  let tx = lid % ${t.bn / 4}u;`,
    `  let ty = lid / ${t.bn / 4}u;`,
    ...rows.map((r) => `  var acc${r} = vec4<f32>(0.0);`),
    `  let k_begin = chunk * ${chunkSize}u;`,
    ...(s.batchLines ?? []).map((l) => `  ${l}`),
    `  let k_end = min(${s.kLimit ?? `${s.k}u`}, k_begin + ${chunkSize}u);`,
    `  for (var k0 = k_begin; k0 < k_end; k0 += ${t.bk}u) {`,
    ...stageLines('A', s.a, s.m, 'm0', t.bm, t, threads),
    ...stageLines('B', s.b, s.n, 'n0', t.bn, t, threads),
    `    workgroupBarrier();`,
    `    for (var kk = 0u; kk < ${t.bk}u; kk++) {`,
    ...range(rowVectors).map((q) => `      let a${q} = As[kk * ${t.bm / 4}u + ty * ${rowVectors}u + ${q}u];`),
    `      let b = Bs[kk * ${t.bn / 4}u + tx];`,
    ...rows.map((r) => `      acc${r} = acc${r} + a${Math.floor(r / 4)}[${r % 4}] * b;`),
    `    }`,
    `    workgroupBarrier();`,
    `  }`,
    ...rows.flatMap((r) => [
      `  {`,
      `    let m = m0 + ty * ${t.tm}u + ${r}u;`,
      `    if (m < ${s.m}u) {`,
      ...cols.flatMap((c) => [
        `      if (n0 + tx * 4u + ${c}u < ${s.n}u) {`,
        `        let n = n0 + tx * 4u + ${c}u;`,
        ...s.store('m', 'n', `acc${r}[${c}]`).map((l) => `        ${l}`),
        `      }`,
      ]),
      `    }`,
      `  }`,
    ]),
    `}`,
  ].join('\n');
  return { body, workgroup: threads, dispatch: dispatchFor(groups) };
}
