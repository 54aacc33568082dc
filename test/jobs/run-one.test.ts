// One sweep run in its folder: a run killed after training but before its validation class maps were written
// is 'done' when run again, and gets its class maps (the report's overlays need them), without training.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandSweep } from '../../jobs/expand.ts';
import { runOne } from '../../jobs/run-one.ts';
import { openDevice } from '../../runtime/device.ts';

const file = 'test/fixtures/experiments/tiny-sweep.seg';
const opened = await openDevice('cpu');
afterAll(() => opened.device.destroy());

describe('runOne', () => {
  it('writes the missing class maps of a finished run without training it again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'segc-run-one-'));
    const sweep = expandSweep(file);
    const run = sweep.runs[0];
    const first = await runOne(file, sweep.experiment, run, out, { device: opened });
    expect(first.outcome).toBe('trained');
    // The experiment file as an absolute path (segc report may start in another folder).
    expect(JSON.parse(readFileSync(join(first.dir, 'run.json'), 'utf8')).file).toBe(resolve(file));
    const predictions = join(first.dir, 'predictions-val.safetensors');
    const written = readFileSync(predictions);
    const summary = readFileSync(join(first.dir, 'summary.json'), 'utf8');
    rmSync(predictions);
    const again = await runOne(file, sweep.experiment, run, out, { device: opened });
    expect(again.outcome).toBe('done');
    expect(existsSync(predictions)).toBe(true);
    expect(readFileSync(predictions).equals(written)).toBe(true);
    expect(readFileSync(join(first.dir, 'summary.json'), 'utf8')).toBe(summary);
  }, 120_000);
});
