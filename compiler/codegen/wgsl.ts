// Small WGSL helpers shared by every kernel kind: literals, index decomposition, dispatch sizes, headers.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { Dim } from '../ir/types.ts';

export const WORKGROUP = 256;
/**
 * WebGPU's guaranteed maxComputeWorkgroupsPerDimension: plans split dispatches at it (or at a lower limit
 * given).
 */
export const MAX_GROUPS_PER_DIM = 65535;

/** A WGSL f32 literal that round-trips the JS number (shortest form). */
export function f32Literal(value: number): string {
  // Beyond the f32 range a number is infinite in f32 (a WGSL literal there would not compile).
  if (Number.isFinite(value) && !Number.isFinite(Math.fround(value)))
    value = value > 0 ? Infinity : -Infinity;
  if (Number.isNaN(value)) return 'bitcast<f32>(0x7fc00000u)';
  if (value === Infinity) return 'bitcast<f32>(0x7f800000u)';
  if (value === -Infinity) return 'bitcast<f32>(0xff800000u)';
  const text = String(value);
  const literal = /[.eE]/.test(text) ? text : `${text}.0`;
  return value < 0 ? `(${literal})` : literal;
}

/** Lines that split a flat index `flat` into one `let <prefix><dim>` per dim (row-major). */
export function decompose(
  flat: string,
  dims: Dim[],
  prefix = 'i_',
  size: (name: string, value: number) => string = (_, value) => `${value}u`,
): string[] {
  const lines: string[] = [];
  let rest = flat;
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k];
    if (k === 0) {
      lines.push(`let ${prefix}${d.name} = ${rest};`);
    } else {
      const bound = size(`${prefix}${d.name}`, d.size);
      lines.push(`let ${prefix}${d.name} = ${rest} % ${bound};`);
      const next = `r_${prefix}${k}`;
      lines.push(`let ${next} = ${rest} / ${bound};`);
      rest = next;
    }
  }
  return lines;
}

/**
 * A kernel kind's dispatch before layout: `groups` workgroups along x (generatePlan lays them out, see
 * gridFor).
 */
export function linearDispatch(groups: number): [number, number, number] {
  return [Math.max(groups, 1), 1, 1];
}

/** Dims from parallel lists of names and sizes (for `decompose`). */
export const namedDims = (names: string[], sizes: number[]): Dim[] =>
  names.map((name, i) => ({ name, size: sizes[i] }));

/** The row-major flat index of per-dim coordinate expressions over `sizes`, as a WGSL u32 expression. */
export function rowMajor(coords: string[], sizes: number[]): string {
  return coords.reduce((acc, c, d) => (d === 0 ? c : `(${acc}) * ${sizes[d]}u + ${c}`), '');
}

/**
 * Workgroup counts for `groups` workgroups: along x alone up to `maxPerDim` (what every kernel of a small
 * plan gets), else a 2-D grid with x * y >= groups. Kernels number their workgroups `LINEAR_GROUP` and return
 * past their item count, so the at most y - 1 surplus workgroups of the last row do nothing. 2-D is always
 * enough: a 65535 x 65535 grid of 256 threads is more than 32-bit indices reach.
 */
export function dispatchFor(groups: number, maxPerDim = MAX_GROUPS_PER_DIM): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim)
    throw new InternalError(`${groups} workgroups do not fit a ${maxPerDim} x ${maxPerDim} grid`);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * The grid a kernel is dispatched with: a kind's dispatch unchanged when every dimension is within
 * `maxPerDim`, else its workgroup count laid out again by dispatchFor (a kind may have split it at another
 * limit already).
 */
export function gridFor(
  dispatch: [number, number, number],
  maxPerDim = MAX_GROUPS_PER_DIM,
): [number, number, number] {
  if (dispatch.every((d) => d <= maxPerDim)) return dispatch;
  if (dispatch[2] !== 1)
    throw new InternalError(`a dispatch of [${dispatch.join(', ')}] workgroups cannot be laid out again`);
  return dispatchFor(dispatch[0] * dispatch[1], maxPerDim);
}

