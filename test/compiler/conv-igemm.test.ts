// The implicit-GEMM convolutions (codegen/kinds/conv-igemm.ts) against the float64 oracle on the CPU adapter:
// for each 2-D geometry at small odd sizes, one plan computes the convolution and both gradients of
// sum(conv(x, w) * r); plus split-K weight gradients, the 128 x 64 tile, and fused epilogues.
import { describe, expect, it } from 'vitest';
import { differentiate } from '../../compiler/autodiff/index.ts';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { createRandom } from '../../runtime/data/random.ts';
import { relativeError, runPlanOnGpu } from '../helpers/gpu.ts';

interface Geometry {
  label: string;
  x: number[]; // [N, C, H, W]
  w: number[]; // [O, I, KH, KW]
  stride: number[];
  pad: number[];
  dilation: number[];
  groups: number;
}

const g = (
  label: string,
  x: number[],
  w: number[],
  stride = [1, 1],
  pad = [0, 0],
  dilation = [1, 1],
  groups = 1,
): Geometry => ({ label, x, w, stride, pad, dilation, groups });

const geometries: Geometry[] = [
  g('3x3 stride 2 pad 1', [2, 5, 9, 11], [6, 5, 3, 3], [2, 2], [1, 1]),
  g('3x3 dilation 2 pad 2', [2, 3, 7, 9], [5, 3, 3, 3], [1, 1], [2, 2], [2, 2]),
  g('3x3 groups 2', [2, 6, 7, 8], [4, 3, 3, 3], [1, 1], [1, 1], [1, 1], 2),
  g('depthwise 3x3 dilation 2 (direct kernels)', [2, 4, 7, 9], [4, 1, 3, 3], [1, 1], [2, 2], [2, 2], 4),
  g('7x7 stride 2 pad 3 (stem)', [1, 3, 13, 15], [5, 3, 7, 7], [2, 2], [3, 3]),
  g('1x1 stride 1 (plain GEMM)', [2, 7, 5, 9], [9, 7, 1, 1]),
  g('1x1 stride 2 (downsample)', [2, 7, 9, 11], [10, 7, 1, 1], [2, 2]),
  g('3x5 stride 1x2 pad 1x2 (rectangular)', [2, 3, 7, 9], [4, 3, 3, 5], [1, 2], [1, 2]),
  g('3x3 stride 2 dilation 2 groups 3', [2, 6, 11, 9], [9, 2, 3, 3], [2, 2], [2, 2], [2, 2], 3),
  g('3x3 stride 3 pad 2 (pad beyond a tile)', [1, 17, 10, 13], [19, 17, 3, 3], [3, 3], [2, 2]),
];

function values(count: number, seed: number): number[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => Math.fround(random.normal()));
}

const count = (sizes: number[]) => sizes.reduce((a, b) => a * b, 1);

/** sum(conv(x, w) * r) and its gradients with respect to x and w. */
function convGraph(c: Geometry): { graph: Graph; tensors: Record<string, number[]> } {
  const b = new GraphBuilder();
  const x = b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: c.x });
  const w = b.add('weight', [], { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: c.w });
  const attrs = { stride: c.stride, pad: c.pad, dilation: c.dilation, groups: c.groups };
  const out = b.add('convolution', [x, w], attrs);
  const type = b.type(out);
  const r = b.add('weight', [], {
    name: 'r',
    dims: ['N', 'C', 'H', 'W'],
    sizes: type.dims.map((d) => d.size),
  });
  const loss = b.sum(b.binary('mul', out, r), ['N', 'C', 'H', 'W']);
  const grads = differentiate(b, loss, [x, w]);
  b.output('out', out);
  b.output('grad:x', grads.get(x)!, 'gradient');
  b.output('grad:w', grads.get(w)!, 'gradient');
  const tensors = {
    x: values(count(c.x), 1),
    w: values(count(c.w), 2),
    r: values(count(type.dims.map((d) => d.size)), 3),
  };
  return { graph: b.graph(), tensors };
}

async function errors(graph: Graph, tensors: Record<string, number[]>, target: 'gpu' | 'cpu') {
  const plan = generatePlan(graph, { name: 'igemm', target });
  const gpu = await runPlanOnGpu(plan, { tensors });
  const reference = evaluateGraph(graph, { tensors });
  const result: Record<string, number> = {};
  for (const output of graph.outputs)
    result[output.name] = relativeError(gpu[output.name], reference.get(output.node)!.data);
  if (process.env.SHOW_ERRORS) console.log(JSON.stringify(result));
  return { result, plan };
}

