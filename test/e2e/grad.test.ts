// `segc grad` on the stdlib cross-entropy, for inputs saved the way PyTorch users save them (float64 logits,
// int64 labels with ignored pixels), against PyTorch's F.cross_entropy value and gradient (golden).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { computeGrad } from '../../runtime/grad.ts';
import { RunError } from '../../runtime/train/session.ts';
import { relativeError } from '../helpers/gpu.ts';

interface TensorJson {
  shape: number[];
  data: number[];
}

const golden = (
  JSON.parse(readFileSync('test/golden/torch/ops.json', 'utf8')) as {
    op: string;
    inputs: Record<string, TensorJson>;
    output: TensorJson;
    grad_output: TensorJson;
    grads: Record<string, TensorJson>;
  }[]
).find((c) => c.op === 'cross_entropy')!;
const dir = mkdtempSync(join(tmpdir(), 'segc-grad-'));

async function saveInputs(name: string, y = golden.inputs.y): Promise<string> {
  const path = join(dir, name);
  await writeSafetensorsFile(path, {
    z: { dtype: 'F64', shape: golden.inputs.z.shape, data: Float64Array.from(golden.inputs.z.data) },
    y: { dtype: 'I64', shape: y.shape, data: BigInt64Array.from(y.data.map((v) => BigInt(v))) },
  });
  return path;
}

describe('segc grad', () => {
  it('matches PyTorch cross-entropy: value and gradient, written to safetensors', async () => {
    const inputs = await saveInputs('ce.safetensors');
    const out = join(dir, 'ce-out.safetensors');
    const results = await computeGrad('stdlib/losses.seg', { loss: 'ce', inputs, out });
    expect(Math.abs(results.loss[0] - golden.output.data[0]) / golden.output.data[0]).toBeLessThan(1e-5);
    // The golden gradient is the vjp with a scalar grad_output.
    const scaled = results['grad.z'].map((g) => g * golden.grad_output.data[0]);
    expect(relativeError(scaled, golden.grads.z.data)).toBeLessThan(1e-4);
    const written = await readSafetensorsFile(out);
    expect(Object.keys(written.tensors).sort()).toEqual(['grad.z', 'loss']);
    expect(written.tensors['grad.z'].shape).toEqual(golden.inputs.z.shape);
  });

  it('reports the compound loss terms of ce_l1 and checks them against their sum', async () => {
    const inputs = await saveInputs('l1.safetensors');
    const results = await computeGrad('stdlib/losses.seg', {
      loss: 'ce_l1',
      inputs,
      out: join(dir, 'l1-out.safetensors'),
      overrides: { alpha: 2 },
    });
    expect(Object.keys(results)).toEqual(['loss', 'ce', 'l1', 'grad.z']);
    expect(results.loss[0]).toBeCloseTo(results.ce[0] + 2 * results.l1[0], 5);
    expect(Math.abs(results.ce[0] - golden.output.data[0]) / golden.output.data[0]).toBeLessThan(1e-5);
  });

  it('weighs binary BCE by w, with the gradient w.r.t. w', async () => {
    const inputs = join(dir, 'binary-w.safetensors');
    await writeSafetensorsFile(inputs, {
      z: { dtype: 'F32', shape: [1, 1, 2, 2], data: Float32Array.from([0, 1, -1, 2]) },
      y: { dtype: 'U8', shape: [1, 2, 2], data: Uint8Array.from([0, 1, 1, 255]) },
      w: { dtype: 'F32', shape: [1], data: Float32Array.from([3]) },
    });
    const results = await computeGrad('stdlib/losses.seg', {
      loss: 'ce',
      inputs,
      out: join(dir, 'binary-w-out.safetensors'),
    });
    // BCE with logits over the three valid pixels: softplus(0), softplus(-1) and softplus(1), scaled by w =
    // 3.
    const softplus = (x: number) => Math.log(1 + Math.exp(x));
    const mean = (softplus(0) + softplus(-1) + softplus(1)) / 3;
    expect(results.loss[0]).toBeCloseTo(3 * mean, 5);
    expect(results['grad.w'][0]).toBeCloseTo(mean, 5);
  });

  it('accepts an input the loss does not read and gives it a zero gradient', async () => {
    const module = join(dir, 'unused.seg');
    writeFileSync(module, 'loss total(z: logits[N,C,S], y: labels[N,S], w: [C] = 1) = sum(z * valid(y))\n');
    const inputs = join(dir, 'unused.safetensors');
    await writeSafetensorsFile(inputs, {
      z: { dtype: 'F32', shape: [1, 2, 1, 2], data: Float32Array.from([0, 1, -1, 2]) },
      y: { dtype: 'U8', shape: [1, 1, 2], data: Uint8Array.from([0, 255]) },
      w: { dtype: 'F32', shape: [2], data: Float32Array.from([3, 4]) },
    });
    const results = await computeGrad(module, {
      loss: 'total',
      inputs,
      out: join(dir, 'unused-out.safetensors'),
    });
    expect(results.loss).toEqual([-1]);
    expect(results['grad.z']).toEqual([1, 0, 1, 0]);
    expect(results['grad.w']).toEqual([0, 0]);
  });

  it('rejects labels outside 0..255 and tensors that are not parameters, naming the file', async () => {
    const negative = await saveInputs('neg.safetensors', {
      shape: golden.inputs.y.shape,
      data: golden.inputs.y.data.map((v) => (v === 255 ? -100 : v)),
    });
    const run = (inputs: string) =>
      computeGrad('stdlib/losses.seg', { loss: 'ce', inputs, out: join(dir, 'x.safetensors') });
    await expect(run(negative)).rejects.toThrow(
      new RunError(`${negative}: labels 'y' must be class indices (or 0/1 masks) in 0..255 (255 = ignore).`, {
        code: 'SEG6092',
      }),
    );
    const extra = join(dir, 'extra.safetensors');
    await writeSafetensorsFile(extra, { q: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } });
    await expect(run(extra)).rejects.toThrow(
      new RunError(
        `The inputs file ${extra} cannot go into loss 'ce': tensor 'q' is not a parameter of 'ce' (z, y, w, ignore).`,
        { code: 'SEG6094' },
      ),
    );
  });
});

