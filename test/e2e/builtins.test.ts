// The math built-ins (softplus, log_sigmoid, tanh, log1p, leaky_relu, clamp, pow, where, logsumexp, min,
// sigmoid) through `segc grad` on the GPU against PyTorch float64 (test/golden/generate_builtins.py): each
// case is sum(f(z) * r), so grad.r is f(z) itself and grad.z its derivative; inputs include 0 and the clamp
// bounds, where the built-ins must pick torch's subgradients.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { openDevice } from '../../runtime/device.ts';
import { computeGrad } from '../../runtime/grad.ts';
import { relativeError } from '../helpers/gpu.ts';

interface Case {
  loss: string;
  shape: number[];
  z: number[];
  r: number[];
  value: number;
  grad_z: number[];
  grad_r: number[];
}

const cases = JSON.parse(readFileSync('test/golden/builtins/cases.json', 'utf8')) as Case[];
const dir = mkdtempSync(join(tmpdir(), 'segc-builtins-'));
const opened = await openDevice('auto');
afterAll(() => opened.device.destroy());

describe('math built-ins match PyTorch', () => {
  it.each(cases.map((c) => [c.loss, c] as const))('%s', async (name, c) => {
    const inputs = join(dir, `${name}.safetensors`);
    await writeSafetensorsFile(inputs, {
      z: { dtype: 'F64', shape: c.shape, data: Float64Array.from(c.z) },
      r: { dtype: 'F64', shape: c.shape, data: Float64Array.from(c.r) },
    });
    const results = await computeGrad('test/fixtures/builtins.seg', {
      loss: name,
      inputs,
      out: join(dir, 'out.safetensors'),
      opened,
    });
    expect(relativeError(results.loss, [c.value]), 'value').toBeLessThan(1e-4);
    expect(relativeError(results['grad.r'], c.grad_r), 'f(z)').toBeLessThan(1e-4);
    expect(relativeError(results['grad.z'], c.grad_z), "f'(z)").toBeLessThan(1e-4);
  });
});