describe('implicit-GEMM convolutions match the float64 oracle (forward, input and weight gradients)', () => {
  it.each(geometries.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const { graph, tensors } = convGraph(c);
    const { result, plan } = await errors(graph, tensors, 'gpu');
    for (const [name, error] of Object.entries(result)) expect(error, name).toBeLessThan(1e-5);
    const depthwise = c.groups > 1 && c.w[1] === 1;
    // Every convolution kernel of the plan is an implicit GEMM (workgroup tiles in workgroup memory) but
    // the depthwise ones.
    const convs = plan.kernels.filter((k) => k.kind === 'conv');
    expect(convs).toHaveLength(3);
    for (const k of convs) expect(k.wgsl.includes('var<workgroup> As'), k.name).toBe(!depthwise);
    // A strided, undilated input gradient runs per stride phase (only the taps that reach each phase).
    const phased = !depthwise && c.stride.some((s) => s > 1) && c.dilation.every((d) => d === 1);
    const gradInput = convs.find((k) => k.name.endsWith('convolution_grad_input'))!;
    expect(gradInput.wgsl.includes('let ky0'), gradInput.name).toBe(phased);
  });

  it('splits the weight gradient over positions (split-K) on GPUs, not on the CPU adapter', async () => {
    const c = g('3x3 dilation 2', [2, 3, 75, 73], [4, 3, 3, 3], [1, 1], [2, 2], [2, 2]);
    const { graph, tensors } = convGraph(c);
    for (const target of ['gpu', 'cpu'] as const) {
      const { result, plan } = await errors(graph, tensors, target);
      for (const [name, error] of Object.entries(result))
        expect(error, `${target} ${name}`).toBeLessThan(1e-5);
      const combine = plan.kernels.some((k) => k.name.includes('convolution_grad_weight_combine'));
      expect(combine, target).toBe(target === 'gpu');
    }
  });

  it('takes the 128 x 64 tile (8 rows per thread) for large 1x1 convolutions', async () => {
    const c = g('1x1 128 outputs', [2, 4, 64, 65], [128, 4, 1, 1]);
    const { graph, tensors } = convGraph(c);
    const { result, plan } = await errors(graph, tensors, 'gpu');
    for (const [name, error] of Object.entries(result)) expect(error, name).toBeLessThan(1e-5);
    const forward = plan.kernels.find((k) => k.name.endsWith('_convolution'))!;
    expect(forward.wgsl).toContain('array<vec4<f32>, 512>'); // As: 16 x 128 / 4
  });
});

describe('implicit-GEMM convolutions run a fused pointwise epilogue', () => {
  it('forward: relu(conv(x, w) + b) in one kernel', async () => {
    const b = new GraphBuilder();
    const x = b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: [2, 3, 9, 7] });
    const w = b.add('weight', [], { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [5, 3, 3, 3] });
    const bias = b.add('weight', [], { name: 'b', dims: ['C'], sizes: [5] });
    const conv = b.add('convolution', [x, w], { stride: [2, 2], pad: [1, 1], dilation: [1, 1], groups: 1 });
    b.output('out', b.add('relu', [b.binary('add', conv, bias)]));
    const graph = b.graph();
    const tensors = { x: values(2 * 3 * 9 * 7, 4), w: values(5 * 27, 5), b: values(5, 6) };
    const { result, plan } = await errors(graph, tensors, 'gpu');
    expect(result.out).toBeLessThan(1e-5);
    expect(plan.kernels).toHaveLength(1);
    expect(plan.kernels[0].wgsl).toContain('fn epilogue');
  });

  it('depthwise (direct kernel): relu(conv(x, w) + b) in one kernel', async () => {
    const b = new GraphBuilder();
    const x = b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: [2, 4, 7, 9] });
    const w = b.add('weight', [], { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [4, 1, 3, 3] });
    const bias = b.add('weight', [], { name: 'b', dims: ['C'], sizes: [4] });
    const conv = b.add('convolution', [x, w], { stride: [1, 1], pad: [2, 2], dilation: [2, 2], groups: 4 });
    b.output('out', b.add('relu', [b.binary('add', conv, bias)]));
    const graph = b.graph();
    const tensors = { x: values(2 * 4 * 63, 10), w: values(36, 11), b: values(4, 12) };
    const { result, plan } = await errors(graph, tensors, 'gpu');
    expect(result.out).toBeLessThan(1e-5);
    expect(plan.kernels).toHaveLength(1);
    expect(plan.kernels[0].wgsl).toContain('fn epilogue');
  });

  it('input gradient: convolution_grad_input(g, w) * s + 1 in one kernel', async () => {
    const b = new GraphBuilder();
    const gy = b.add('weight', [], { name: 'g', dims: ['N', 'C', 'H', 'W'], sizes: [2, 6, 5, 4] });
    const w = b.add('weight', [], { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [6, 2, 3, 3] });
    const s = b.add('weight', [], { name: 's', dims: ['C'], sizes: [4] });
    const attrs = { stride: [2, 2], pad: [1, 1], dilation: [1, 1], groups: 2, input: [9, 7] };
    const dx = b.add('convolution_grad_input', [gy, w], attrs);
    b.output('out', b.binary('add', b.binary('mul', dx, s), b.constant(1)));
    const graph = b.graph();
    const tensors = { g: values(2 * 6 * 20, 7), w: values(6 * 18, 8), s: values(4, 9) };
    const { result, plan } = await errors(graph, tensors, 'gpu');
    expect(result.out).toBeLessThan(1e-5);
    expect(plan.kernels).toHaveLength(1);
    expect(plan.kernels[0].wgsl).toContain('fn epilogue');
  });
});