describe('segc grad inputs', () => {
  const run = (inputs: string) =>
    computeGrad('stdlib/losses.seg', { loss: 'ce', inputs, out: join(dir, 'bad-out.safetensors') });

  it('names a truncated or foreign inputs file instead of crashing', async () => {
    const good = await saveInputs('whole.safetensors');
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, readFileSync(good).subarray(0, 100));
    await expect(run(cut)).rejects.toThrow(
      new RegExp(`^Cannot read the inputs file ${cut}: header length \\d+ exceeds`),
    );
    await expect(run(cut)).rejects.toBeInstanceOf(RunError);
    const text = join(dir, 'notes.safetensors');
    writeFileSync(text, 'these are my notes, not tensors\n');
    await expect(run(text)).rejects.toThrow(
      new RunError(
        `Cannot read the inputs file ${text}: not a safetensors file (no JSON header after the 8-byte length field)`,
        { code: 'SEG6093' },
      ),
    );
  });

  it('refuses non-finite logits and logits of an integer dtype, as model files are refused', async () => {
    const labels = BigInt64Array.from(golden.inputs.y.data.map((v) => BigInt(v)));
    const y = { dtype: 'I64' as const, shape: golden.inputs.y.shape, data: labels };
    const z = Float64Array.from(golden.inputs.z.data);
    z[3] = NaN;
    const nan = join(dir, 'nan.safetensors');
    await writeSafetensorsFile(nan, { z: { dtype: 'F64', shape: golden.inputs.z.shape, data: z }, y });
    await expect(run(nan)).rejects.toThrow(
      new RunError(
        `The inputs file ${nan} cannot go into loss 'ce': 'z' holds NaN (1 of its ${z.length} values are not ` +
          'finite, the first at index 3).',
        { code: 'SEG6094' },
      ),
    );
    const ints = join(dir, 'ints.safetensors');
    const zi = Int32Array.from(golden.inputs.z.data, (v) => Math.round(v));
    await writeSafetensorsFile(ints, { z: { dtype: 'I32', shape: golden.inputs.z.shape, data: zi }, y });
    await expect(run(ints)).rejects.toThrow(
      new RunError(
        `The inputs file ${ints} cannot go into loss 'ce': 'z' is I32, a float input holds F32 or F64.`,
        {
          code: 'SEG6094',
        },
      ),
    );
  });
});
