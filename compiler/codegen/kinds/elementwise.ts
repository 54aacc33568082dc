// Fused elementwise kernels: one thread per output element evaluates a whole inlined pointwise tree.
import type { Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import type { KernelContext } from '../context.ts';
import { WORKGROUP, decompose, linearDispatch, threadEntry } from '../wgsl.ts';

export interface KernelBody {
  body: string;
  workgroup: number;
  /**
   * Workgroups to dispatch, along x (linearDispatch) or already split (dispatchFor); generatePlan lays them
   * out in a grid within the device's per-dimension limit (gridFor), so the body must number its workgroups
   * with LINEAR_GROUP (threadEntry, groupEntry) and return past its last item.
   */
  dispatch: [number, number, number];
}

export function elementwiseKernel(ctx: KernelContext, root: Node, inlined: Set<number>): KernelBody {
  const total = elementCount(root.type);
  const dims = root.type.dims;
  const out = ctx.bindNode(root.id, 'read_write');
  const flat = { name: 'i', dims };
  const { lines, value } = ctx.emitExpression(root.id, inlined, flat);
  const body = [
    ...threadEntry('i', total),
    ...decompose('i', dims).map((l) => `  ${l}`),
    ...lines.map((l) => `  ${l}`),
    `  ${out}[i] = ${value};`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: linearDispatch(Math.ceil(total / WORKGROUP)) };
}
