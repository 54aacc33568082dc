// A tiny run with `train augment`: the augmentation runs (its losses differ from the same run without it),
// two runs with one seed train on the same augmented samples, so their losses agree exactly, and so does a run
// stopped after its first epoch and resumed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../../runtime/train/trainer.ts';
import { testDevice } from '../../helpers/gpu.ts';

const AUGMENTED = 'test/fixtures/experiments/tiny-augment.seg';

/** The epochs' losses of a run; `stopAt`: stopped after that many epochs, then resumed to the end. */
async function losses(file: string, stopAt?: number): Promise<number[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'segc-augment-')), 'run');
  if (stopAt !== undefined) {
    await new Trainer(file, { out, stopAfter: stopAt }).run();
    await new Trainer(file, { resume: out }).run();
  } else await new Trainer(file, { out }).run();
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).loss as number);
}

describe('training with augmentation', () => {
  it('is reproducible with one seed and differs from training without it', async () => {
    const first = await losses(AUGMENTED);
    const second = await losses(AUGMENTED);
    const plain = await losses('test/fixtures/experiments/tiny-unaugmented.seg');
    expect(first).toHaveLength(2);
    expect(first.every(Number.isFinite)).toBe(true);
    expect(second).toEqual(first);
    expect(Math.abs(first[0] - plain[0])).toBeGreaterThan(1e-4);
  }, 300_000);

  it('each step is one command buffer: the augmentation passes, then the plan', async () => {
    // Every command encoder the run creates, with the labels of its compute passes, in order.
    const opened = await testDevice();
    const { device } = opened;
    const encoders: { label: string; passes: string[] }[] = [];
    const create = device.createCommandEncoder;
    device.createCommandEncoder = function (descriptor?: GPUCommandEncoderDescriptor) {
      const encoder = create.call(device, descriptor);
      const record = { label: descriptor?.label ?? '', passes: [] as string[] };
      encoders.push(record);
      const begin = encoder.beginComputePass;
      encoder.beginComputePass = function (pass?: GPUComputePassDescriptor) {
        record.passes.push(pass?.label ?? '');
        return begin.call(encoder, pass);
      };
      return encoder;
    };
    try {
      const out = join(mkdtempSync(join(tmpdir(), 'segc-augment-')), 'run');
      await new Trainer(AUGMENTED, { out, device: opened }).run();
    } finally {
      device.createCommandEncoder = create;
    }
    const steps = encoders.filter((e) => e.passes.includes('augment'));
    // 2 epochs of 2 training steps, then the 2 evaluations' batches (eval augment's normalize has no pass).
    const training = steps.filter((e) => e.label.startsWith('train'));
    expect(training).toHaveLength(4);
    for (const e of training) expect(e.passes).toEqual(['augment', e.label]);
    // No command buffer holds the augmentation alone.
    expect(steps.filter((e) => e.passes.length === 1)).toEqual([]);
  }, 300_000);

  it('a resumed run trains on what the uninterrupted one trained on', async () => {
    expect(await losses(AUGMENTED, 1)).toEqual(await losses(AUGMENTED));
  }, 300_000);
});
