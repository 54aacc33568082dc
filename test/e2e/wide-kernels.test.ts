// Fused kernels stay within the device's storage-binding limit: a pointwise tree reading more tensors than
// the limit allows is split (values still equal a float64 reference), one that fits stays a single kernel,
// and a loss whose fused backward once exceeded lavapipe's 16 bindings trains.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { runExperiment } from '../../runtime/train/session.ts';
import { relativeError, runPlanOnGpu, testDevice } from '../helpers/gpu.ts';

/** out = sum over i of w_i * w_{i+1} (20 weights [N=2, C=3]): one pointwise tree reading 20 tensors. */
function wideGraph() {
  const b = new GraphBuilder();
  const weights = Array.from({ length: 20 }, (_, i) =>
    b.add('weight', [], { name: `w${i}`, dims: ['N', 'C'], sizes: [2, 3] }),
  );
  let sum = b.add('mul', [weights[0], weights[1]]);
  for (let i = 1; i < 19; i++) sum = b.add('add', [sum, b.add('mul', [weights[i], weights[i + 1]])]);
  b.output('out', sum);
  return b.graph();
}

const values = Array.from({ length: 20 }, (_, i) => Array.from({ length: 6 }, (_, j) => Math.sin(i * 7 + j)));
const expected = Array.from({ length: 6 }, (_, j) =>
  values.slice(0, 19).reduce((s, w, i) => s + w[j] * values[i + 1][j], 0),
);

describe('fusion within the storage-binding limit', () => {
  it('splits a tree wider than the limit; the values equal the float64 reference', async () => {
    const plan = generatePlan(wideGraph(), { name: 'wide', limits: { maxStorageBuffersPerShaderStage: 8 } });
    expect(plan.kernels.length).toBeGreaterThan(1);
    for (const kernel of plan.kernels) expect(kernel.bindings.length).toBeLessThanOrEqual(8 - 2);
    const tensors = Object.fromEntries(values.map((v, i) => [`w${i}`, v]));
    const { out } = await runPlanOnGpu(plan, { tensors });
    expect(relativeError(out, expected)).toBeLessThan(1e-5);
  });

  it('keeps a tree that fits as one kernel', () => {
    const plan = generatePlan(wideGraph(), { name: 'wide', limits: { maxStorageBuffersPerShaderStage: 32 } });
    expect(plan.kernels).toHaveLength(1);
    expect(plan.kernels[0].bindings).toHaveLength(21);
  });

  it('trains CE + L1 (T = 10) + Dice, every kernel within the device limit', async () => {
    const { device } = await testDevice();
    const limit = device.limits.maxStorageBuffersPerShaderStage;
    const compiled = compileExperiment('test/fixtures/experiments/wide-loss.seg', {
      limits: { maxStorageBuffersPerShaderStage: limit },
    });
    for (const kernel of [...compiled.trainPlan.kernels, ...compiled.evalPlan.kernels])
      expect(kernel.bindings.length, kernel.name).toBeLessThanOrEqual(limit);
    const out = join(mkdtempSync(join(tmpdir(), 'segc-wide-')), 'run');
    const summary = await runExperiment('test/fixtures/experiments/wide-loss.seg', { out, log: () => {} });
    const terms = summary.epochs[0].train;
    expect(Object.keys(terms)).toEqual(['loss', 'ce_l1', 'dice_loss']);
    expect(terms.loss).toBeCloseTo(terms.ce_l1 + 0.5 * terms.dice_loss, 4);
    // The Dice term is reported as dice_loss beside the Dice metric, neither overwriting the other.
    const val = summary.epochs[0].val!.values;
    expect(val.dice_loss).toBeGreaterThan(0.5);
    expect(val.loss).toBeCloseTo(val.ce_l1 + 0.5 * val.dice_loss, 4);
    expect(val.dice).toBe(summary.epochs[0].val!.dicePerClass.reduce((a, b) => a + b, 0) / 2);
  });
});
