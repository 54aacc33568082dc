// Every load path checks a file's tensors the same way (runtime/checkpoint/validate.ts): segc test refuses a
// model with a tensor of another dtype, another shape or non-finite values, as --resume refuses such a state,
// with an error naming the file and the tensor (segc test used to score them, Dice 0, exit 0).
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TensorEntry } from '../../runtime/checkpoint/safetensors.ts';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { RunError, runExperiment } from '../../runtime/train/session.ts';
import { testCheckpoint } from '../../runtime/train/test-run.ts';

const file = 'test/fixtures/experiments/tiny.seg';
const quiet = { log: () => {} };
const root = mkdtempSync(join(tmpdir(), 'segc-load-'));
const run = join(root, 'run');
const conv = 'center.conv1.0.weight';

/** A copy of the run whose `file` has `edit` applied to its tensors. */
async function edited(name: string, fileName: string, edit: (t: Record<string, TensorEntry>) => void) {
  const dir = join(root, name);
  cpSync(run, dir, { recursive: true });
  const path = join(dir, fileName);
  const { tensors, metadata } = await readSafetensorsFile(path);
  edit(tensors);
  await writeSafetensorsFile(path, tensors, metadata);
  return { dir, path };
}

describe('one validation of loaded tensors', () => {
  beforeAll(async () => {
    await runExperiment(file, { ...quiet, out: run });
  }, 60_000);

  it('segc test refuses a tensor of another dtype, another shape, or NaN, naming the file and tensor', async () => {
    const test = (dir: string) => testCheckpoint(file, { ...quiet, checkpoint: dir, last: true });
    // A sanity check of the fixture: the untouched run tests.
    await expect(test(run)).resolves.toHaveProperty('values');
    const i32 = await edited('i32', 'model.safetensors', (t) => {
      t[conv] = { ...t[conv], dtype: 'I32', data: Int32Array.from(t[conv].data as Float32Array) };
    });
    await expect(test(i32.dir)).rejects.toThrow(
      new RunError(`Cannot test '${i32.path}': '${conv}' is I32, a segc model holds F32.`, {
        code: 'SEG6067',
      }),
    );
    const shape = await edited('shape', 'model.safetensors', (t) => {
      t[conv] = { ...t[conv], shape: [2, 4, 3, 3] }; // [4, 2, 3, 3] transposed: the same 72 values
    });
    await expect(test(shape.dir)).rejects.toThrow(
      new RunError(
        `Cannot test '${shape.path}': '${conv}' has shape [2, 4, 3, 3], the model needs [4, 2, 3, 3].`,
        { code: 'SEG6067' },
      ),
    );
    const nan = await edited('nan', 'model.safetensors', (t) => {
      // Every float tensor (the batch norms' int64 step counters hold no NaN).
      for (const entry of Object.values(t)) if (entry.dtype === 'F32') (entry.data as Float32Array).fill(NaN);
    });
    await expect(test(nan.dir)).rejects.toThrow(/^Cannot test '.*': '.*' holds NaN \(\d+ of its \d+ values/);
    // The selected model (segc test's default) goes through the same check.
    const best = await edited('best', 'model-best.safetensors', (t) => {
      (t[conv].data as Float32Array)[5] = Infinity;
    });
    await expect(testCheckpoint(file, { ...quiet, checkpoint: best.dir })).rejects.toThrow(
      new RunError(
        `Cannot test '${best.path}': '${conv}' holds Infinity (1 of its 72 values are not finite, the ` +
          'first at index 5): the run that saved it diverged, or the file was damaged.',
        { code: 'SEG6067' },
      ),
    );
  });

  it('--resume refuses a training state with a non-finite moment or a reshaped tensor in the same words', async () => {
    const resume = (dir: string) =>
      runExperiment(file, { ...quiet, resume: dir, overrides: { 'train.epochs': 2 } });
    const moment = `optimizer:${conv}.exp_avg`;
    const nan = await edited('state-nan', 'checkpoint.safetensors', (t) => {
      (t[moment].data as Float32Array)[0] = NaN;
    });
    await expect(resume(nan.dir)).rejects.toThrow(
      new RunError(
        `Cannot resume from '${nan.path}': '${moment}' holds NaN (1 of its 72 values are not finite, the ` +
          'first at index 0): the run diverged before this state was saved, or the file was damaged.',
        { code: 'SEG6063' },
      ),
    );
    const shape = await edited('state-shape', 'checkpoint.safetensors', (t) => {
      t[moment] = { ...t[moment], shape: [8, 9] };
    });
    await expect(resume(shape.dir)).rejects.toThrow(
      new RunError(
        `Cannot resume from '${shape.path}': '${moment}' has shape [8, 9], the model needs [72].`,
        { code: 'SEG6063' },
      ),
    );
  });
});
