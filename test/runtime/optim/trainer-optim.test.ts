// The optimizer through the Trainer (runtime/optim/ wired into runtime/train/trainer.ts): SGD with groups,
// a frozen block, clipping, accumulation over 3 batches (2 per epoch, so a sum crosses epochs) and a plateau
// schedule on val.loss. Frozen weights stay at their initial values bit for bit; the lr of every epoch is the
// plateau rule applied by hand to the recorded val losses; a run resumed after epoch 2 ends with the same
// weights, lrs and losses as the uninterrupted run (moments, gradient sums and schedule state restored).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../../runtime/checkpoint/safetensors.ts';
import { compileExperiment } from '../../../compiler/index.ts';
import { initialValues } from '../../../runtime/train/init.ts';
import { Trainer } from '../../../runtime/train/trainer.ts';

const FILE = 'test/fixtures/experiments/optim-tiny.seg';
const FROZEN = 'down.0.conv1.';

async function run(
  out: string,
  options: { stopAfter?: number; resume?: string; overrides?: Record<string, number | boolean> } = {},
) {
  await new Trainer(FILE, {
    ...(options.resume ? { resume: out } : { out }),
    stopAfter: options.stopAfter,
    overrides: options.overrides,
  }).run();
  const model = await readSafetensorsFile(join(out, 'model.safetensors'));
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
  const metrics = lines.map((l) => JSON.parse(l) as { lr: number; loss: number; val_loss: number });
  return { model: model.tensors, metrics };
}

describe('optimizer state through the Trainer', () => {
  const base = mkdtempSync(join(tmpdir(), 'segc-optim-'));
  const whole = run(join(base, 'whole'));

  it('keeps frozen weights, moves the others and follows the plateau rule on val.loss', async () => {
    const { model, metrics } = await whole;
    const compiled = compileExperiment(FILE);
    const initial = initialValues(compiled.train.weights, compiled.config.train.seed);
    let frozen = 0;
    let moved = 0;
    for (const [name, values] of initial) {
      const w = compiled.train.weights.find((x) => x.name === name)!;
      if (!w.trainable || w.init.kind === 'values') continue;
      const now = Array.from(model[name].data as Float32Array);
      if (name.startsWith(FROZEN)) {
        expect(now, name).toEqual(Array.from(values));
        frozen++;
      } else if (now.some((v, i) => v !== values[i])) moved++;
    }
    expect(frozen).toBeGreaterThan(0);
    expect(moved).toBeGreaterThan(10);
    // ReduceLROnPlateau(factor 0.5, patience 0, threshold 1e-4 rel): halve after an epoch not better than
    // best·(1 − 1e-4).
    expect(metrics.length).toBe(4);
    let lr = 0.5;
    let best = Infinity;
    for (const m of metrics) {
      expect(m.lr).toBeCloseTo(lr, 12);
      if (m.val_loss < best * (1 - 1e-4)) best = m.val_loss;
      else lr *= 0.5;
    }
  });

  it('resumes after epoch 2 exactly where the uninterrupted run was', async () => {
    const out = join(base, 'resumed');
    await run(out, { stopAfter: 2 });
    const resumed = await run(out, { resume: out });
    const { model, metrics } = await whole;
    expect(resumed.metrics.map((m) => [m.lr, m.loss, m.val_loss])).toEqual(
      metrics.map((m) => [m.lr, m.loss, m.val_loss]),
    );
    for (const name of Object.keys(model))
      expect(Array.from(resumed.model[name].data as Float32Array), name).toEqual(
        Array.from(model[name].data as Float32Array),
      );
  });

  it('trains SGD without momentum (no momentum buffers, no sgd.first uniform) through the Trainer', async () => {
    const out = join(base, 'plain');
    const overrides = { 'optimizer.momentum': 0, 'optimizer.nesterov': false, 'train.epochs': 2 };
    const { model, metrics } = await run(out, { overrides });
    const compiled = compileExperiment(FILE, { overrides });
    const initial = initialValues(compiled.train.weights, compiled.config.train.seed);
    const moved = [...initial].filter(([name, values]) => {
      const now = model[name].data as Float32Array;
      return !name.startsWith(FROZEN) && now.some((v, i) => v !== values[i]);
    });
    expect(moved.length).toBeGreaterThan(10);
    expect(metrics.map((m) => Number.isFinite(m.loss))).toEqual([true, true]);
    const state = await readSafetensorsFile(join(out, 'checkpoint.safetensors'));
    const names = Object.keys(state.tensors);
    expect(names.filter((n) => n.endsWith('.grad_sum')).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.includes('momentum_buffer'))).toEqual([]);
  });
});
