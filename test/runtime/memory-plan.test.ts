// The memory plan moves activations into shared arenas and changes nothing a step computes: a small network of
// the paper networks' parts (7x7/2 stem, max pooling, a bottleneck, basic blocks strided and dilated, skips,
// upsampling; 32x32) trained two steps with its activations in arenas (the second step finds the first one's
// values in them) ends with the loss terms, every weight, running statistic and Adam moment, and the
// evaluation's sums bit for bit those of the same plan with a buffer of its own for every activation.
import { describe, expect, it } from 'vitest';
import type { CompiledExperiment } from '../../compiler/index.ts';
import { compileExperiment, memoryReport, planLimits } from '../../compiler/index.ts';
import { generateShapes } from '../../runtime/data/shapes.ts';
import { BufferStore, executePlan, loadPlan, readBuffer, readPlanBuffer } from '../../runtime/executor.ts';
import { TrainingOptimizer } from '../../runtime/optim/index.ts';
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
  /** The loss output read after each step, then the accumulated sums of the training and eval plans. */
  values: Float32Array[];
  /** Every buffer of the store (weights, running statistics, optimizer moments) after the steps, by name. */
  store: Map<string, Float32Array>;
}

async function train(compiled: CompiledExperiment): Promise<Trained> {
  const { device } = await testDevice();
  const store = new BufferStore(device);
  const loaded = await loadPlan(store, compiled.trainPlan);
  const evaluation = await loadPlan(store, compiled.evalPlan);
  for (const [name, values] of initialValues(compiled.train.weights, 1)) {
    const trainable = compiled.train.weights.find((w) => w.name === name)!.trainable;
    const buffer = store.get(`${trainable ? 'weight' : 'state'}:${name}`, values.byteLength);
    device.queue.writeBuffer(buffer, 0, values);
  }
  const data = generateShapes({
    size: [SIDE, SIDE],
    classes: 2,
    foreground: 0.2,
    count: BATCH * STEPS,
    seed: 5,
  });
  const plane = SIDE * SIDE;
  const rates = new TrainingOptimizer(compiled.config, compiled.train.weights, STEPS);
  const loss = compiled.trainPlan.outputs.find((o) => o.name === 'loss')!;
  const values: Float32Array[] = [];
  for (let k = 0; k < STEPS; k++) {
    const image = data.images.subarray(k * BATCH * 3 * plane, (k + 1) * BATCH * 3 * plane);
    const labels = data.labels.subarray(k * BATCH * plane, (k + 1) * BATCH * plane);
    const uniforms = { ...compiled.config.params, ...rates.uniforms(0, k, k + 1) };
    executePlan(loaded, { uniforms, inputs: { image, labels } });
    values.push(await readPlanBuffer(loaded, loss.buffer));
  }
  values.push(await readPlanBuffer(loaded, compiled.trainPlan.accumulator!));
  executePlan(evaluation, {
    inputs: {
      image: data.images.subarray(0, BATCH * 3 * plane),
      labels: data.labels.subarray(0, BATCH * plane),
    },
  });
  values.push(await readPlanBuffer(evaluation, compiled.evalPlan.accumulator!));
  const after = new Map<string, Float32Array>();
  for (const [name, buffer] of [...store.buffers].sort(([a], [b]) => a.localeCompare(b)))
    after.set(name, await readBuffer(device, buffer));
  return { values, store: after };
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
    expect(a.values.length).toBe(STEPS + 2);
    a.values.forEach((v, i) =>
      expect(sameBits(v, b.values[i]), `value ${i}: ${v} vs ${b.values[i]}`).toBe(true),
    );
    for (const v of a.values) expect(v.every(Number.isFinite)).toBe(true);
    expect([...a.store.keys()]).toEqual([...b.store.keys()]);
    const differing = [...a.store].filter(([name, v]) => !sameBits(v, b.store.get(name)!)).map(([n]) => n);
    expect(differing).toEqual([]);
    // The steps did move the weights (the comparison is not of untouched buffers).
    const initial = initialValues(planned.train.weights, 1);
    const moved = [...initial].filter(([name, v]) => {
      const now = a.store.get(`weight:${name}`);
      return now !== undefined && !sameBits(now.subarray(0, v.length), v);
    });
    expect(moved.length).toBe(planned.train.weights.filter((w) => w.trainable).length);
  });
});
