// Kernels of the channel maps (dense and 1x1 layers): one thread per output element, and for the weight
// gradient one workgroup per weight element folding every position.
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import { aroundChannels } from '../../ops/spatial.ts';
import type { KernelContext } from '../context.ts';
import { dispatchFor, groupEntry, perThreadKernel, workgroupPartial, workgroupSum } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

const THREADS = 64;

export function linearKernel(ctx: KernelContext, node: Node): KernelBody {
  const input = (i: number) => ctx.graph.nodes[node.inputs[i]];
  const out = ctx.bindNode(node.id, 'read_write');
  switch (node.op) {
    case 'channel_mix': {
      const x = ctx.bindNode(node.inputs[0]);
      const w = ctx.bindNode(node.inputs[1]);
      const { c } = aroundChannels(input(0).type, node.op);
      const { c: outC, inner } = aroundChannels(node.type, node.op);
      const columns = input(1).type.dims[1].size;
      const weight = node.attrs.transpose ? `${w}[j * ${columns}u + k]` : `${w}[k * ${columns}u + j]`;
      return perThreadKernel(elementCount(node.type), [
        `let i = t % ${inner}u;`,
        `let k = (t / ${inner}u) % ${outC}u;`,
        `let o = t / ${inner * outC}u;`,
        `var total = 0.0;`,
        `for (var j = 0u; j < ${c}u; j++) { total += ${weight} * ${x}[(o * ${c}u + j) * ${inner}u + i]; }`,
        `${out}[t] = total;`,
      ]);
    }
    case 'channel_outer': {
      const x = ctx.bindNode(node.inputs[0]);
      const g = ctx.bindNode(node.inputs[1]);
      const { outer, c, inner } = aroundChannels(input(0).type, node.op);
      const outC = aroundChannels(input(1).type, node.op).c;
      const positions = outer * inner;
      const body = [
        workgroupPartial(THREADS),
        ...groupEntry('e', outC * c, THREADS),
        `  let k = e / ${c}u;`,
        `  let j = e % ${c}u;`,
        `  var total = 0.0;`,
        `  for (var p = lid; p < ${positions}u; p += ${THREADS}u) {`,
        `    let o = p / ${inner}u;`,
        `    let i = p % ${inner}u;`,
        `    total += ${g}[(o * ${outC}u + k) * ${inner}u + i] * ${x}[(o * ${c}u + j) * ${inner}u + i];`,
        `  }`,
        ...workgroupSum(THREADS, 'total', (sum) => `${out}[e] = ${sum};`, ctx.sharedSizes),
        `}`,
      ].join('\n');
      return { body, workgroup: THREADS, dispatch: dispatchFor(outC * c) };
    }
    default:
      throw new InternalError(`'${node.op}' is not a channel map`);
  }
}
