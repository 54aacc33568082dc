// The lowering table: an op's kind (ops/op.ts) decides how a kernel root is turned into WGSL, here and
// nowhere else. Within a kind the lowering picks its kernel from the op and its attributes (a plain 2-D
// convolution the tiled kernels, a k x k stride-k max pooling its window kernel, ...).
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { Graph, Node } from '../ir/types.ts';
import { elementCount } from '../ir/types.ts';
import type { OpKind } from '../ops/index.ts';
import { getOp } from '../ops/index.ts';
import type { KernelContext } from './context.ts';
import { groupSumKernel, randomMaskKernel } from './kinds/channels.ts';
import { concatKernel, sliceKernel } from './kinds/concat.ts';
import type { Epilogue, Split } from './kinds/conv.ts';
import { convKernel, gradWeightChunks } from './kinds/conv.ts';
import type { KernelBody } from './kinds/elementwise.ts';
import { elementwiseKernel } from './kinds/elementwise.ts';
import { linearKernel } from './kinds/linear.ts';
import { padKernel } from './kinds/pad.ts';
import { poolKernel } from './kinds/pool.ts';
import { reduceKernel, reductionChunks } from './kinds/reduce.ts';
import { resizeKernel } from './kinds/resize.ts';

export type { Epilogue, Split } from './kinds/conv.ts';

/** What a lowering is given besides the node. */
export interface LowerOptions {
  /** The pointwise nodes the kernel evaluates inline (elementwise and reduce roots). */
  inlined: Set<number>;
  /** The adapter kind the plan is tuned for. */
  target: 'gpu' | 'cpu';
  /** When the node's work is split into chunks: their number and the partial buffer. */
  split?: Split;
  /** A pointwise root the kernel computes at its store instead of its own value (tiled convolutions). */
  epilogue?: Epilogue;
}

/** Workgroups to aim for when splitting reductions (`reduce`) and weight gradients (`weights`). */
export interface SplitAim {
  reduce: number;
  weights: number;
}

export interface Lowering {
  kernel(ctx: KernelContext, node: Node, options: LowerOptions): KernelBody;
  /**
   * Chunks the node's work is split into, each writing partial results that a combine kernel then folds
   * (default 1: no split).
   */
  chunks?(graph: Graph, node: Node, aim: SplitAim, target: 'gpu' | 'cpu'): number;
}

const elementwise: Lowering = { kernel: (ctx, node, o) => elementwiseKernel(ctx, node, o.inlined) };

const LOWERINGS: Record<OpKind, Lowering> = {
  // A constant or a uniform that is itself a kernel's value (a graph output, a stored operand) is written
  // by an elementwise kernel; the other leaves are buffers filled from outside.
  leaf: {
    kernel: (ctx, node, o) => {
      if (node.op !== 'const' && node.op !== 'uniform')
        throw new InternalError(`the leaf '${node.op}' is not computed by a kernel`);
      return elementwise.kernel(ctx, node, o);
    },
  },
  elementwise,
  reduce: {
    kernel: (ctx, node, o) => reduceKernel(ctx, node, o.inlined, o.split, o.target),
    chunks: (graph, node, aim) => {
      const outputs = elementCount(node.type);
      return reductionChunks(
        node.op,
        outputs,
        elementCount(graph.nodes[node.inputs[0]].type) / outputs,
        aim.reduce,
      );
    },
  },
  conv: {
    kernel: (ctx, node, o) => convKernel(ctx, node, o.split, o.target, o.epilogue),
    chunks: (graph, node, aim, target) =>
      node.op === 'convolution_grad_weight'
        ? gradWeightChunks(node, graph.nodes[node.inputs[0]], aim.weights, target)
        : 1,
  },
  pool: { kernel: (ctx, node) => poolKernel(ctx, node) },
  resize: { kernel: (ctx, node) => resizeKernel(ctx, node) },
  concat: { kernel: (ctx, node) => concatKernel(ctx, node) },
  slice: { kernel: (ctx, node) => sliceKernel(ctx, node) },
  pad: { kernel: (ctx, node) => padKernel(ctx, node) },
  linear: { kernel: (ctx, node) => linearKernel(ctx, node) },
  group: { kernel: (ctx, node) => groupSumKernel(ctx, node) },
  random: { kernel: (ctx, node) => randomMaskKernel(ctx, node) },
};

/** The lowering of a node's kind. */
export function loweringOf(node: Node): Lowering {
  return LOWERINGS[getOp(node.op).kind];
}
