// A loss that becomes NaN stops training with a message naming the op and the .seg line it came from, and the
// weights stay as they were before the failing step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunError, runExperiment } from '../../runtime/train/session.ts';

describe('non-finite loss', () => {
  it('names the first op that produced a NaN', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'segc-nan-')), 'run');
    const run = runExperiment('test/fixtures/experiments/nan.seg', { out, log: () => {} });
    await expect(run).rejects.toBeInstanceOf(RunError);
    await expect(run).rejects.toThrow(
      /Training stopped in epoch 1, step 1: the loss is not finite\. The first NaN comes from 'log' at .*nan\.seg:10:31/,
    );
  });
});
