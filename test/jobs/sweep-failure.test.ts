// A sweep whose one run fails while another trains beside it on the shared device: the sweep stops with the
// failed run's error only once the run in progress has finished (its folder is complete, nothing runs on a
// destroyed device after runSweep has returned).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSweep } from '../../jobs/embedded.ts';
import { expandSweep } from '../../jobs/expand.ts';

const file = 'test/fixtures/experiments/sweep-one-fails.seg';

describe('segc sweep with a failing run', () => {
  it('lets the runs in progress finish, then fails with the run error', async () => {
    const out = mkdtempSync(join(tmpdir(), 'segc-sweep-fail-'));
    const ends: string[] = [];
    const sweep = expandSweep(file);
    const failed = await runSweep(file, {
      out,
      parallel: 2,
      device: 'cpu',
      onRunEnd: (run) => ends.push(run.name),
    }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failed?.message).toMatch(/the loss is not finite.*'log'/s);
    // The ce run (20 epochs) outlives the bad one (fails in its first step): complete when the sweep fails.
    expect(ends).toEqual(['ce']);
    const ce = sweep.runs.find((r) => r.name === 'ce')!;
    expect(existsSync(join(out, ce.id, 'summary.json'))).toBe(true);
    expect(existsSync(join(out, ce.id, 'predictions-val.safetensors'))).toBe(true);
  }, 120_000);
});
