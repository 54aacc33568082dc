// The memory plan moves activations into shared arenas and changes nothing a step computes: a small network of
// the paper networks' parts (7x7/2 stem, max pooling, a bottleneck, basic blocks strided and dilated, skips,
// upsampling; 32x32) trained two steps, evaluated, trained two more and evaluated again, with its activations
// in arenas (each step finds the previous step's or the evaluation's values in them), ends with the loss
// terms, every weight, running statistic and Adam moment, and the evaluations' sums bit for bit those of the
// same plan with a buffer of its own for every activation. The same holds with the ReLU backwards reading
// their outputs (chooseReluMasks: the gradients after the first step too), and with the evaluation plan in
// the training plan's arenas (LoadOptions.shareArenas).
import { describe, expect, it } from 'vitest';
import type { CompiledExperiment } from '../../compiler/index.ts';
import { compileExperiment, memoryReport, planLimits } from '../../compiler/index.ts';
import { generateShapes } from '../../runtime/data/shapes.ts';
import type { LoadedPlan } from '../../runtime/executor.ts';
import {
  BufferStore,
  bufferBytes,
  executePlan,
  loadPlan,
  readBuffer,
  readPlanBuffer,
} from '../../runtime/executor.ts';
import { TrainingOptimizer } from '../../runtime/optim/index.ts';
import { zero } from '../../runtime/train/evaluate.ts';
import { initialValues } from '../../runtime/train/init.ts';
import { testDevice } from '../helpers/gpu.ts';

const SIDE = 32;
const BATCH = 2;
const STEPS = 2;
const text = `import std/losses { bce_l1 }
import std/nets { basic_block, bottleneck }

net mini(x: image[N,Cin,H,W], in: int = 3, classes: int = 1) {
  let stem = relu(batchnorm(conv(x, 8, 7, pad = 3, stride = 2, bias = false, name = "conv1"), name = "bn1"))
  let a = bottleneck(maxpool(stem, 3, stride = 2, pad = 1), 4, name = "layer1")
  let b = basic_block(a, 16, 2, name = "layer2")
  let c = basic_block(b, 16, 1, 2, name = "layer3")
  let up = relu(batchnorm(conv(concat[C](upsample(c, 2), a), 8, 3, pad = 1, bias = false, name = "dec.0"), name = "dec.1"))
  let full = concat[C](upsample(up, 2), stem)
  return upsample(conv(full, classes, 3, pad = 1, name = "head"), 2)
}

experiment mini {
  data = shapes(size = [${SIDE}, ${SIDE}], classes = 2, foreground = 0.2, train = 6, val = 2, seed = 1)
  model = mini(in = 3, classes = 1)
  loss = bce_l1(logits, y, alpha = 1.0, T = 10.0)
  optimizer = adam(lr = 1e-3)
  train { epochs = 1, batch = ${BATCH}, seed = 1 }
}
`;

interface Trained {
  /**
   * The loss output read after each step, the evaluation's sums after each evaluation, then the training
   * plan's accumulated sums.
   */
  values: Float32Array[];
  /** The 'gradient' outputs read after the first step, by name. */
  gradients: Map<string, Float32Array>;
  /** Every buffer of the store (weights, running statistics, optimizer moments) after the steps, by name. */
  store: Map<string, Float32Array>;
  /** The training and evaluation plans as loaded. */
  loaded: LoadedPlan[];
}

/** STEPS steps, an evaluation, STEPS more steps, an evaluation (both plans in one store). */
async function train(compiled: CompiledExperiment, shareArenas = false): Promise<Trained> {
  const { device } = await testDevice();
  const store = new BufferStore(device);
  const loaded = await loadPlan(store, compiled.trainPlan, { shareArenas });
  const evaluation = await loadPlan(store, compiled.evalPlan, { shareArenas });
  for (const [name, values] of initialValues(compiled.train.weights, 1)) {
    const trainable = compiled.train.weights.find((w) => w.name === name)!.trainable;
    const buffer = store.get(`${trainable ? 'weight' : 'state'}:${name}`, values.byteLength);
    device.queue.writeBuffer(buffer, 0, values);
  }
  const data = generateShapes({
    size: [SIDE, SIDE],
    classes: 2,
    foreground: 0.2,
    count: 2 * BATCH * STEPS,
    seed: 5,
  });
  const plane = SIDE * SIDE;
  const batch = (k: number) => ({
    image: data.images.subarray(k * BATCH * 3 * plane, (k + 1) * BATCH * 3 * plane),
    labels: data.labels.subarray(k * BATCH * plane, (k + 1) * BATCH * plane),
  });
  const rates = new TrainingOptimizer(compiled.config, compiled.train.weights, 2 * STEPS);
  const loss = compiled.trainPlan.outputs.find((o) => o.name === 'loss')!;
  const values: Float32Array[] = [];
  const gradients = new Map<string, Float32Array>();
  for (let k = 0; k < 2 * STEPS; k++) {
    const uniforms = { ...compiled.config.params, ...rates.uniforms(0, k, k + 1) };
    executePlan(loaded, { uniforms, inputs: batch(k) });
    values.push(await readPlanBuffer(loaded, loss.buffer));
    if (k === 0) {
      for (const o of compiled.trainPlan.outputs.filter((x) => x.role === 'gradient'))
        gradients.set(o.name, (await readPlanBuffer(loaded, o.buffer)).slice(0, o.elements));
    }
    if (k % STEPS === STEPS - 1) {
      // An evaluation between training steps (as segc run's after an epoch), of the batch just trained on.
      zero(device, evaluation);
      executePlan(evaluation, { inputs: batch(k) });
      values.push(await readPlanBuffer(evaluation, compiled.evalPlan.accumulator!));
    }
  }
  values.push(await readPlanBuffer(loaded, compiled.trainPlan.accumulator!));
  const after = new Map<string, Float32Array>();
  for (const [name, buffer] of [...store.buffers].sort(([a], [b]) => a.localeCompare(b)))
    after.set(name, await readBuffer(device, buffer));
  return { values, gradients, store: after, loaded: [loaded, evaluation] };
}

