// Class weights written as a list in .seg (`ce(z, y, w = [0.5, 1.0, 1.3])`) become a constant tensor: the
// loss and its gradient equal PyTorch's weighted cross-entropy (golden), and an experiment trains with it
// (the constant comes from the file, never from saved runs); the run whose class 1 has weight 0 stops
// predicting it, and segc run warns. A list of the wrong length: test/fixtures/malformed/class-weights-list.seg.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDevice } from '../../runtime/device.ts';
import { computeGrad } from '../../runtime/grad.ts';
import { readSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { runExperiment, unpredictedWarning } from '../../runtime/train/session.ts';
import { testCheckpoint } from '../../runtime/train/test-run.ts';
import { relativeError } from '../helpers/gpu.ts';
import type { LossCase } from '../helpers/losses.ts';
import { writeLossInputs } from '../helpers/losses.ts';

const fixture = 'test/fixtures/experiments/unpredicted.seg';
const scratch = mkdtempSync(join(tmpdir(), 'segc-class-weights-'));
const opened = await openDevice('auto');
afterAll(() => opened.device.destroy());

const goldens = JSON.parse(readFileSync('test/golden/losses/ce.json', 'utf8')) as LossCase[];

describe('class weights written as a list', () => {
  it.each(['multiclass_2d_ignore-some_w', 'multiclass_3d_ignore-none_w'])(
    'match PyTorch weighted CE: %s',
    async (name) => {
      const c = goldens.find((g) => g.name === name)!;
      const module = join(scratch, `${name}.seg`);
      // The golden's weights, written in full precision as list literals.
      const list = c.w!.map((v) => String(v)).join(', ');
      writeFileSync(
        module,
        'import std/losses { ce }\n' +
          `loss weighted(z: logits[N,C,S], y: labels[N,S]) = ce(z, y, w = [${list}])\n`,
      );
      const inputs = join(scratch, `${name}.safetensors`);
      await writeLossInputs(inputs, { ...c, w: undefined });
      const out = join(scratch, `${name}-out.safetensors`);
      const results = await computeGrad(module, { loss: 'weighted', inputs, out, opened });
      expect(relativeError(results.loss, [c.loss])).toBeLessThan(1e-4);
      expect(relativeError(results['grad.z'], c.grad_z)).toBeLessThan(1e-4);
    },
  );

  it('trains an experiment; a class weighted 0 is never predicted and the run warns', async () => {
    const out = join(scratch, 'run');
    const lines: string[] = [];
    const summary = await runExperiment(fixture, {
      out,
      log: (l) => lines.push(l),
    });
    expect(summary.final!.unpredicted).toEqual([1]);
    expect(summary.final!.dicePerClass[0]).toBe(0);
    expect(summary.final!.dicePerClass[1]).toBeGreaterThan(0);
    const warning = unpredictedWarning(summary.final!)!;
    expect(warning).toMatch(/^class 1 is in the validation labels but never predicted/);
    expect(summary.warnings).toEqual([warning]);
    expect(lines).toContain(`segc: warning: ${warning}`);
    const saved = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(saved.warnings).toEqual([warning]);
    // The constant belongs to the loss, so it is not saved: segc test takes the file's list. The run's own
    // file gives the run's last validation loss; the same model with other weights gives another loss.
    const { tensors } = await readSafetensorsFile(join(out, 'model.safetensors'));
    expect(Object.keys(tensors).filter((name) => name.includes('.w.'))).toEqual([]);
    const same = await testCheckpoint(fixture, { checkpoint: out, last: true, log: () => {} });
    expect(same.values.loss).toBeCloseTo(summary.final!.values.loss, 5);
    const edited = join(scratch, 'edited.seg');
    writeFileSync(
      edited,
      readFileSync(fixture, 'utf8').replace('w = [1.0, 0.0, 1.0]', 'w = [1.0, 1.0, 1.0]'),
    );
    const other = await testCheckpoint(edited, { checkpoint: out, last: true, log: () => {} });
    expect(Math.abs(other.values.loss - same.values.loss)).toBeGreaterThan(1e-3);
  });
});
