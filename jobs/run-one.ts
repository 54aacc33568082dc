// One run of a sweep in its folder: finished runs are read back, interrupted ones resumed from their last
// checkpoint, the rest started. The embedded runner and queue workers both run runs through here, so a run
// is the same whoever runs it.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SUMMARY_FILE } from '../runtime/checkpoint/run-folder.ts';
import { writeFileAtomic } from '../runtime/checkpoint/safetensors.ts';
import type { OpenedDevice } from '../runtime/device.ts';
import type { RunSummary, TrainerListener } from '../runtime/train/events.ts';
import { STATE_FILE } from '../runtime/train/state.ts';
import { Trainer } from '../runtime/train/trainer.ts';
import { testCheckpoint } from '../runtime/train/test-run.ts';
import type { SweepRun } from './expand.ts';
import { LOCK_FILE } from './lock.ts';

/** What a sweep writes beside a run's own files: which run of which sweep the folder holds. */
export const RUN_FILE = 'run.json';

export interface RunRecord {
  id: string;
  name: string;
  group: string;
  seed: number;
  variant?: string;
  overrides: SweepRun['overrides'];
  experiment: string;
  file: string;
}

export type RunOutcome = 'done' | 'resumed' | 'trained';

export interface OneRunOptions {
  device: OpenedDevice;
  listener?: TrainerListener;
  /** Stop after this many epochs in total, as an interruption would (tests). */
  stopAfter?: number;
}

/** Runs `run` of the sweep of `file` in `out/<run id>` unless it is finished there. */
export async function runOne(
  file: string,
  experiment: string,
  run: SweepRun,
  out: string,
  options: OneRunOptions,
): Promise<{ outcome: RunOutcome; summary: RunSummary; dir: string }> {
  const dir = join(out, run.id);
  const summaryPath = join(dir, SUMMARY_FILE);
  if (existsSync(summaryPath)) {
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
    // Killed between the end of training and its class maps: only those are made again.
    if (!existsSync(join(dir, VAL_PREDICTIONS))) await predictVal(file, run, dir, options.device);
    return { outcome: 'done', summary, dir };
  }
  const resume = existsSync(join(dir, STATE_FILE));
  if (!resume && existsSync(dir)) {
    // Killed before its first checkpoint: nothing to resume, so the folder starts over.
    for (const name of readdirSync(dir)) {
      if (name !== LOCK_FILE) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
  mkdirSync(dir, { recursive: true });
  // The experiment file's absolute path: segc report reads it again from wherever it is started.
  const record: RunRecord = { ...run, experiment, file: resolve(file) };
  await writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
  const trainer = new Trainer(file, {
    overrides: run.overrides,
    variant: run.variant,
    device: options.device,
    ...(resume ? { resume: dir } : { out: dir }),
    stopAfter: options.stopAfter,
  });
  if (options.listener) trainer.on(options.listener);
  const summary = await trainer.run();
  await predictVal(file, run, dir, options.device);
  return { outcome: resume ? 'resumed' : 'trained', summary, dir };
}

/** What predictVal writes in a finished run's folder. */
const VAL_PREDICTIONS = 'predictions-val.safetensors';

/** The selected model's class maps on the validation split, for the report's overlays. */
async function predictVal(file: string, run: SweepRun, dir: string, device: OpenedDevice): Promise<void> {
  await testCheckpoint(file, {
    checkpoint: dir,
    split: 'val',
    savePredictions: true,
    overrides: run.overrides,
    device,
    log: () => {},
  });
}