/** The linear workgroup id of a 2-D dispatch, as a WGSL expression. */
export const LINEAR_GROUP = '(wid.x + wid.y * nwg.x)';

export function uniformStruct(slots: number): string {
  const vectors = Math.max(1, Math.ceil(slots / 4));
  return `struct Uniforms { s: array<vec4<f32>, ${vectors}> }`;
}

export function uniformRead(slot: number): string {
  return `u.s[${Math.floor(slot / 4)}].${'xyzw'[slot % 4]}`;
}

export interface HeaderInfo {
  name: string;
  kind: string;
  workgroup: number;
  bindings: string[];
  nodes: string[];
  spans: string[];
}

export function kernelHeader(info: HeaderInfo): string {
  const lines = [
    `// kernel ${info.name}`,
    `// kind: ${info.kind}, workgroup size ${info.workgroup}`,
    ...info.bindings.map((b, i) => `// binding ${i}: ${b}`),
    `// fuses: ${info.nodes.join('; ')}`,
  ];
  if (info.spans.length > 0) lines.push(`// from: ${info.spans.join(', ')}`);
  return lines.join('\n');
}

function entry(workgroup: number): string[] {
  return [
    `@compute @workgroup_size(${workgroup})`,
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,`,
    `        @builtin(local_invocation_index) lid: u32) {`,
  ];
}

/** Entry of a kernel with one thread per item: `let <name>` is the item; threads past `total` return. */
export function threadEntry(name: string, total: number | string): string[] {
  return [
    ...entry(WORKGROUP),
    `  let ${name} = ${LINEAR_GROUP} * ${WORKGROUP}u + lid;`,
    `  if (${name} >= ${typeof total === 'number' ? `${total}u` : total}) { return; }`,
  ];
}

/**
 * Entry of a kernel with one workgroup per item: `let <name>` is the item; workgroups past `total` return.
 */
export function groupEntry(name: string, total: number | string, workgroup: number): string[] {
  const bound = typeof total === 'number' ? `${total}u` : total;
  return [...entry(workgroup), `  let ${name} = ${LINEAR_GROUP};`, `  if (${name} >= ${bound}) { return; }`];
}

/** A kernel with one thread per item `t` of `total` (256 per workgroup) running `lines`. */
export function perThreadKernel(
  total: number,
  lines: string[],
): { body: string; workgroup: number; dispatch: [number, number, number] } {
  const body = [...threadEntry('t', total), ...lines.map((l) => `  ${l}`), `}`].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: dispatchFor(Math.ceil(total / WORKGROUP)) };
}

/**
 * Lines that sum each thread's `value` over a workgroup of `threads` (a power of two) in workgroup memory
 * `partial` (declared with `workgroupPartial`); thread 0 then runs `store(total)`.
 */
export function workgroupSum(
  threads: number,
  value: string,
  store: (total: string) => string,
  /** Thread 0 walks the tree after one barrier (the CPU adapter; reduce.ts serialFold). */
  serial = false,
): string[] {
  if (serial) {
    return [
      `  partial[lid] = ${value};`,
      `  workgroupBarrier();`,
      `  if (lid == 0u) {`,
      `    for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {`,
      `      for (var j = 0u; j < s; j++) { partial[j] = partial[j] + partial[j + s]; }`,
      `    }`,
      `    ${store('partial[0]')}`,
      `  }`,
    ];
  }
  return [
    `  partial[lid] = ${value};`,
    `  workgroupBarrier();`,
    `  for (var s = ${threads / 2}u; s > 0u; s = s >> 1u) {`,
    `    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }`,
    `    workgroupBarrier();`,
    `  }`,
    `  if (lid == 0u) { ${store('partial[0]')} }`,
  ];
}

export const workgroupPartial = (threads: number) => `var<workgroup> partial: array<f32, ${threads}>;`;
