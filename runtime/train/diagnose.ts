// After a non-finite loss or gradient: re-runs the failing batch with every node of the forward and backward
// passes stored and names the first op whose value is not finite although its operands are, with the .seg
// source it came from (for a backward op, the source of the forward op it differentiates).
import { generatePlan } from '../../compiler/index.ts';
import type { Graph, Node } from '../../compiler/ir/types.ts';
import { liveNodes } from '../../compiler/ir/types.ts';
import type { BufferStore } from '../executor.ts';
import { executePlan, loadPlan, readPlanBuffer } from '../executor.ts';

export interface NonFinite {
  node: Node;
  /** 'NaN' or 'Infinity'. */
  value: string;
  /** For an op of the backward pass: the forward op whose gradient it computes. */
  gradientOf?: Node;
}

const LEAVES = new Set(['input', 'weight', 'state', 'const', 'uniform']);

export async function findNonFinite(
  store: BufferStore,
  graph: Graph,
  step: { uniforms: Record<string, number>; inputs: Record<string, ArrayBufferView> },
  target: 'gpu' | 'cpu',
): Promise<NonFinite | undefined> {
  const live = liveNodes(graph);
  const nodes = graph.nodes.filter((n) => live.has(n.id) && !LEAVES.has(n.op));
  const debug: Graph = {
    nodes: graph.nodes,
    outputs: nodes.map((n) => ({ name: `n${n.id}`, node: n.id, role: 'value' })),
  };
  const plan = generatePlan(debug, { name: 'diagnose', fuse: false, target });
  const loaded = await loadPlan(store, plan);
  // The training step's uniforms that this forward-and-backward plan reads (not the optimizer's).
  const known = new Set(graph.nodes.filter((n) => n.op === 'uniform').map((n) => String(n.attrs.name)));
  const uniforms = Object.fromEntries(Object.entries(step.uniforms).filter(([name]) => known.has(name)));
  executePlan(loaded, { ...step, uniforms });
  const bad = new Set<number>();
  let found: NonFinite | undefined;
  for (const output of plan.outputs) {
    const values = (await readPlanBuffer(loaded, output.buffer)).subarray(0, output.elements);
    const index = values.findIndex((v) => !Number.isFinite(v));
    if (index < 0) continue;
    const node = graph.nodes[Number(output.name.slice(1))];
    bad.add(node.id);
    if (!found && !node.inputs.some((i) => bad.has(i))) {
      const forward = node.gradientOf === undefined ? undefined : graph.nodes[node.gradientOf];
      found = { node, value: String(values[index]), ...(forward ? { gradientOf: forward } : {}) };
    }
  }
  for (const buffer of loaded.buffers) if (!store.buffers.has(buffer.label)) buffer.destroy();
  return found;
}
