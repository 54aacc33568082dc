// Dispatches past the per-dimension workgroup limit, on the GPU (lavapipe in CI): every kernel kind laid out
// as a 2-D grid gives the float64 oracle's values. The limit is lowered (a plan option) so small tensors
// split; one elementwise kernel splits at the real 65535. And `segc grad` on a device too small for a tensor
// is a diagnostic.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileErrorText } from '../../cli/check.ts';
import { assertFitsDevice, generatePlan } from '../../compiler/index.ts';
import { CompileError, UserError } from '../../diagnostics/index.ts';
import type { Plan, PlanOptions } from '../../compiler/codegen/plan.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { generateShapes } from '../../runtime/data/shapes.ts';
import { createRandom } from '../../runtime/data/random.ts';
import {
  BufferStore,
  executePlan,
  loadPlan,
  readBuffer,
  releasePlan,
  writeBuffer,
} from '../../runtime/executor.ts';
import { computeGrad } from '../../runtime/grad.ts';
import { initialValues } from '../../runtime/train/init.ts';
import type { GraphFeeds } from '../helpers/gpu.ts';
import { relativeError, runPlanOnGpu as run, testDevice } from '../helpers/gpu.ts';

function random(count: number, seed: number): Float32Array {
  const r = createRandom(seed);
  return Float32Array.from({ length: count }, () => r.normal());
}

/** Plans `graph` with at most `limit` workgroups per dimension and checks every output against the oracle. */
async function expectOracle(
  graph: Graph,
  feeds: GraphFeeds,
  options: Omit<PlanOptions, 'name'>,
  tolerance = 1e-5,
): Promise<Plan> {
  const plan = generatePlan(graph, { name: 'split', ...options });
  const gpu = await run(plan, feeds);
  const oracle = evaluateGraph(graph, feeds);
  for (const output of graph.outputs) {
    expect(relativeError(gpu[output.name], oracle.get(output.node)!.data), output.name).toBeLessThan(
      tolerance,
    );
  }
  return plan;
}

const split = (plan: Plan, kind: string) => plan.kernels.filter((k) => k.kind === kind && k.dispatch[1] > 1);

