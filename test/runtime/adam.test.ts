// The Adam update kernel against torch.optim.Adam: three steps with given gradients (golden values).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { BufferStore, executePlan, loadPlan, readBuffer, writeBuffer } from '../../runtime/executor.ts';
import { relativeError, testDevice } from '../helpers/gpu.ts';

interface Golden {
  op: string;
  attrs: { lr: number; beta1: number; beta2: number; eps: number };
  inputs: Record<string, { shape: number[]; data: number[] }>;
  steps: number[][];
}

const golden = (JSON.parse(readFileSync('test/golden/torch/ops.json', 'utf8')) as Golden[]).find(
  (c) => c.op === 'adam',
)!;

describe('adam update', () => {
  it('matches torch.optim.Adam step by step', async () => {
    const { lr, beta1, beta2, eps } = golden.attrs;
    const count = golden.inputs.p0.shape[0];
    // loss = sum(p * g) has gradient g, fed as an input each step.
    const b = new GraphBuilder();
    const p = b.add('weight', [], { name: 'p', dims: ['K'], sizes: [count] });
    const g = b.add('input', [], { name: 'g', dims: ['K'], sizes: [count] });
    const loss = b.sum(b.binary('mul', p, g), ['K']);
    b.output('loss', loss);
    b.output('grad:p', g, 'gradient');
    const plan = generatePlan(b.graph(), { name: 'adam', adam: { beta1, beta2, eps, weightDecay: 0 } });
    const { device } = await testDevice();
    const store = new BufferStore(device);
    const loaded = await loadPlan(store, plan);
    const weights = store.buffers.get('weight:p')!;
    writeBuffer(device, weights, Float32Array.from(golden.inputs.p0.data));
    for (let step = 1; step <= golden.steps.length; step++) {
      const grad = Float32Array.from(golden.inputs.grads.data.slice((step - 1) * count, step * count));
      const uniforms = {
        'adam.step_size': lr / (1 - beta1 ** step),
        'adam.bias2': Math.sqrt(1 - beta2 ** step),
      };
      executePlan(loaded, { uniforms, inputs: { g: grad } });
      const after = (await readBuffer(device, weights)).subarray(0, count);
      const moved = golden.steps[step - 1].map((v, i) => v - golden.inputs.p0.data[i]);
      const ours = Array.from(after, (v, i) => v - golden.inputs.p0.data[i]);
      expect(relativeError(ours, moved, 0), `step ${step}`).toBeLessThan(1e-3);
    }
  });
});
