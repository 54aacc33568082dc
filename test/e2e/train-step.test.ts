// The whole training step of a tiny U-Net: GPU outputs (loss, terms, every gradient, new running statistics)
// against the float64 oracle, and the oracle's gradients against central finite differences.
import { describe, expect, it } from 'vitest';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { generateShapes } from '../../runtime/data/shapes.ts';
import { initialValues } from '../../runtime/train/init.ts';
import { relativeError, runOnGpu } from '../helpers/gpu.ts';

const compiled = compileExperiment('test/fixtures/experiments/tiny.seg');
// channel counts that fill whole conv tiles (multiples of 4) take other code paths
const small = compileExperiment('test/fixtures/experiments/small.seg');
const { graph, weights } = compiled.train;
const data = generateShapes({ size: [8, 8], classes: 3, foreground: 0.2, count: 2, seed: 3 });
const labels = Uint8Array.from(data.labels);
labels[5] = 255; // one ignored pixel
const tensors: Record<string, ArrayLike<number>> = { image: data.images, labels };
for (const [name, values] of initialValues(weights, 1)) tensors[name] = values;
const uniforms = { 'param.alpha': 1, 'param.T': 10 };
const oracle = evaluateGraph(graph, { tensors, uniforms });
const value = (name: string) => oracle.get(graph.outputs.find((o) => o.name === name)!.node)!.data;

describe('tiny U-Net training step', () => {
  it('reports the loss as the sum of its terms', () => {
    expect(graph.outputs.filter((o) => o.role === 'value').map((o) => o.name)).toEqual(['loss', 'ce', 'l1']);
    expect(value('loss')[0]).toBeCloseTo(value('ce')[0] + value('l1')[0], 12);
  });

  it('matches the float64 oracle on the GPU: loss, terms, gradients and running statistics', async () => {
    const gpu = await runOnGpu(graph, { tensors, bytes: { image: data.images, labels }, uniforms });
    for (const output of graph.outputs) {
      expect(relativeError(gpu[output.name], value(output.name)), output.name).toBeLessThan(1e-4);
    }
  });

  it('matches the oracle at a size with whole conv tiles', async () => {
    const set = generateShapes({ size: [16, 16], classes: 3, foreground: 0.2, count: 2, seed: 3 });
    const feeds: Record<string, ArrayLike<number>> = { image: set.images, labels: set.labels };
    for (const [name, values] of initialValues(small.train.weights, 1)) feeds[name] = values;
    const expected = evaluateGraph(small.train.graph, { tensors: feeds, uniforms });
    const gpu = await runOnGpu(small.train.graph, {
      tensors: feeds,
      bytes: { image: set.images, labels: set.labels },
      uniforms,
    });
    for (const output of small.train.graph.outputs) {
      expect(relativeError(gpu[output.name], expected.get(output.node)!.data), output.name).toBeLessThan(
        1e-4,
      );
    }
  });

  it('matches the oracle through strided, pooled, dilated, grouped, transposed, resized, group-normalised and dropout layers', async () => {
    const strided = compileExperiment('test/fixtures/experiments/strided.seg');
    const feeds: Record<string, ArrayLike<number>> = { image: data.images, labels };
    for (const [name, values] of initialValues(strided.train.weights, 1)) feeds[name] = values;
    // The step seeds the dropout masks.
    const expected = evaluateGraph(strided.train.graph, { tensors: feeds, uniforms: { step: 3 } });
    const gpu = await runOnGpu(strided.train.graph, {
      tensors: feeds,
      bytes: { image: data.images, labels },
      uniforms: { step: 3 },
    });
    expect(strided.train.graph.nodes.some((n) => n.op === 'random_mask')).toBe(true);
    expect(strided.train.graph.outputs.filter((o) => o.role === 'value').map((o) => o.name)).toEqual([
      'loss',
      'ce',
      'kl',
    ]);
    for (const output of strided.train.graph.outputs) {
      expect(relativeError(gpu[output.name], expected.get(output.node)!.data), output.name).toBeLessThan(
        1e-4,
      );
    }
  });

  it('evaluates on the GPU like the oracle, with batch norm, bias and ReLU run in the conv epilogues', async () => {
    const evalGraph = small.eval.graph;
    const plan = small.evalPlan;
    // Eval batch norm is affine: convs store their normalised, activated output directly.
    expect(plan.kernels.filter((k) => /_convolution_\w+$/.test(k.name)).length).toBeGreaterThan(3);
    const set = generateShapes({ size: [16, 16], classes: 3, foreground: 0.2, count: 2, seed: 3 });
    const feeds: Record<string, ArrayLike<number>> = { image: set.images, labels: set.labels };
    for (const [name, values] of initialValues(small.eval.weights, 1)) feeds[name] = values;
    // Running statistics away from their initial 0 and 1, so the epilogue's normalisation is exercised.
    for (const w of small.eval.weights.filter((x) => !x.trainable)) {
      feeds[w.name] = Array.from(feeds[w.name], (_, i) =>
        w.name.endsWith('running_var') ? 0.5 + 0.1 * (i % 7) : 0.05 * ((i % 5) - 2),
      );
    }
    const expected = evaluateGraph(evalGraph, { tensors: feeds, uniforms });
    const gpu = await runOnGpu(evalGraph, {
      tensors: feeds,
      bytes: { image: set.images, labels: set.labels },
      uniforms,
    });
    for (const output of evalGraph.outputs) {
      expect(relativeError(gpu[output.name], expected.get(output.node)!.data), output.name).toBeLessThan(
        1e-4,
      );
    }
  });

  it('has gradients equal to central finite differences (float64)', () => {
    const h = 1e-6;
    const grads = graph.outputs.filter((o) => o.role === 'gradient');
    expect(grads.length).toBe(weights.filter((w) => w.trainable).length);
    for (const output of grads) {
      const name = output.name.slice('grad:'.length);
      const analytic = value(output.name);
      const base = Array.from(tensors[name]);
      for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
        const loss = (delta: number) => {
          const moved = { ...tensors, [name]: base.map((v, k) => (k === i ? v + delta : v)) };
          const values = evaluateGraph(
            { ...graph, outputs: [graph.outputs[0]] },
            { tensors: moved, uniforms },
          );
          return values.get(graph.outputs[0].node)!.data[0];
        };
        const numeric = (loss(h) - loss(-h)) / (2 * h);
        expect(Math.abs(analytic[i] - numeric), `${name}[${i}]`).toBeLessThan(
          1e-6 * Math.max(1, Math.abs(numeric)),
        );
      }
    }
  });
});
