// Every state a failed write or a kill can leave a run folder in, by fault injection at its write boundaries
// (runtime/checkpoint/write-boundary.ts), never by timing or a real full disk: a read-only folder is refused
// before the device opens, a full disk while saving is an error that keeps the last checkpoint and says how
// to resume, and a run killed at any write boundary resumes to the same end as an uninterrupted run.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import type { WriteBoundary } from '../../runtime/checkpoint/write-boundary.ts';
import { setWriteHook } from '../../runtime/checkpoint/write-boundary.ts';
import { RunError, runExperiment } from '../../runtime/train/session.ts';

const file = 'test/fixtures/experiments/tiny.seg';
const quiet = { log: () => {} };
const root = mkdtempSync(join(tmpdir(), 'segc-folder-'));
const straight = join(root, 'straight');
const twoEpochs = { 'train.epochs': 2 };
const exec = promisify(execFile);

const systemError = (code: string, text: string) => Object.assign(new Error(`${code}: ${text}`), { code });
/** A hook failing the `count`-th boundary that `matches` with `error`. */
function failAt(matches: (b: WriteBoundary) => boolean, count: number, error: Error) {
  let seen = 0;
  setWriteHook((b) => {
    if (matches(b) && ++seen === count) throw error;
  });
}
const temporaries = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));
const losses = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).loss as number);

/** The run in `dir` ended exactly as the uninterrupted one: the same losses, weights and a summary. */
async function expectSameEnd(dir: string, reference: string) {
  expect(losses(dir)).toEqual(losses(reference));
  const a = (await readSafetensorsFile(join(reference, 'model.safetensors'))).tensors;
  const b = (await readSafetensorsFile(join(dir, 'model.safetensors'))).tensors;
  expect(Object.keys(b)).toEqual(Object.keys(a));
  const values = (t: (typeof a)[string]) => Array.from(t.data as ArrayLike<number | bigint>);
  for (const name of Object.keys(a)) expect(values(b[name]), name).toEqual(values(a[name]));
  expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).epochs).toHaveLength(
    losses(reference).length,
  );
  expect(temporaries(dir)).toEqual([]);
}