/** Bitwise equality of two f32 arrays (NaN-safe, -0 apart from 0). */
const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('memory plan on the GPU', () => {
  it('trains a residual U-Net bit for bit as without it: loss terms, weights, moments, eval sums', async () => {
    const { device } = await testDevice();
    const limits = planLimits(device.limits);
    const options = { text, target: 'cpu' as const, limits };
    const planned = compileExperiment('mini.seg', options);
    const unplanned = compileExperiment('mini.seg', { ...options, reuse: false });
    // The plans differ only in where buffers live: the same kernels, and activations in a few arenas.
    expect(planned.trainPlan.kernels.map((k) => k.wgsl)).toEqual(
      unplanned.trainPlan.kernels.map((k) => k.wgsl),
    );
    const report = memoryReport(planned.trainPlan);
    expect(planned.trainPlan.arenas).toBeGreaterThan(1);
    expect(planned.trainPlan.arenas).toBeLessThan(10);
    expect(report.activations.after).toBeLessThan(0.5 * report.activations.before);
    const [a, b] = [await train(planned), await train(unplanned)];
    expect(a.values.length).toBe(2 * STEPS + 3);
    expectSame(a, b);
    // The steps did move the weights (the comparison is not of untouched buffers).
    const initial = initialValues(planned.train.weights, 1);
    const moved = [...initial].filter(([name, v]) => {
      const now = a.store.get(`weight:${name}`);
      return now !== undefined && !sameBits(now.subarray(0, v.length), v);
    });
    expect(moved.length).toBe(planned.train.weights.filter((w) => w.trainable).length);
  });

  it('gives the same gradients and runs bit for bit with ReLU backwards reading outputs', async () => {
    const { device } = await testDevice();
    const options = { text, target: 'cpu' as const, limits: planLimits(device.limits) };
    const chosen = compileExperiment('mini.seg', options);
    const inputs = compileExperiment('mini.seg', { ...options, reluMasks: false });
    // The projection blocks' ReLUs (layer1's bottleneck, layer2's strided block) mask with their outputs:
    // their sums lose their buffers and kernels.
    const onOutput = chosen.trainPlan.graph.nodes.filter(
      (n) => n.op === 'gt' && chosen.trainPlan.graph.nodes[n.inputs[0]].op === 'relu',
    );
    expect(onOutput.length).toBe(2);
    expect(inputs.trainPlan.kernels.length - chosen.trainPlan.kernels.length).toBe(2);
    expect(memoryReport(chosen.trainPlan).peak).toBeLessThan(memoryReport(inputs.trainPlan).peak);
    const [a, b] = [await train(chosen), await train(inputs)];
    expect([...a.gradients.keys()]).toEqual([...b.gradients.keys()]);
    expect(a.gradients.size).toBe(chosen.train.weights.filter((w) => w.trainable).length);
    const differing = [...a.gradients].filter(([name, g]) => !sameBits(g, b.gradients.get(name)!));
    expect(differing.map(([name]) => name)).toEqual([]);
    // Gradients that pass the moved masks: those of the layers before them, not all zero.
    expect(a.gradients.get('grad:conv1.weight')!.some((v) => v !== 0)).toBe(true);
    expectSame(a, b);
  });

  it('trains and evaluates bit for bit with the evaluation in the training arenas', async () => {
    const { device } = await testDevice();
    const options = { text, target: 'cpu' as const, limits: planLimits(device.limits) };
    const compiled = compileExperiment('mini.seg', options);
    const [shared, apart] = [await train(compiled, true), await train(compiled, false)];
    // Every arena of the evaluation plan is one of the training plan's: it adds none of its own.
    const [trainPlan, evalPlan] = shared.loaded;
    const arenas = (l: LoadedPlan) => new Set(l.buffers.filter((_, i) => l.plan.slots![i] < l.plan.arenas!));
    const evalArenas = arenas(evalPlan);
    expect(evalArenas.size).toBe(compiled.evalPlan.arenas);
    for (const buffer of evalArenas) expect(arenas(trainPlan).has(buffer)).toBe(true);
    const evalArenaBytes = compiled.evalPlan.slotBytes!.slice(0, compiled.evalPlan.arenas);
    expect(bufferBytes(apart.loaded) - bufferBytes(shared.loaded)).toBe(
      evalArenaBytes.reduce((n, b) => n + b, 0),
    );
    expectSame(shared, apart);
  });
});

/** Loss after each step, evaluation sums, the training sums and every store buffer: the same bits. */
function expectSame(a: Trained, b: Trained): void {
  expect(a.values.length).toBe(b.values.length);
  a.values.forEach((v, i) =>
    expect(sameBits(v, b.values[i]), `value ${i}: ${v} vs ${b.values[i]}`).toBe(true),
  );
  for (const v of a.values) expect(v.every(Number.isFinite)).toBe(true);
  expect([...a.store.keys()]).toEqual([...b.store.keys()]);
  const differing = [...a.store].filter(([name, v]) => !sameBits(v, b.store.get(name)!)).map(([n]) => n);
  expect(differing).toEqual([]);
}
