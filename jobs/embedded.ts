// segc sweep without a queue: every run of a sweep in this process, K at a time on one device. Finished runs
// are skipped and interrupted ones resumed, so running a sweep again continues it.
import { join } from 'node:path';
import { writeFileAtomic } from '../runtime/checkpoint/safetensors.ts';
import { openDevice } from '../runtime/device.ts';
import type { DevicePreference, OpenedDevice } from '../runtime/device.ts';
import type { TrainerEvent } from '../runtime/train/events.ts';
import { expandSweep } from './expand.ts';
import type { ExpandedSweep, SweepRun } from './expand.ts';
import { runOne } from './run-one.ts';
import type { RunOutcome } from './run-one.ts';
import { groupRows, resultOf } from './table.ts';
import type { GroupRow, RunResult } from './table.ts';

export const SWEEP_FILE = 'sweep.json';

export interface SweepOptions {
  out: string;
  parallel?: number;
  device?: DevicePreference | OpenedDevice;
  /** Each run's Trainer events, and a line when a run ends. */
  onEvent?: (run: SweepRun, event: TrainerEvent) => void;
  onRunEnd?: (run: SweepRun, outcome: RunOutcome, result: RunResult) => void;
  /** The sweep of `file` when the caller has expanded it already (it is not staged again). */
  sweep?: ExpandedSweep;
}

export interface SweepResult {
  sweep: ExpandedSweep;
  results: RunResult[];
  rows: GroupRow[];
}

export async function runSweep(file: string, options: SweepOptions): Promise<SweepResult> {
  const sweep = options.sweep ?? expandSweep(file);
  const shared = typeof options.device === 'object' ? options.device : undefined;
  const opened = shared ?? (await openDevice((options.device as DevicePreference) ?? 'auto'));
  const results = new Map<string, RunResult>();
  try {
    const queue = [...sweep.runs];
    const failures: unknown[] = [];
    const worker = async () => {
      for (let run = queue.shift(); run && failures.length === 0; run = queue.shift()) {
        const current = run;
        const listener = options.onEvent ? (e: TrainerEvent) => options.onEvent!(current, e) : undefined;
        try {
          const { outcome, summary } = await runOne(file, sweep.experiment, run, options.out, {
            device: opened,
            listener,
          });
          const result = resultOf(run, summary);
          results.set(run.id, result);
          options.onRunEnd?.(run, outcome, result);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const parallel = Math.max(1, Math.min(options.parallel ?? 1, sweep.runs.length));
    // A failed run stops the sweep once the runs in progress have finished (they share the device).
    await Promise.all(Array.from({ length: parallel }, worker));
    if (failures.length > 0) throw failures[0];
  } finally {
    if (!shared) opened.device.destroy();
  }
  const ordered = sweep.runs.map((r) => results.get(r.id)!);
  const rows = groupRows(ordered, sweep.metrics);
  await writeSweepFile(options.out, sweep, ordered, rows);
  return { sweep, results: ordered, rows };
}

/** DIR/sweep.json: the sweep's runs, each run's final metrics and the table (what segc report reads). */
export async function writeSweepFile(
  out: string,
  sweep: ExpandedSweep,
  results: RunResult[],
  rows: GroupRow[],
): Promise<void> {
  const body = {
    experiment: sweep.experiment,
    file: sweep.file,
    metrics: sweep.metrics,
    runs: results,
    rows,
  };
  await writeFileAtomic(join(out, SWEEP_FILE), `${JSON.stringify(body, null, 2)}\n`);
}
