// Plans for the CPU adapter read kernel sizes from a per-kernel uniform, so kernels that differ only in
// their sizes have one WGSL text and share one pipeline (compiled once by lavapipe). A net of two
// convolutions of different sizes, each with an epilogue and a reduction after it, trained one step:
// the pipelines are shared, and every output and gradient still equals the float64 oracle's.
import { describe, expect, it } from 'vitest';
import { differentiate } from '../../compiler/autodiff/index.ts';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { createRandom } from '../../runtime/data/random.ts';
import { pipelineKey } from '../../runtime/executor.ts';
import { relativeError, runPlanOnGpu } from '../helpers/gpu.ts';

const plain = { stride: [1, 1], pad: [1, 1], dilation: [1, 1], groups: 1 };

/** x [2, 4, 5, 7] -> conv 4->4, relu -> conv 4->8, relu -> sum of squares: plain convs of one structure. */
function twoConvs() {
  const b = new GraphBuilder();
  const leaf = (name: string, dims: string[], sizes: number[]) => b.add('weight', [], { name, dims, sizes });
  const x = leaf('x', ['N', 'C', 'H', 'W'], [2, 4, 5, 7]);
  const w1 = leaf('w1', ['O', 'I', 'KH', 'KW'], [4, 4, 3, 3]);
  const w2 = leaf('w2', ['O', 'I', 'KH', 'KW'], [8, 4, 3, 3]);
  const h = b.unary('relu', b.add('convolution', [x, w1], plain));
  const y = b.unary('relu', b.add('convolution', [h, w2], plain));
  const loss = b.sum(b.binary('mul', y, y), ['N', 'C', 'H', 'W']);
  b.output('loss', loss);
  const leaves = [x, w1, w2];
  const grads = differentiate(b, loss, leaves);
  ['x', 'w1', 'w2'].forEach((name, i) => b.output(`grad:${name}`, grads.get(leaves[i])!, 'gradient'));
  const random = createRandom(7);
  const tensors: Record<string, number[]> = {};
  for (const node of b.graph().nodes.filter((n) => n.op === 'weight')) {
    const count = node.type.dims.reduce((n, d) => n * d.size, 1);
    tensors[node.attrs.name as string] = Array.from({ length: count }, () => Math.fround(random.normal()));
  }
  return { graph: b.graph(), tensors };
}

describe('shared pipelines on the CPU adapter', () => {
  const { graph, tensors } = twoConvs();
  // The ReLU masks on their inputs (reluMasks false): each convolution is a kernel of its own, not the
  // first one a ReLU's epilogue host (chooseReluMasks).
  const cpu = generatePlan(graph, { name: 'cpu', target: 'cpu', reluMasks: false });

  it('gives kernels of one structure one WGSL text, with their sizes as uniforms', () => {
    for (const op of ['convolution', 'convolution_grad_weight']) {
      const convs = cpu.kernels.filter((k) => k.name.endsWith(`_${op}`));
      expect(convs.length, op).toBe(2);
      expect(pipelineKey(convs[0].wgsl), op).toBe(pipelineKey(convs[1].wgsl));
      expect(convs[0].sizes, op).not.toEqual(convs[1].sizes);
      expect(convs[0].wgsl, op).toContain('var<uniform> sizes');
    }
    const gpu = generatePlan(graph, { name: 'gpu', target: 'gpu', reluMasks: false });
    expect(gpu.kernels.every((k) => k.sizes === undefined)).toBe(true);
    const distinct = (kernels: typeof cpu.kernels) => new Set(kernels.map((k) => pipelineKey(k.wgsl))).size;
    expect(distinct(cpu.kernels)).toBeLessThan(distinct(gpu.kernels));
  });

  it('computes the loss and every gradient as the float64 oracle does', async () => {
    const values = evaluateGraph(graph, { tensors });
    const result = await runPlanOnGpu(cpu, { tensors });
    for (const output of graph.outputs) {
      const expected = values.get(output.node)!.data;
      expect(relativeError(result[output.name], expected), output.name).toBeLessThan(1e-5);
    }
  });
});
