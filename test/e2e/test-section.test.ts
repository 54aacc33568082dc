// An experiment's test section acts on segc test: `save_predictions = true` writes the class maps without
// --save-predictions, and its `split` is the split tested when --split is not given.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../runtime/train/session.ts';
import { testCheckpoint } from '../../runtime/train/test-run.ts';

describe('the test section', () => {
  it('asks segc test for the class maps of its split', async () => {
    const file = 'test/fixtures/experiments/tiny-test-section.seg';
    const out = join(mkdtempSync(join(tmpdir(), 'segc-test-section-')), 'run');
    await runExperiment(file, { out });
    expect(existsSync(join(out, 'predictions-val.safetensors'))).toBe(false);
    const result = await testCheckpoint(file, { checkpoint: out, log: () => {} });
    expect(result.split).toBe('val');
    expect(existsSync(join(out, 'predictions-val.safetensors'))).toBe(true);
    // tiny: 2 validation images, one class-index PNG each.
    expect(readdirSync(join(out, 'val_results')).filter((f) => f.endsWith('.png'))).toHaveLength(2);
  });
});
