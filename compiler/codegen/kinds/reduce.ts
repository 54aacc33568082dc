// Reduction kernels (sum, max, argmax over named axes) with the fused pointwise prologue evaluated per
// element.
import type { Dim, Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import type { KernelContext } from '../context.ts';
import { WORKGROUP, decompose, linearDispatch, groupEntry, threadEntry } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

/** Below this many reduced elements, one thread folds a whole output; above, a workgroup shares it. */
const SERIAL_LIMIT = 64;

interface Fold {
  init: string;
  step: (acc: string, value: string, index: string) => string[];
}

function foldFor(op: string): Fold {
  if (op === 'sum') return { init: '0.0', step: (acc, v) => [`${acc} = ${acc} + ${v};`] };
  if (op === 'max')
    return { init: 'bitcast<f32>(0xff7fffffu)', step: (acc, v) => [`${acc} = max(${acc}, ${v});`] };
  // argmax keeps (value, index) and prefers the lower index on ties.
  return {
    init: 'bitcast<f32>(0xff7fffffu)',
    step: (acc, v, index) => [`if (${v} > ${acc}) { ${acc} = ${v}; best_index = ${index}; }`],
  };
}

/**
 * How many chunks to split a reduction into: up to `groups` workgroups in all, each folding >= 4096 elements.
 * A GPU wants tens of thousands of workgroups; a CPU adapter is fastest without splitting.
 */
export function reductionChunks(op: string, outputs: number, count: number, groups: number): number {
  if (op === 'argmax' || count <= 8192) return 1;
  return Math.max(1, Math.min(Math.ceil(count / 4096), Math.floor(groups / outputs)));
}

/**
 * With `split`, the kernel folds one chunk of the reduced elements per workgroup and writes partial results
 * (chunk-major) to the `partial` buffer; `combineKernel` then folds the chunks.
 */
export function reduceKernel(
  ctx: KernelContext,
  root: Node,
  inlined: Set<number>,
  split?: { chunks: number; partial: number },
  target: 'gpu' | 'cpu' = 'gpu',
): KernelBody {
  const input = ctx.graph.nodes[root.inputs[0]];
  const axes = root.attrs.axes as string[];
  const kept = root.type.dims;
  const reduced: Dim[] = input.type.dims.filter((d) => axes.includes(d.name));
  const outputs = elementCount(root.type);
  const count = reduced.reduce((n, d) => n * d.size, 1);
  const out = split ? ctx.bind(split.partial, 'read_write') : ctx.bindNode(root.id, 'read_write');
  const flat = { name: 'flat_in', dims: input.type.dims };
  const { lines, value } = ctx.emitExpression(input.id, inlined, flat, inlined.has(input.id));
  const fold = foldFor(root.op);
  const argmax = root.op === 'argmax';
  const axisIndex = argmax ? `i_${axes[0]}` : '0u';
  const inputFlat = flatOf(input.type.dims);
  const element = [
    ...decompose('r', reduced).map((l) => `    ${l}`),
    `    let flat_in = ${inputFlat};`,
    ...lines.map((l) => `    ${l}`),
    ...fold.step('acc', value, axisIndex).map((l) => `    ${l}`),
  ];
  const result = argmax ? 'f32(best_index)' : 'acc';
  if (count <= SERIAL_LIMIT && !split) {
    const body = [
      ...threadEntry('o', outputs),
      ...decompose('o', kept).map((l) => `  ${l}`),
      `  var acc = ${fold.init};`,
      `  var best_index = 0u;`,
      `  for (var r = 0u; r < ${count}u; r++) {`,
      ...element,
      `  }`,
      `  ${out}[o] = ${result};`,
      `}`,
    ].join('\n');
    return { body, workgroup: WORKGROUP, dispatch: linearDispatch(Math.ceil(outputs / WORKGROUP)) };
  }
  const pairwise =
    root.op === 'sum' ? 'partial[lid] + partial[lid + s]' : 'max(partial[lid], partial[lid + s])';
  const combine = argmax
    ? [
        `      let other = partial[lid + s];`,
        `      let other_index = partial_index[lid + s];`,
        `      if (other > partial[lid] || (other == partial[lid] && other_index < partial_index[lid])) {`,
        `        partial[lid] = other;`,
        `        partial_index[lid] = other_index;`,
        `      }`,
      ]
    : [`      partial[lid] = ${pairwise};`];
  const chunks = split?.chunks ?? 1;
  const chunkSize = Math.ceil(count / chunks);
  const body = [
    `var<workgroup> partial: array<f32, ${WORKGROUP}>;`,
    `var<workgroup> partial_index: array<u32, ${WORKGROUP}>;`,
    ...groupEntry('g', outputs * chunks, WORKGROUP),
    `  let chunk = g / ${outputs}u;`,
    `  let o = g % ${outputs}u;`,
    ...decompose('o', kept).map((l) => `  ${l}`),
    `  var acc = ${fold.init};`,
    `  var best_index = 0u;`,
    `  let end = min(${count}u, (chunk + 1u) * ${chunkSize}u);`,
    `  for (var r = chunk * ${chunkSize}u + lid; r < end; r += ${WORKGROUP}u) {`,
    ...element,
    `  }`,
    `  partial[lid] = acc;`,
    `  partial_index[lid] = best_index;`,
    `  workgroupBarrier();`,
    ...(target === 'gpu' ? treeFold(combine) : serialFold(combine)),
    `  if (lid == 0u) { ${out}[g] = ${argmax ? 'f32(partial_index[0])' : 'partial[0]'}; }`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: linearDispatch(outputs * chunks) };
}

/** The workgroup's shares folded in log2 steps, a barrier after each (GPUs). */
function treeFold(combine: string[]): string[] {
  return [
    `  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {`,
    `    if (lid < s) {`,
    ...combine,
    `    }`,
    `    workgroupBarrier();`,
    `  }`,
  ];
}

/**
 * The tree of treeFold walked by thread 0 (the CPU adapter): the same additions in the same order, so both
 * targets round alike, without the barrier in a loop that Mesa's llvmpipe compiles as a coroutine split per
 * iteration (~50 ms of compilation per kernel).
 */
function serialFold(combine: string[]): string[] {
  const walked = combine.map((l) => l.replaceAll('[lid', '[j'));
  return [
    `  if (lid == 0u) {`,
    `    for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {`,
    `      for (var j = 0u; j < s; j++) {`,
    ...walked.map((l) => `  ${l}`),
    `      }`,
    `    }`,
    `  }`,
  ];
}

/**
 * Folds `chunks` chunk-major partial results per output: out[o] = fold over k of partial[k * outputs + o].
 */
export function combineKernel(
  ctx: KernelContext,
  op: string,
  partial: number,
  output: number,
  outputs: number,
  chunks: number,
): KernelBody {
  const source = ctx.bind(partial, 'read');
  const out = ctx.bind(output, 'read_write');
  const fold =
    op === 'max' ? (a: string, b: string) => `max(${a}, ${b})` : (a: string, b: string) => `${a} + ${b}`;
  const body = [
    ...threadEntry('o', outputs),
    `  var acc = ${source}[o];`,
    `  for (var k = 1u; k < ${chunks}u; k++) {`,
    `    acc = ${fold('acc', `${source}[k * ${outputs}u + o]`)};`,
    `  }`,
    `  ${out}[o] = acc;`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: linearDispatch(Math.ceil(outputs / WORKGROUP)) };
}

function flatOf(dims: Dim[]): string {
  if (dims.length === 0) return '0u';
  let stride = 1;
  const terms: string[] = [];
  for (let k = dims.length - 1; k >= 0; k--) {
    terms.push(`i_${dims[k].name} * ${stride}u`);
    stride *= dims[k].size;
  }
  return terms.reverse().join(' + ');
}
