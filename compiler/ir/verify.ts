// verifyGraph: the IR's invariants, checked after staging and autodiff. A violation is a compiler bug,
// reported as an InternalError that prints the offending node with the lines around it (as JAX's checker
// does).
import { InternalError } from '../../diagnostics/diagnostic.ts';
import { getOp } from '../ops/index.ts';
import { printNode } from './printer.ts';
import type { Graph, TensorType } from './types.ts';

const sameType = (a: TensorType, b: TensorType) =>
  a.dtype === b.dtype &&
  a.dims.length === b.dims.length &&
  a.dims.every((d, i) => d.name === b.dims[i].name && d.size === b.dims[i].size);

/**
 * Every node's id is its index; its inputs come before it; its type is what its op's shape rule gives for its
 * inputs; only data inputs are u8 leaves; names of weights, states and outputs are unique; outputs name
 * nodes.
 */
export function verifyGraph(graph: Graph, stage: string): void {
  const fault = (at: number, message: string): never => {
    const around = graph.nodes
      .slice(Math.max(0, at - 2), at + 3)
      .map((n) => `${n.id === at ? '>' : ' '} ${printNode(n)}`);
    throw new InternalError(`IR verifier (${stage}): ${message}\n${around.join('\n')}`);
  };
  const leaves = new Set<string>();
  graph.nodes.forEach((node, i) => {
    if (node.id !== i) fault(i, `node ${i} has id ${node.id}`);
    for (const input of node.inputs) {
      if (!Number.isInteger(input) || input < 0 || input >= i)
        fault(i, `input %${input} does not come before %${i}`);
    }
    const def = getOp(node.op);
    if (def.kind === 'leaf') {
      if (['weight', 'state', 'input'].includes(node.op)) {
        const key = `${node.op}:${node.attrs.name as string}`;
        if (leaves.has(key)) fault(i, `two ${node.op} leaves are named '${node.attrs.name as string}'`);
        leaves.add(key);
      }
      if (node.type.dtype === 'u8' && node.op !== 'input')
        fault(i, `only data inputs hold u8, not a ${node.op}`);
      return;
    }
    let inferred: TensorType;
    try {
      inferred = def.inferType(
        node.inputs.map((id) => graph.nodes[id].type),
        node.attrs,
      );
    } catch (error) {
      return fault(i, `its shape rule rejects its inputs: ${(error as Error).message}`);
    }
    if (!sameType(inferred, node.type))
      fault(i, `its type differs from its shape rule's (${JSON.stringify(inferred)})`);
  });
  const names = new Set<string>();
  for (const output of graph.outputs) {
    if (!graph.nodes[output.node])
      throw new InternalError(`IR verifier (${stage}): output '${output.name}' names no node`);
    if (names.has(output.name)) fault(output.node, `two outputs are named '${output.name}'`);
    names.add(output.name);
  }
}
