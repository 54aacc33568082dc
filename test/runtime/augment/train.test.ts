// A tiny run with `train augment`: the augmentation runs (its losses differ from the same run without it),
// two runs with one seed train on the same augmented samples, so their losses agree exactly, and so does a run
// stopped after its first epoch and resumed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../../runtime/train/trainer.ts';

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

  it('a resumed run trains on what the uninterrupted one trained on', async () => {
    expect(await losses(AUGMENTED, 1)).toEqual(await losses(AUGMENTED));
  }, 300_000);
});
