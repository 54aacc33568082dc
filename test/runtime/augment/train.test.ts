// A tiny run with `train augment`: the augmentation runs (its losses differ from the same run without it),
// and two runs with one seed train on the same augmented samples, so their losses agree exactly.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../../runtime/train/trainer.ts';

async function losses(file: string): Promise<number[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'segc-augment-')), 'run');
  await new Trainer(file, { out }).run();
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).loss as number);
}

describe('training with augmentation', () => {
  it('is reproducible with one seed and differs from training without it', async () => {
    const first = await losses('test/fixtures/experiments/tiny-augment.seg');
    const second = await losses('test/fixtures/experiments/tiny-augment.seg');
    const plain = await losses('test/fixtures/experiments/tiny-unaugmented.seg');
    expect(first).toHaveLength(2);
    expect(first.every(Number.isFinite)).toBe(true);
    expect(second).toEqual(first);
    expect(Math.abs(first[0] - plain[0])).toBeGreaterThan(1e-4);
  }, 300_000);
});