describe('dispatches split into 2-D grids', () => {
  const limits = { maxComputeWorkgroupsPerDimension: 8 };

  it('elementwise: a tail of 123 elements past whole workgroups, 41 workgroups on an 8 x 6 grid', async () => {
    const b = new GraphBuilder();
    const n = 8 * 256 * 5 + 123;
    const x = b.add('input', [], { name: 'x', dims: ['K'], sizes: [n] });
    const w = b.add('weight', [], { name: 'w', dims: ['K'], sizes: [n] });
    b.output('y', b.binary('add', b.unary('exp', b.unary('neg', b.unary('abs', x))), w));
    const plan = await expectOracle(b.graph(), { tensors: { x: random(n, 1), w: random(n, 2) } }, { limits });
    expect(split(plan, 'elementwise').map((k) => k.dispatch)).toEqual([[7, 6, 1]]);
  });

  it('reductions: one thread per output, one workgroup per output, chunks and their combine, argmax', async () => {
    const b = new GraphBuilder();
    const serial = b.add('input', [], { name: 's', dims: ['A', 'B'], sizes: [3000, 10] });
    const rows = b.add('input', [], { name: 'r', dims: ['A', 'C'], sizes: [50, 300] });
    const flat = b.add('input', [], { name: 'f', dims: ['K'], sizes: [40000] });
    b.output('serial', b.sum(serial, ['B']));
    b.output('rows', b.sum(b.unary('exp', rows), ['C']));
    b.output('max', b.add('max', [rows], { axes: ['C'] }));
    b.output('argmax', b.add('argmax', [rows], { axes: ['C'] }));
    b.output('total', b.sum(flat, ['K']));
    b.output('peak', b.add('max', [flat], { axes: ['K'] }));
    const feeds = { tensors: { s: random(30000, 3), r: random(15000, 4), f: random(40000, 5) } };
    const plan = await expectOracle(b.graph(), feeds, { limits, target: 'gpu' });
    // 12, 50, 50, 50 and 10 + 10 chunk workgroups: all but the combines (one workgroup) split.
    expect(split(plan, 'reduce').map((k) => k.dispatch)).toEqual([
      [6, 2, 1],
      [8, 7, 1],
      [8, 7, 1],
      [8, 7, 1],
      [5, 2, 1],
      [5, 2, 1],
    ]);
  });

  it('pool and resize: 2 x 2 max pooling and x2 nearest upsampling with their gradients', async () => {
    const b = new GraphBuilder();
    const x = b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: [2, 3, 20, 22] });
    const g = b.add('weight', [], { name: 'g', dims: ['N', 'C', 'H', 'W'], sizes: [2, 3, 10, 11] });
    const pool = { mode: 'max', kernel: [2, 2], stride: [2, 2], pad: [0, 0] };
    const up = { mode: 'nearest', size: [20, 22], align_corners: false };
    b.output('pooled', b.add('pool', [x], pool));
    b.output('up', b.add('resize', [g], up));
    b.output('pool_grad', b.add('pool_grad', [x, g], pool));
    b.output('up_grad', b.add('resize_grad', [x], { ...up, size: [20, 22], input: [10, 11] }));
    const tensors = { x: random(2 * 3 * 20 * 22, 6), g: random(2 * 3 * 10 * 11, 7) };
    const plan = await expectOracle(b.graph(), { tensors }, { limits });
    // 660 outputs (3 workgroups) stay along x; 2640 (11 workgroups) split.
    expect(split(plan, 'pool').map((k) => k.dispatch)).toEqual([[6, 2, 1]]);
    expect(split(plan, 'resize').map((k) => k.dispatch)).toEqual([[6, 2, 1]]);
  });

  it('Adam and the loss accumulation: the same update as without splitting', async () => {
    const n = 8 * 256 * 3 + 5;
    const build = () => {
      const b = new GraphBuilder();
      const p = b.add('weight', [], { name: 'p', dims: ['K'], sizes: [n] });
      const g = b.add('input', [], { name: 'g', dims: ['K'], sizes: [n] });
      b.output('loss', b.sum(b.binary('mul', p, g), ['K']));
      b.output('grad:p', g, 'gradient');
      return b.graph();
    };
    const { device } = await testDevice();
    const p0 = random(n, 7);
    const grad = random(n, 8);
    const step = async (options: Omit<PlanOptions, 'name'>) => {
      const plan = generatePlan(build(), {
        name: 'adam',
        accumulate: true,
        adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
        ...options,
      });
      const store = new BufferStore(device);
      const loaded = await loadPlan(store, plan);
      writeBuffer(device, store.get('weight:p', 4 * n), p0);
      executePlan(loaded, {
        uniforms: { 'adam.step_size': 1e-3 / (1 - 0.9), 'adam.bias2': Math.sqrt(1 - 0.999), step: 1 },
        inputs: { g: grad },
      });
      const weights = (await readBuffer(device, store.get('weight:p', 4 * n))).slice(0, n);
      const accumulated = (await readBuffer(device, loaded.buffers[plan.accumulator!])).slice(0, 1);
      releasePlan(loaded);
      return { plan, weights, accumulated };
    };
    const whole = await step({});
    const parts = await step({ limits });
    expect(split(parts.plan, 'update').map((k) => k.name)).toEqual(['adam_adam_p']);
    expect(parts.weights).toEqual(whole.weights);
    expect(parts.accumulated).toEqual(whole.accumulated);
    // One Adam step moves each weight by lr (1 - decayed direction): against float64.
    const moved = Array.from(p0, (p, i) => {
      const g = grad[i] + 0.01 * p;
      const m = 0.1 * g;
      const v = 0.001 * g * g;
      return (-(1e-3 / 0.1) * m) / (Math.sqrt(v) / Math.sqrt(0.001) + 1e-8);
    });
    expect(
      relativeError(
        Array.from(parts.weights, (w, i) => w - p0[i]),
        moved,
      ),
    ).toBeLessThan(1e-3);
  });

  it('a whole training step of the tiny U-Net (conv kernels included) matches the oracle', async () => {
    const kinds = new Set<string>();
    // Tuned for lavapipe its conv kernels have up to 18 workgroups (a 5 x 5 grid holds them); tuned for a GPU
    // its reductions and concatenations have 3 (a 2 x 2 grid).
    for (const [target, limit] of [
      ['cpu', 5],
      ['gpu', 2],
    ] as const) {
      const compiled = compileExperiment('test/fixtures/experiments/tiny.seg', { target });
      const { graph, weights } = compiled.train;
      const data = generateShapes({ size: [8, 8], classes: 3, foreground: 0.2, count: 2, seed: 3 });
      const tensors: Record<string, ArrayLike<number>> = { image: data.images, labels: data.labels };
      for (const [name, values] of initialValues(weights, 1)) tensors[name] = values;
      const feeds = {
        tensors,
        bytes: { image: data.images, labels: Uint8Array.from(data.labels) },
        uniforms: { 'param.alpha': 1, 'param.T': 10 },
      };
      const plan = await expectOracle(
        graph,
        feeds,
        { target, limits: { maxComputeWorkgroupsPerDimension: limit } },
        1e-4,
      );
      for (const k of plan.kernels) if (k.dispatch[1] > 1) kinds.add(k.kind);
    }
    expect([...kinds].sort()).toEqual(['concat', 'conv', 'reduce']);
  });

  it('splits an elementwise kernel of 65535 * 256 + 123 elements at the real limit of 65535 workgroups', async () => {
    const n = 65535 * 256 + 123;
    const b = new GraphBuilder();
    b.output('y', b.unary('exp', b.add('input', [], { name: 'x', dims: ['K'], sizes: [n] })));
    const plan = generatePlan(b.graph(), { name: 'wide' });
    expect(plan.kernels.map((k) => k.dispatch)).toEqual([[32768, 2, 1]]);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 4099) / 1024 - 2;
    const { y } = await run(plan, { tensors: {}, bytes: { x: new Uint8Array(x.buffer) } });
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - Math.exp(x[i])) / Math.exp(x[i]));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('segc grad on a device too small for a tensor', () => {
  it('is the diagnostic (checked before the plan is loaded)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segc-limits-'));
    const inputs = join(dir, 'in.safetensors');
    const [n, c, h, w] = [2, 3, 16, 16];
    await writeSafetensorsFile(inputs, {
      z: { dtype: 'F32', shape: [n, c, h, w], data: random(n * c * h * w, 10) },
      y: { dtype: 'U8', shape: [n, h, w], data: Uint8Array.from({ length: n * h * w }, (_, i) => i % 3) },
    });
    const opened = await testDevice();
    const limits = { maxStorageBufferBindingSize: 4096 };
    const error = await computeGrad('stdlib/losses.seg', {
      loss: 'ce',
      inputs,
      out: join(dir, 'out.safetensors'),
      opened,
      limits,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompileError);
    expect(compileErrorText(error)).toBe(
      "error SEG6002: Weight 'z' (f32[N=2,C=3,H=16,W=16]) needs 6.0 KiB (6144 bytes), more than " +
        'one buffer may hold on this device: maxStorageBufferBindingSize is 4.0 KiB (4096 bytes); ' +
        '1 more tensor is over it too.\n' +
        '  hint: use a smaller batch or patch size\n',
    );
  });
});

