// Reverse-mode autodiff over the IR: walks nodes from the loss back, applying each op's vjp and summing
// gradients.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { GraphBuilder } from '../ir/builder.ts';
import { getOp } from '../ops/index.ts';

/**
 * Appends the backward graph for d(loss)/d(node) for each node in `wrt` to the builder; returns their
 * gradients. A node the loss does not depend on gets a zero gradient.
 */
export function differentiate(b: GraphBuilder, loss: number, wrt: number[]): Map<number, number> {
  if (b.type(loss).dims.length !== 0) throw new InternalError('differentiate needs a scalar loss');
  const needed = dependsOn(b, wrt, loss);
  const grads = new Map<number, number>([[loss, b.constant(1)]]);
  for (let id = loss; id >= 0; id--) {
    const grad = grads.get(id);
    if (grad === undefined || !needed.has(id)) continue;
    const node = b.node(id);
    const def = getOp(node.op);
    if (def.kind === 'leaf') continue;
    if (!def.vjp) throw new InternalError(`op '${node.op}' has no gradient rule`);
    const first = b.nodes.length;
    const inputGrads = def.vjp(b, node, grad);
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      if (g === undefined || !needed.has(input)) return;
      const previous = grads.get(input);
      grads.set(input, previous === undefined ? g : b.binary('add', previous, g));
    });
    for (let k = first; k < b.nodes.length; k++) b.nodes[k].gradientOf ??= id;
  }
  const result = new Map<number, number>();
  for (const id of wrt) {
    result.set(id, grads.get(id) ?? b.expand(b.constant(0), b.type(id)));
  }
  return result;
}

/** Nodes that lie on a path from some node of `sources` to `target`. */
function dependsOn(b: GraphBuilder, sources: number[], target: number): Set<number> {
  const reaches = new Set<number>(sources);
  for (let id = 0; id <= target; id++) {
    if (b.node(id).inputs.some((i) => reaches.has(i))) reaches.add(id);
  }
  const onPath = new Set<number>();
  const stack = [target];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (onPath.has(id) || !reaches.has(id)) continue;
    onPath.add(id);
    stack.push(...b.node(id).inputs);
  }
  return onPath;
}

/** A leaf to differentiate with respect to, and the name of its gradient output. */
export interface GradientTarget {
  node: number;
  output: string;
}

/**
 * The autodiff phase as the driver runs it: appends the backward graph of the scalar `loss` and one
 * 'gradient' output per target, in the targets' order.
 */
export function appendGradients(b: GraphBuilder, loss: number, targets: GradientTarget[]): void {
  const grads = differentiate(
    b,
    loss,
    targets.map((t) => t.node),
  );
  for (const t of targets) b.output(t.output, grads.get(t.node)!, 'gradient');
}
