// chooseReluMasks: a ReLU's backward masks with [y > 0] of its output instead of [x > 0] of its input where
// both have buffers and x is not kept for the backward otherwise (x then loses its buffer); it keeps [x > 0]
// where x has no buffer (recomputed, as after batch norm) or is kept anyway while y is not. The float64
// oracle gives the chosen graph's gradients exactly as the vjp's own; the paper networks' training plans end
// under PyTorch's peak (plan-memory.test.ts).
import { describe, expect, it } from 'vitest';
import type { CompiledExperiment } from '../../compiler/index.ts';
import { compileExperiment, memoryReport } from '../../compiler/index.ts';
import type { Graph, Node } from '../../compiler/ir/types.ts';
import { elementCount } from '../../compiler/ir/types.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';

const SIDE = 8;
// The four ReLUs, in order: after batch norm (x recomputed from the centred conv output: stays on x); of a
// residual block's sum with a projection shortcut (both have buffers: moves); of a convolution feeding
// upsampling (the conv's output stored for the mask alone: moves, and the conv gets the ReLU as epilogue);
// of a convolution also squared (its output kept for the square's backward, y read by no backward: stays).
const text = `import std/losses { bce_l1 }

net masks(x: image[N,Cin,H,W], in: int = 3, classes: int = 1) {
  let a = relu(batchnorm(conv(x, 8, 3, pad = 1, bias = false, name = "a"), name = "a.bn"))
  let main = batchnorm(conv(a, 8, 3, pad = 1, bias = false, name = "b"), name = "b.bn")
  let b = relu(main + batchnorm(conv(x, 8, 1, bias = false, name = "p"), name = "p.bn"))
  let c = upsample(relu(conv(b, 4, 3, pad = 1, bias = false, name = "s")), 2)
  let t = conv(b, 4, 3, pad = 1, bias = false, name = "t")
  let d = upsample(relu(t), 2) + upsample(t * t, 2)
  return maxpool(conv(concat[C](c, d), classes, 3, pad = 1, name = "head"), 2, stride = 2)
}

experiment masks {
  data = shapes(size = [${SIDE}, ${SIDE}], classes = 2, foreground = 0.2, train = 4, val = 2, seed = 1)
  model = masks(in = 3, classes = 1)
  loss = bce_l1(logits, y, alpha = 1.0, T = 10.0)
  optimizer = adam(lr = 1e-3)
  train { epochs = 1, batch = 2, seed = 1 }
}
`;

/** The forward ReLUs of a graph, each with the tensor its backward mask reads ('x', 'y', or none). */
function masks(graph: Graph): { relu: Node; reads: string }[] {
  const relus = graph.nodes.filter((n) => n.op === 'relu' && n.gradientOf === undefined);
  return relus.map((relu) => {
    const mask = graph.nodes.find(
      (n) => n.op === 'gt' && n.gradientOf === relu.id && [relu.inputs[0], relu.id].includes(n.inputs[0]),
    );
    return { relu, reads: mask === undefined ? 'none' : mask.inputs[0] === relu.id ? 'y' : 'x' };
  });
}

const hasBuffer = (compiled: CompiledExperiment, node: number) =>
  compiled.trainPlan.buffers.some((b) => b.node === node && b.role === 'activation');

describe('chooseReluMasks', () => {
  const chosen = compileExperiment('masks.seg', { text });
  const plain = compileExperiment('masks.seg', { text, reluMasks: false });

  it('moves the masks of a projection block and of a conv feeding upsampling to the ReLU output', () => {
    expect(masks(plain.trainPlan.graph).map((m) => m.reads)).toEqual(['x', 'x', 'x', 'x']);
    expect(masks(chosen.trainPlan.graph).map((m) => m.reads)).toEqual(['x', 'y', 'y', 'x']);
    // The staged graph is left as the vjp built it (the pass rewrites a copy).
    expect(masks(chosen.train.graph).map((m) => m.reads)).toEqual(['x', 'x', 'x', 'x']);
    const [bn, residual, upsampled, squared] = masks(chosen.trainPlan.graph).map((m) => m.relu.inputs[0]);
    // The moved masks' inputs lose their buffers; the others keep theirs (or have none, after batch norm).
    expect([bn, residual, upsampled, squared].map((x) => hasBuffer(plain, x))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect([bn, residual, upsampled, squared].map((x) => hasBuffer(chosen, x))).toEqual([
      false,
      false,
      false,
      true,
    ]);
    // Exactly those two tensors fewer bytes, and one kernel fewer for each (the sum is computed in the
    // ReLU's kernel, the convolution runs the ReLU as its epilogue).
    const bytes = (x: number) => 4 * elementCount(chosen.trainPlan.graph.nodes[x].type);
    const [before, after] = [memoryReport(plain.trainPlan), memoryReport(chosen.trainPlan)];
    expect(before.total - after.total).toBe(bytes(residual) + bytes(upsampled));
    expect(plain.trainPlan.kernels.length - chosen.trainPlan.kernels.length).toBe(2);
    expect(after.peak).toBeLessThan(before.peak);
    // The evaluation plan has no backward: nothing to choose.
    expect(chosen.evalPlan.kernels.map((k) => k.wgsl)).toEqual(plain.evalPlan.kernels.map((k) => k.wgsl));
  });

  it('gives the same loss and gradients in the float64 oracle, exactly', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const tensors: Record<string, ArrayLike<number>> = {
      image: Array.from({ length: 2 * 3 * SIDE * SIDE }, (_, i) => (i * 37) % 256),
      labels: Array.from({ length: 2 * SIDE * SIDE }, (_, i) => (i % 7 === 0 ? 1 : 0)),
    };
    for (const w of chosen.train.weights) {
      const count = w.sizes.reduce((n, s) => n * s, 1);
      tensors[w.name] = Array.from({ length: count }, () => (w.name.endsWith('running_var') ? 1 : random()));
    }
    const uniforms = Object.fromEntries(
      Object.entries(chosen.config.params).map(([name, value]) => [`param.${name}`, value]),
    );
    const graphs = [chosen.train.graph, chosen.trainPlan.graph];
    const [staged, planned] = graphs.map((graph) => evaluateGraph(graph, { tensors, uniforms }));
    const outputs = chosen.train.graph.outputs.filter((o) => o.role === 'gradient' || o.name === 'loss');
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) {
      const [a, b] = [staged.get(output.node)!.data, planned.get(output.node)!.data];
      expect(Array.from(b), output.name).toEqual(Array.from(a));
    }
    // The gradients are not trivially zero (the masks pass some of it and stop some).
    const grad = staged.get(outputs.find((o) => o.name === 'grad:p.weight')!.node)!.data;
    expect(grad.some((v) => v !== 0)).toBe(true);
  });
});