describe('a device too small for a tensor', () => {
  const bigGraph = (device: GPUDevice, file: string) => {
    const b = new GraphBuilder();
    const x = b.add('input', [], { name: 'x', dims: ['N'], sizes: [4] });
    const k = b.add('input', [], {
      name: 'k',
      dims: ['K'],
      sizes: [device.limits.maxStorageBufferBindingSize / 8],
    });
    b.currentSpan = { file, start: 0, end: 2, line: 1, col: 1 };
    b.output('y', b.binary('mul', x, k));
    return b.graph();
  };

  it('is the diagnostic, with the source line read from its file, when the plan is checked for it', async () => {
    const { device } = await testDevice();
    const file = 'test/fixtures/experiments/tiny.seg';
    const plan = generatePlan(bigGraph(device, file), { name: 'big' });
    const error = (() => {
      try {
        assertFitsDevice([plan], device.limits);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CompileError);
    const mib = device.limits.maxStorageBufferBindingSize / 2 ** 20;
    expect(compileErrorText(error)).toMatch(
      new RegExp(
        `^${file}:1:1: error SEG6002: Tensor %2 \\(mul, f32\\[N=4,K=\\d+\\]\\) needs ` +
          `${(2 * mib).toFixed(1)} MiB .*\\.\n  // A tiny`,
      ),
    );
  });

  it('is refused by loadPlan, naming the buffer and the limit, before any buffer is created', async () => {
    const { device } = await testDevice();
    const plan = generatePlan(bigGraph(device, 'test/fixtures/experiments/tiny.seg'), { name: 'big' });
    const store = new BufferStore(device);
    const error = await loadPlan(store, plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const big = plan.buffers.find((b) => b.bytes > limit)!;
    expect((error as UserError).message).toBe(
      `Plan 'big': buffer '${big.name}' needs ${big.bytes} bytes, more than one buffer may hold on this ` +
        `device (${limit} bytes).`,
    );
    expect(store.buffers.size).toBe(0);
  });
});
