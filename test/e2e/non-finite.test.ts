// Non-finite values stop training with a message naming the op and the .seg line it came from, whether the
// loss, a gradient (an op of the backward pass, named by the forward op it differentiates) or an updated
// weight is the first to be non-finite; the weights stay as they were, and a run that failed in its first
// epoch leaves no folder. A loss that grows by orders of magnitude is a warning. An augmented step is replayed
// with the inputs it had (the batch augmented again with the same draws).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunError, runExperiment } from '../../runtime/train/session.ts';

const root = mkdtempSync(join(tmpdir(), 'segc-nan-'));
const quiet = { log: () => {} };

describe('non-finite loss', () => {
  it('names the first op that produced a NaN', async () => {
    const out = join(root, 'log');
    const run = runExperiment('test/fixtures/experiments/nan.seg', { out, log: () => {} });
    await expect(run).rejects.toBeInstanceOf(RunError);
    await expect(run).rejects.toThrow(
      /Training stopped in epoch 1, step 1: the loss is not finite\. The first NaN comes from 'log' at .*nan\.seg:10:31/,
    );
  });
});

describe('non-finite loss of an augmented batch', () => {
  it('replays the step with its own augmented inputs (the unaugmented batch is finite)', async () => {
    const out = join(root, 'augmented');
    const run = runExperiment('test/fixtures/experiments/nan-augmented.seg', { out, log: () => {} });
    await expect(run).rejects.toThrow(
      /step 1: the loss is not finite\. The first NaN comes from 'log' at .*nan-augmented\.seg:12:31/,
    );
  });
});

describe('non-finite gradients and updates', () => {
  it('stops at a NaN gradient of a finite loss and names the op of the backward pass', async () => {
    const out = join(root, 'sqrt');
    const run = runExperiment('test/fixtures/experiments/nan-gradient.seg', { ...quiet, out });
    await expect(run).rejects.toThrow(
      new RegExp(
        '^Training stopped in epoch 1, step 1: a gradient is not finite although the loss is\\. The first ' +
          "Infinity comes from 'div' in the gradient of 'sqrt' at .*nan-gradient\\.seg:9:31 \\(backward pass, " +
          'f32\\[N=2,C=3,H=8,W=8\\]\\)\\.\\n.*mean\\(sqrt\\(relu\\(logits\\)\\)\\)\\n {32}\\^$',
      ),
    );
    // Nothing was saved (no NaN weights), and the empty folder is gone.
    expect(existsSync(out)).toBe(false);
  });

  it("stops the issue's division by zero that trained to the end with NaN weights", async () => {
    const out = join(root, 'divide');
    const run = runExperiment('test/fixtures/experiments/nan-divide.seg', { ...quiet, out });
    await expect(run).rejects.toThrow(
      /^Training stopped in epoch 1, step 1: .* The first (Infinity|NaN) comes from 'div' at .*nan-divide\.seg:9:24/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('stops when an update overflows a weight, naming the learning rate', async () => {
    const out = join(root, 'overflow');
    const overrides = { 'optimizer.lr': 1e39 };
    const run = runExperiment('test/fixtures/experiments/tiny.seg', { ...quiet, out, overrides });
    await expect(run).rejects.toThrow(
      new RunError(
        'Training stopped in epoch 1, step 1: an update made a weight non-finite although the loss and its ' +
          'gradients are finite: the learning rate is too large for this model; lower it ' +
          '(--set optimizer.lr=...).',
        { code: 'SEG6104' },
      ),
    );
  });

  it('warns once when the loss diverges (lr 1e6), on the log and in summary.json', async () => {
    const out = join(root, 'diverge');
    const lines: string[] = [];
    const overrides = { 'optimizer.lr': 1e6, 'train.epochs': 2 };
    await runExperiment('test/fixtures/experiments/tiny.seg', { out, overrides, log: (l) => lines.push(l) });
    const warning =
      /^segc: warning: the training loss diverges: epoch 1's \S+ is more than 10 times the first step's/;
    expect(lines.filter((l) => warning.test(l))).toHaveLength(1);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.warnings[0]).toMatch(/^the training loss diverges: /);
  });
});
