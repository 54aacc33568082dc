// What a report shows, read from run folders and sweep folders: each run's epochs (metrics.jsonl), its final
// evaluation (summary.json) and which variant and seed of which experiment it is (run.json of a sweep run).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { METRICS_FILE, SUMMARY_FILE } from '../runtime/checkpoint/run-folder.ts';
import { userError } from '../diagnostics/index.ts';
import type { RunSummary } from '../runtime/train/events.ts';
import { RUN_FILE } from '../jobs/run-one.ts';
import type { RunRecord } from '../jobs/run-one.ts';

export interface ReportRun {
  dir: string;
  id: string;
  experiment: string;
  /** The row the run is averaged into: its variant at its grid point (a plain run: the experiment's name). */
  group: string;
  seed?: number;
  epochs: Record<string, unknown>[];
  summary: RunSummary;
  /** What segc sweep recorded of the run (its file, variant and overrides); none for a plain run folder. */
  record?: RunRecord;
}

/** The runs under each of `dirs`: a run folder (summary.json) or a sweep folder holding run folders. */
export function collectRuns(dirs: string[]): ReportRun[] {
  const runs: ReportRun[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw userError('SEG6120', [dir]);
    }
    const found = isRun(dir)
      ? [dir]
      : readdirSync(dir)
          .map((n) => join(dir, n))
          .filter(isRun);
    if (found.length === 0) {
      throw userError('SEG6121', [dir, SUMMARY_FILE]);
    }
    runs.push(...found.sort().map(readRun));
  }
  return runs;
}

function isRun(dir: string): boolean {
  return statSync(dir).isDirectory() && existsSync(join(dir, SUMMARY_FILE));
}

function readRun(dir: string): ReportRun {
  const json = <T>(file: string): T => {
    try {
      return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
    } catch (error) {
      throw userError('SEG6122', [join(dir, file), (error as Error).message]);
    }
  };
  const summary = json<RunSummary>(SUMMARY_FILE);
  const record = existsSync(join(dir, RUN_FILE)) ? json<RunRecord>(RUN_FILE) : undefined;
  const epochs = existsSync(join(dir, METRICS_FILE))
    ? readFileSync(join(dir, METRICS_FILE), 'utf8')
        .split('\n')
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => line.trim() !== '')
        .map(({ line, i }) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch (error) {
            const where = `${join(dir, METRICS_FILE)}:${i + 1}`;
            throw userError('SEG6122', [where, (error as Error).message]);
          }
        })
    : [];
  return {
    dir,
    id: record?.id ?? basename(dir),
    experiment: summary.experiment,
    group: record?.group ?? summary.experiment,
    seed: record?.seed,
    epochs,
    summary,
    record,
  };
}
