// Fusion: decides which nodes get a buffer of their own; pointwise chains inline into their consumer's kernel.
import type { Graph, Node } from '../ir/types.ts';
import { liveNodes } from '../ir/types.ts';
import { getOp } from '../ops/index.ts';

/** Elementwise ops cheap enough to recompute in every consumer instead of storing. */
const RECOMPUTE = new Set(['const', 'uniform', 'onehot', 'valid', 'expand']);
/** A node used by several kernels is inlined into each when it costs at most this many pointwise ops... */
const MAX_SHARED_COST = 4;
/** ...and has at most this many consumers. */
const MAX_SHARED_USERS = 4;

export interface Fusion {
  /** Nodes the graph's outputs need. */
  live: Set<number>;
  /** Nodes computed by a kernel of their own into a buffer (kernel roots). */
  roots: number[];
  /** Nodes with a buffer: roots and the input/weight/state leaves. */
  stored: Set<number>;
  /** For each root, the nodes its kernel evaluates inline. */
  inlined: Map<number, number[]>;
}

const fusable = (node: Node) => ['elementwise', 'reduce'].includes(getOp(node.op).kind);

/** fuseElementwise: with `enabled` false every non-leaf node gets its own kernel (for comparisons). */
export function fuseElementwise(graph: Graph, enabled = true): Fusion {
  const live = liveNodes(graph);
  const consumers = new Map<number, Node[]>();
  for (const node of graph.nodes) {
    if (!live.has(node.id)) continue;
    for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  }
  const outputs = new Set(graph.outputs.map((o) => o.node));
  const stored = new Set<number>();
  const roots: number[] = [];
  // Pointwise ops a node would recompute when inlined (stored inputs cost nothing).
  const cost = new Map<number, number>();
  for (const node of graph.nodes) {
    if (!live.has(node.id)) continue;
    const kind = getOp(node.op).kind;
    if (kind === 'leaf' && node.op !== 'const' && node.op !== 'uniform') {
      stored.add(node.id);
      continue;
    }
    const users = consumers.get(node.id) ?? [];
    const ownCost = RECOMPUTE.has(node.op) ? 0 : 1 + node.inputs.reduce((n, i) => n + (stored.has(i) ? 0 : cost.get(i) ?? 0), 0);
    // A cheap node with several consumers is recomputed in each instead of written and read back.
    const cheapEnough = users.length === 1 || (users.length <= MAX_SHARED_USERS && ownCost <= MAX_SHARED_COST);
    const inlinable =
      (kind === 'elementwise' || node.op === 'const' || node.op === 'uniform') &&
      !outputs.has(node.id) &&
      users.length > 0 &&
      users.every(fusable) &&
      (RECOMPUTE.has(node.op) || (enabled && cheapEnough));
    cost.set(node.id, ownCost);
    if (!inlinable) {
      stored.add(node.id);
      roots.push(node.id);
    }
  }
  const inlined = new Map<number, number[]>();
  for (const root of roots) {
    const members = new Set<number>();
    const stack = [...graph.nodes[root].inputs];
    if (!fusable(graph.nodes[root])) stack.length = 0;
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (stored.has(id) || members.has(id)) continue;
      members.add(id);
      stack.push(...graph.nodes[id].inputs);
    }
    inlined.set(root, [...members].sort((a, b) => a - b));
  }
  return { live, roots, stored, inlined };
}
