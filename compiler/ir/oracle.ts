// The float64 CPU interpreter of the IR: a test oracle only, never an execution path of training or
// evaluation.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import { broadcastIndexer, coordinates, getOp } from '../ops/index.ts';
import type { RefTensor } from '../ops/index.ts';
import type { Graph, Node } from './types.ts';
import { elementCount, liveNodes } from './types.ts';

export interface OracleFeeds {
  /** Values of `input`, `weight` and `state` leaves, by name (row-major, float64). */
  tensors: Record<string, ArrayLike<number>>;
  /** Values of `uniform` leaves, by name. */
  uniforms?: Record<string, number>;
}

/** Evaluates every node the graph's outputs need; returns values by node id. */
export function evaluateGraph(graph: Graph, feeds: OracleFeeds): Map<number, RefTensor> {
  const values = new Map<number, RefTensor>();
  const needed = liveNodes(graph);
  for (const node of graph.nodes) {
    if (!needed.has(node.id)) continue;
    const inputs = node.inputs.map((i) => values.get(i)!);
    values.set(node.id, { type: node.type, data: evaluateNode(node, inputs, feeds) });
  }
  return values;
}

function evaluateNode(node: Node, inputs: RefTensor[], feeds: OracleFeeds): Float64Array {
  const def = getOp(node.op);
  const count = elementCount(node.type);
  if (def.kind === 'leaf') {
    if (node.op === 'const') return new Float64Array([node.attrs.value as number]);
    const name = node.attrs.name as string;
    if (node.op === 'uniform') {
      const value = feeds.uniforms?.[name];
      if (value === undefined) throw new InternalError(`oracle: no value for uniform '${name}'`);
      return new Float64Array([value]);
    }
    const data = feeds.tensors[name];
    if (!data || data.length !== count) throw new InternalError(`oracle: '${name}' needs ${count} values`);
    return Float64Array.from(data);
  }
  if (def.kind === 'elementwise') {
    const indexers = inputs.map((x) => broadcastIndexer(x.type, node.type));
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const args = inputs.map((x, k) => x.data[indexers[k](i)]);
      out[i] = def.scalar!(args, node.attrs, coordinates(node.type, i));
    }
    return out;
  }
  if (!def.reference) throw new InternalError(`op '${node.op}' has no reference semantics`);
  return def.reference(inputs, node.attrs, node.type);
}
