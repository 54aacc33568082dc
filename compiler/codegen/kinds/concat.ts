// Channel concatenation and slicing, one thread per output element. They move whole rows along C, so 3-D
// tensors take the same kernels with D·H rows.
import type { Node } from '../../ir/types.ts';
import { foldedNchw } from '../../ops/spatial.ts';
import type { KernelContext } from '../context.ts';
import type { KernelBody } from './elementwise.ts';
import { at, perOutput } from './nchw.ts';

export function concatKernel(ctx: KernelContext, node: Node): KernelBody {
  const type = (i: number) => foldedNchw(ctx.graph.nodes[node.inputs[i]].type, node.op);
  const out = ctx.bindNode(node.id, 'read_write');
  const [a, b] = [ctx.bindNode(node.inputs[0]), ctx.bindNode(node.inputs[1])];
  const first = type(0);
  const second = type(1);
  const compute = [
    `var value = 0.0;`,
    `if (c_c < ${first.c}u) { value = ${a}[${at(first, 'c_n', 'c_c', 'c_y', 'c_x')}]; }`,
    `else { value = ${b}[${at(second, 'c_n', `(c_c - ${first.c}u)`, 'c_y', 'c_x')}]; }`,
  ];
  return perOutput(node, foldedNchw(node.type, node.op), compute, 'value', out);
}

export function sliceKernel(ctx: KernelContext, node: Node): KernelBody {
  const out = ctx.bindNode(node.id, 'read_write');
  const x = ctx.bindNode(node.inputs[0]);
  const start = node.attrs.start as number;
  const source = foldedNchw(ctx.graph.nodes[node.inputs[0]].type, node.op);
  return perOutput(
    node,
    foldedNchw(node.type, node.op),
    [],
    `${x}[${at(source, 'c_n', `(c_c + ${start}u)`, 'c_y', 'c_x')}]`,
    out,
  );
}
