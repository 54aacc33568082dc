// A run's folder on disk: choosing it, and every file a run writes there (metrics.jsonl, summary.json, the
// models and the training state go through writeFileAtomic / writeSafetensorsFile).
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './safetensors.ts';
import { RunError } from '../errors.ts';

/** The model after the last epoch, and the one of the epoch `eval.select` picked (upstream's best.pth). */
export const MODEL_FILE = 'model.safetensors';
export const BEST_MODEL_FILE = 'model-best.safetensors';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';

/** Files whose presence means a folder holds a run. */
const RUN_FILES = [METRICS_FILE, MODEL_FILE, SUMMARY_FILE];

/**
 * The folder a new run writes to: `requested` (which must not hold a run), else `runs/<name>`, or the first
 * free `runs/<name>-k`. Created here.
 */
export function outputDirectory(requested: string | undefined, name: string): string {
  const taken = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => RUN_FILES.includes(f));
  let out = requested ?? join('runs', name);
  if (requested && existsSync(out) && !statSync(out).isDirectory()) {
    throw new RunError(`--out '${out}' is a file, not a directory; choose another --out.`);
  }
  if (requested && taken(out)) {
    throw new RunError(
      `Output directory '${out}' already holds a run; choose another --out or move it away.`,
    );
  }
  for (let k = 2; taken(out); k++) out = join('runs', `${name}-${k}`);
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new RunError(`Cannot create the output directory '${out}': ${(error as Error).message}`);
  }
  return out;
}

/** The text files of a run folder (models and state are safetensors, written by their owners). */
export class RunFolder {
  constructor(readonly dir: string) {}

  path(file: string): string {
    return join(this.dir, file);
  }

  /** One epoch's flat record appended to metrics.jsonl. */
  async appendMetrics(record: Record<string, unknown>): Promise<void> {
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
