// verifyFusion: the fusion pass's invariants, checked after it in tests and under SEGC_VERIFY=1 (see
// compiler/index.ts). A violation is a compiler bug (an InternalError).
import { InternalError } from '../../diagnostics/index.ts';
import type { Graph } from '../ir/types.ts';
import type { Fusion } from './fuse.ts';

const LEAVES = new Set(['input', 'weight', 'state']);

/**
 * Kernel roots are distinct live nodes with buffers, in increasing id order (so dispatch order is a
 * topological order); every output's node has a buffer; inlined nodes are live non-leaves of the graph; an
 * epilogue's host is a live node.
 */
export function verifyFusion(graph: Graph, fusion: Fusion): void {
  const fault = (message: string): never => {
    throw new InternalError(`fusion verifier: ${message}`);
  };
  const node = (id: number) => graph.nodes[id] ?? fault(`node %${id} is not in the graph`);
  let previous = -1;
  for (const root of fusion.roots) {
    if (root <= previous) fault(`kernel root %${root} comes after %${previous}`);
    previous = root;
    if (!fusion.live.has(root)) fault(`kernel root %${root} is not live`);
    if (!fusion.stored.has(root)) fault(`kernel root %${root} has no buffer`);
  }
  for (const output of graph.outputs) {
    if (!fusion.stored.has(output.node)) fault(`output '${output.name}' (%${output.node}) has no buffer`);
  }
  for (const [root, inlined] of fusion.inlined) {
    for (const id of inlined) {
      if (!fusion.live.has(id)) fault(`%${id}, inlined into %${root}, is not live`);
      if (LEAVES.has(node(id).op)) fault(`leaf %${id} is inlined into %${root}`);
    }
  }
  for (const [root, host] of fusion.epilogues) {
    if (!fusion.live.has(node(host).id)) fault(`the epilogue host %${host} of %${root} is not live`);
  }
}
