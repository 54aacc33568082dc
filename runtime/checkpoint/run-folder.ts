// A run's folder on disk: choosing it, and every file a run writes there (metrics.jsonl, summary.json, the
// models and the training state go through writeFileAtomic / writeSafetensorsFile).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMPORARY, writeFileAtomic } from './safetensors.ts';
import { writeBoundary } from './write-boundary.ts';
import { userError } from '../../diagnostics/index.ts';

/** The model after the last epoch, and the one of the epoch `eval.select` picked (upstream's best.pth). */
export const MODEL_FILE = 'model.safetensors';
export const BEST_MODEL_FILE = 'model-best.safetensors';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';

/** Files whose presence means a folder holds a run. */
const RUN_FILES = [METRICS_FILE, MODEL_FILE, SUMMARY_FILE];

/**
 * The folder a new run writes to: `requested` (which must not hold a run), else `runs/<name>`, or the first
 * free `runs/<name>-k`. Created here (`created`: it did not exist) and checked to be writable, so a read-only
 * or full disk is reported before the device opens, not after an epoch has trained.
 */
export function outputDirectory(
  requested: string | undefined,
  name: string,
): { dir: string; created: boolean } {
  const taken = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => RUN_FILES.includes(f));
  let out = requested ?? join('runs', name);
  if (requested && existsSync(out) && !statSync(out).isDirectory()) {
    throw userError('SEG6080', [out]);
  }
  if (requested && taken(out)) {
    // A run without its summary was stopped: it can be continued.
    const stopped = !existsSync(join(out, SUMMARY_FILE))
      ? ` (stopped: continue it with --resume ${out})`
      : '';
    throw userError('SEG6081', [out, stopped]);
  }
  for (let k = 2; taken(out); k++) out = join('runs', `${name}-${k}`);
  const created = !existsSync(out);
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw userError('SEG6082', [out, (error as Error).message]);
  }
  try {
    checkWritable(out);
  } catch (error) {
    if (created) removeIfEmpty(out);
    throw error;
  }
  return { dir: out, created };
}

/** Writes and removes a probe file: a folder the run could not save into is an error before training. */
export function checkWritable(dir: string): void {
  const probe = join(dir, `.segc-probe-${process.pid}`);
  try {
    writeBoundary({ path: probe, stage: 'open' });
    writeFileSync(probe, 'segc');
    unlinkSync(probe);
  } catch (error) {
    rmSync(probe, { force: true });
    throw userError('SEG6083', [dir, (error as Error).message]);
  }
}

/** Removes `dir` if nothing is in it (a run that failed before writing anything leaves no empty folder). */
export function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/**
 * Makes a run folder ready to resume, whatever state a kill left it in: temporary files of interrupted
 * writes are removed; without a training state (stopped during the first epoch) the run's files are
 * removed too and `fresh` is true: the run starts over in place. A folder that holds no segc run is refused.
 */
export function prepareResume(dir: string, stateFile: string): { fresh: boolean } {
  const missing = () => userError('SEG6060', [join(dir, stateFile)]);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw missing();
  const entries = readdirSync(dir);
  const temporaries = entries.filter((f) => TEMPORARY.test(f));
  const fresh = !entries.includes(stateFile);
  // Only the files a run writes before its first checkpoint: anything else is not a stopped run.
  const runFiles = [...RUN_FILES, BEST_MODEL_FILE];
  if (fresh && entries.some((f) => !TEMPORARY.test(f) && !runFiles.includes(f))) throw missing();
  checkWritable(dir);
  for (const f of fresh ? entries : temporaries) rmSync(join(dir, f), { force: true });
  return { fresh };
}

/** The text files of a run folder (models and state are safetensors, written by their owners). */
export class RunFolder {
  constructor(readonly dir: string) {}

  path(file: string): string {
    return join(this.dir, file);
  }

  /** One epoch's flat record appended to metrics.jsonl. */
  async appendMetrics(record: Record<string, unknown>): Promise<void> {
    writeBoundary({ path: this.path(METRICS_FILE), stage: 'append' });
    await appendFile(this.path(METRICS_FILE), `${JSON.stringify(record)}\n`);
  }

  /** metrics.jsonl rewritten from records (a resumed run's history, so no epoch appears twice). */
  async rewriteMetrics(records: Record<string, unknown>[]): Promise<void> {
    await writeFileAtomic(this.path(METRICS_FILE), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  async writeSummary(summary: unknown): Promise<void> {
    await writeFileAtomic(this.path(SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  }
}
