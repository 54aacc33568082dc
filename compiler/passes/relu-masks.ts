// chooseReluMasks: which tensor a ReLU's backward reads for its mask, its input x or its output y (the vjp
// builds [x > 0]; [y > 0] of y = max(x, 0) is the same mask bit for bit, NaN and -0 included). Graph and
// fusion in, the graph with the chosen masks reading y out.
import type { Graph, Node } from '../ir/types.ts';
import type { Fusion } from './fuse.ts';

/**
 * Points the masks `gt(x, 0)` built after a ReLU y = relu(x) at y where that keeps fewer bytes for the
 * backward pass; x and y have one shape, and the fusion done with every mask on x says which has a buffer.
 * A mask on an x without a buffer costs nothing (its kernel recomputes x from what it reads anyway) and one
 * moved to a y without a buffer would give y one: both stay. Where both have buffers, the mask moves unless
 * x is kept for the backward anyway (another backward node reads it, or it is an output) and y is not. A y
 * feeding a convolution is kept for the weight gradient, so the moved mask costs nothing, and x, then read
 * by its ReLU alone, is computed in the ReLU's kernel instead of stored: the sum of a residual block with a
 * projection shortcut (which PyTorch's in-place ReLU overwrites; bench/results/2026-12-02-memory-plan.txt),
 * or a convolution's output (the convolution then runs the ReLU as its epilogue). Returns the graph (a copy
 * when a mask moved) and the moved masks' ids; fusion runs again after a move.
 */
export function chooseReluMasks(graph: Graph, fusion: Fusion): { graph: Graph; moved: number[] } {
  const consumers = new Map<number, Node[]>();
  for (const node of graph.nodes) {
    if (!fusion.live.has(node.id)) continue;
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const backward = (node: Node) => node.gradientOf !== undefined;
  // Outputs (read after the step) are kept as long as the backward's tensors.
  const outputs = new Set(graph.outputs.map((o) => o.node));
  const isZero = (id: number) => graph.nodes[id].op === 'const' && graph.nodes[id].attrs.value === 0;
  let nodes: Node[] | undefined;
  const moved: number[] = [];
  for (const relu of graph.nodes) {
    if (relu.op !== 'relu') continue;
    const [x, y] = [relu.inputs[0], relu.id];
    if (!fusion.stored.has(x) || !fusion.stored.has(y)) continue;
    const readers = consumers.get(x) ?? [];
    const masks = readers.filter(
      (m) => m.op === 'gt' && m.inputs[0] === x && isZero(m.inputs[1]) && m.id > y,
    );
    if (masks.length === 0) continue;
    const xKept = outputs.has(x) || readers.some((c) => backward(c) && !masks.includes(c));
    const yKept = outputs.has(y) || (consumers.get(y) ?? []).some(backward);
    if (xKept && !yKept) continue;
    nodes ??= [...graph.nodes];
    for (const m of masks) nodes[m.id] = { ...m, inputs: [y, m.inputs[1]] };
    moved.push(...masks.map((m) => m.id));
  }
  return { graph: nodes ? { ...graph, nodes } : graph, moved };
}
