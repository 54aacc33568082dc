// One thread per output element of an [N,C,H,W] view (`c_n`, `c_c`, `c_y`, `c_x`): the layout of the
// dedicated 2-D pooling and upsampling kernels and of channel concatenation and slicing.
import type { Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import type { Nchw } from '../../ops/spatial.ts';
import { WORKGROUP, decompose, linearDispatch, threadEntry } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

/** The flat index of (n, c, y, x) in `s`, as a WGSL u32 expression. */
export const at = (s: Nchw, n: string, c: string, y: string, x: string) =>
  `((${n} * ${s.c}u + ${c}) * ${s.h}u + ${y}) * ${s.w}u + ${x}`;

/** Lines decomposing the thread `t` into `c_n`, `c_c`, `c_y`, `c_x`. */
function coords(s: Nchw): string[] {
  const dims = [
    { name: 'n', size: s.n },
    { name: 'c', size: s.c },
    { name: 'y', size: s.h },
    { name: 'x', size: s.w },
  ];
  return decompose('t', dims, 'c_');
}

/** A kernel that computes `compute` then stores `value` into `out[t]` for each element of the node. */
export function perOutput(
  node: Node,
  shape: Nchw,
  compute: string[],
  value: string,
  out: string,
): KernelBody {
  const total = elementCount(node.type);
  const body = [
    ...threadEntry('t', total),
    ...coords(shape).map((l) => `  ${l}`),
    ...compute.map((l) => `  ${l}`),
    `  ${out}[t] = ${value};`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: linearDispatch(Math.ceil(total / WORKGROUP)) };
}