describe('run folder faults', () => {
  beforeAll(async () => {
    await runExperiment(file, { ...quiet, out: straight, overrides: twoEpochs });
  }, 60_000);
  afterEach(() => setWriteHook(undefined));

  it('refuses a read-only output folder before the device opens, and leaves no folder behind', async () => {
    const out = join(root, 'read-only');
    failAt((b) => b.path.includes('.segc-probe-'), 1, systemError('EROFS', 'read-only file system, open'));
    // --device gpu fails on a machine without a GPU: the folder's error must come first.
    const run = runExperiment(file, { ...quiet, out, device: 'gpu' });
    await expect(run).rejects.toThrow(
      new RunError(
        `Cannot write to the output directory '${out}' (EROFS: read-only file system, open); make it ` +
          'writable or choose another --out.',
        { code: 'SEG6083' },
      ),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a full disk while saving epoch 2 keeps the checkpoint of epoch 1; the resumed run ends as the straight one', async () => {
    const out = join(root, 'full');
    failAt(
      (b) => b.path.endsWith('checkpoint.safetensors') && b.stage === 'open',
      2,
      systemError('ENOSPC', 'no space left on device, write'),
    );
    await expect(runExperiment(file, { ...quiet, out, overrides: twoEpochs })).rejects.toThrow(
      new RunError(
        `Cannot save epoch 2 in '${out}': ENOSPC: no space left on device, write. The checkpoint of epoch 1 ` +
          `is kept; once there is space again, 'segc run ${file} --resume ${out}' continues after epoch 1.`,
        { code: 'SEG6103' },
      ),
    );
    const state = await readSafetensorsFile(join(out, 'checkpoint.safetensors'));
    expect(JSON.parse(state.metadata.state).epoch).toBe(1);
    setWriteHook(undefined);
    await runExperiment(file, { ...quiet, resume: out });
    await expectSameEnd(out, straight);
  });

  it('a full disk in the first epoch says the resume starts over, and it does', async () => {
    const out = join(root, 'full-first');
    failAt((b) => b.path.endsWith('model.safetensors'), 1, systemError('ENOSPC', 'no space left on device'));
    await expect(runExperiment(file, { ...quiet, out, overrides: twoEpochs })).rejects.toThrow(
      `No epoch was saved yet; once there is space again, 'segc run ${file} --resume ${out}' starts the run ` +
        'over in place.',
    );
    setWriteHook(undefined);
    const lines: string[] = [];
    // The run's --set settings were never saved: they are given again.
    await runExperiment(file, { log: (l) => lines.push(l), resume: out, overrides: twoEpochs });
    expect(lines).toContain(
      `segc: warning: no epoch of the run in '${out}' was saved (it was stopped in its first epoch): it ` +
        'starts over in place, with the --set settings given now.',
    );
    await expectSameEnd(out, straight);
  });

  it('a full disk at the summary keeps the finished training; the resume writes the summary', async () => {
    const out = join(root, 'full-summary');
    failAt((b) => b.path.endsWith('summary.json'), 1, systemError('ENOSPC', 'no space left on device'));
    await expect(runExperiment(file, { ...quiet, out, overrides: twoEpochs })).rejects.toThrow(
      new RunError(
        `Cannot save summary.json in '${out}': ENOSPC: no space left on device. Training is complete and ` +
          `its checkpoint is kept; once there is space again, 'segc run ${file} --resume ${out}' writes it.`,
        { code: 'SEG6103' },
      ),
    );
    setWriteHook(undefined);
    await runExperiment(file, { ...quiet, resume: out });
    await expectSameEnd(out, straight);
    // A resume that fails does not announce its output folder first.
    const lines: string[] = [];
    const again = runExperiment(file, { log: (l) => lines.push(l), resume: out });
    await expect(again).rejects.toThrow(/^Nothing to resume/);
    expect(lines).toEqual([]);
  });

  it('a run killed at any write boundary resumes to the end of the uninterrupted run', async () => {
    const one = join(root, 'one');
    let count = 0;
    setWriteHook(() => count++);
    await runExperiment(file, { ...quiet, out: one });
    setWriteHook(undefined);
    const child = (out: string, k: number) =>
      exec(process.execPath, ['--import', 'tsx', 'test/helpers/kill-at-write.ts', file, out, String(k)]).then(
        (r) => r.stdout,
        (error: { signal?: string }) => error.signal,
      );
    // The boundaries of a one-epoch run: the folder's probe, metrics.jsonl, then open and rename of
    // model.safetensors, model-best.safetensors, checkpoint.safetensors and summary.json.
    expect(count).toBe(10);
    const dirs = Array.from({ length: count }, (_, k) => join(root, `killed-${k + 1}`));
    for (let k = 0; k < count; k += 2) {
      const pair = await Promise.all(dirs.slice(k, k + 2).map((dir, i) => child(dir, k + i + 1)));
      expect(pair).toEqual(pair.map(() => 'SIGKILL'));
    }
    // What the kills left: a temporary file at each rename, a checkpoint only after its rename.
    // (dirs[k - 1] was killed at boundary k, before it.)
    expect(temporaries(dirs[3])).toHaveLength(1);
    expect(existsSync(join(dirs[7], 'checkpoint.safetensors'))).toBe(false);
    expect(existsSync(join(dirs[8], 'checkpoint.safetensors'))).toBe(true);
    expect(existsSync(join(dirs[9], 'summary.json'))).toBe(false);
    // --out on a stopped run says how to continue it.
    await expect(runExperiment(file, { ...quiet, out: dirs[2] })).rejects.toThrow(
      new RunError(
        `Output directory '${dirs[2]}' already holds a run (stopped: continue it with --resume ${dirs[2]}); ` +
          'choose another --out or move it away.',
        { code: 'SEG6081' },
      ),
    );
    for (const dir of dirs) {
      await runExperiment(file, { ...quiet, resume: dir });
      await expectSameEnd(dir, one);
    }
  }, 240_000);
});
