// Fusion: decides which nodes get a buffer of their own; pointwise chains inline into their consumer's
// kernel.
import type { Graph, Node } from '../ir/types.ts';
import { liveNodes } from '../ir/types.ts';
import { convKernelSizes } from '../ops/convolution.ts';
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
  /**
   * Conv epilogues: a pointwise root whose kernel is the convolution it consumes (by root), the conv's result
   * feeding the pointwise tree in registers instead of through a buffer (bias, eval batch norm, activation).
   */
  epilogues: Map<number, number>;
}

/**
 * 2-D convolutions and input gradients (every kernel of them: tiled, implicit GEMM, direct) can run a
 * pointwise epilogue at their store.
 */
const EPILOGUE_HOSTS = new Set(['convolution', 'convolution_grad_input']);
const isEpilogueHost = (graph: Graph, conv: Node) =>
  EPILOGUE_HOSTS.has(conv.op) &&
  convKernelSizes(
    conv.op,
    conv.attrs,
    conv.inputs.map((i) => graph.nodes[i].type),
  ).length === 2;

const fusable = (node: Node) => ['elementwise', 'reduce'].includes(getOp(node.op).kind);

/**
 * fuseElementwise: with `enabled` false every non-leaf node gets its own kernel (for comparisons). A kernel
 * reads at most `maxReads` stored tensors (the device's storage-binding limit less the kernel's own): wider
 * pointwise trees are split by storing a subtree.
 */
export function fuseElementwise(graph: Graph, enabled = true, maxReads = Infinity): Fusion {
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
    const ownCost = RECOMPUTE.has(node.op)
      ? 0
      : 1 + node.inputs.reduce((n, i) => n + (stored.has(i) ? 0 : (cost.get(i) ?? 0)), 0);
    // A cheap node with several consumers is recomputed in each instead of written and read back.
    const cheapEnough =
      users.length === 1 || (users.length <= MAX_SHARED_USERS && ownCost <= MAX_SHARED_COST);
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
  if (enabled) limitReads(graph, roots, stored, maxReads);
  const inlined = new Map(roots.map((root) => [root, kernelMembers(graph, root, stored)]));
  const epilogues = enabled
    ? findEpilogues(graph, roots, inlined, consumers, outputs)
    : new Map<number, number>();
  const hosts = new Set(epilogues.values());
  for (const conv of hosts) stored.delete(conv);
  return { live, roots: roots.filter((r) => !hosts.has(r)), stored, inlined, epilogues };
}

/** The nodes a root's kernel evaluates inline: its inputs' pointwise trees down to stored nodes. */
function kernelMembers(graph: Graph, root: number, stored: Set<number>): number[] {
  const members = new Set<number>();
  const stack = fusable(graph.nodes[root]) ? [...graph.nodes[root].inputs] : [];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (stored.has(id) || members.has(id)) continue;
    members.add(id);
    stack.push(...graph.nodes[id].inputs);
  }
  return [...members].sort((a, b) => a - b);
}

/** The stored tensors a kernel of `root` reads (inputs of it and its inline members that are stored). */
function kernelReads(graph: Graph, root: number, stored: Set<number>): Set<number> {
  const members = new Set([root, ...kernelMembers(graph, root, stored)]);
  const inputs = [...members].flatMap((id) => graph.nodes[id].inputs);
  return new Set(inputs.filter((i) => !members.has(i) && stored.has(i)));
}

/**
 * Stores inline subtrees of kernels that read more than `maxReads` tensors until each fits: each time the
 * member whose storing leaves the kernel the fewest reads (ties: the lowest id), so the split is shallow.
 */
function limitReads(graph: Graph, roots: number[], stored: Set<number>, maxReads: number): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const root of [...roots]) {
      while (kernelReads(graph, root, stored).size > maxReads) {
        let best: { id: number; reads: number } | undefined;
        for (const id of kernelMembers(graph, root, stored)) {
          if (RECOMPUTE.has(graph.nodes[id].op)) continue;
          stored.add(id);
          const reads = kernelReads(graph, root, stored).size;
          stored.delete(id);
          if (!best || reads < best.reads) best = { id, reads };
        }
        if (!best) break;
        stored.add(best.id);
        roots.push(best.id);
        changed = true; // the new root may be wide itself
      }
    }
  }
  roots.sort((a, b) => a - b);
}

/**
 * Pairs a pointwise root with the convolution it reads when that conv is read by nothing else and has the
 * root's exact shape: the conv then writes the root's value directly (no intermediate tensor, one kernel
 * fewer).
 */
function findEpilogues(
  graph: Graph,
  roots: number[],
  inlined: Map<number, number[]>,
  consumers: Map<number, Node[]>,
  outputs: Set<number>,
): Map<number, number> {
  const rootSet = new Set(roots);
  // Which kernels (roots) read each stored node: a shared pointwise node inlined in several kernels reads for
  // each.
  const readers = new Map<number, Set<number>>();
  const reads = new Map<number, number[]>();
  for (const root of roots) {
    const members = new Set([root, ...(inlined.get(root) ?? [])]);
    const read = [
      ...new Set([...members].flatMap((id) => graph.nodes[id].inputs).filter((i) => !members.has(i))),
    ];
    reads.set(root, read);
    for (const i of read) readers.set(i, new Set([...(readers.get(i) ?? []), root]));
  }
  const epilogues = new Map<number, number>();
  const taken = new Set<number>();
  for (const root of roots) {
    const node = graph.nodes[root];
    if (getOp(node.op).kind !== 'elementwise') continue;
    const candidates = reads.get(root)!.filter((i) => {
      const conv = graph.nodes[i];
      return (
        isEpilogueHost(graph, conv) &&
        rootSet.has(i) &&
        !outputs.has(i) &&
        !taken.has(i) &&
        readers.get(i)!.size === 1 &&
        (consumers.get(i) ?? []).length > 0 &&
        sameShape(conv, node)
      );
    });
    if (candidates.length === 0) continue;
    epilogues.set(root, candidates[0]);
    taken.add(candidates[0]);
  }
  return epilogues;
}

function sameShape(a: Node, b: Node): boolean {
  return (
    a.type.dims.length === b.type.dims.length &&
    a.type.dims.every((d, i) => d.name === b.type.dims[i].name && d.size === b.type.dims[i].size)
  );
}
