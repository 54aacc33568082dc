// `segc check --data FILE`: the experiment's dataset opened and scanned without training (every sample
// decoded once and checked), as `segc run` does before it opens the device.
import { callOptions, findEntry } from '../../compiler/index.ts';
import { resolve } from '../../compiler/index.ts';
import { CompileError, userError } from '../../diagnostics/index.ts';
import { readExperiment } from '../../compiler/index.ts';
import { DataError } from './errors.ts';
import { openDataset } from './registry.ts';
import { describeScan, scanDataset } from './scan.ts';

export interface DataCheck {
  lines: string[];
  /** No bad file, or every bad one skipped by on_error = "skip". */
  ok: boolean;
}

export async function checkData(file: string): Promise<DataCheck> {
  const resolved = resolve(file);
  const read = readExperiment(resolved.entry);
  if (!read.spec) throw new CompileError(read.diagnostics, resolved.sources);
  const call = read.spec.data;
  const entry = findEntry('dataset', call.name);
  if (!entry) throw userError('SEG6050', [call.name, file]);
  const options = callOptions(entry, call);
  try {
    const dataset = openDataset(call.name, options);
    const report = await scanDataset(dataset, { workers: (options.workers as number) || undefined });
    const lines = describeScan(dataset, report);
    const skip = options.on_error === 'skip';
    if (report.problems.length > 0) {
      const n = report.problems.length;
      lines.push(
        skip
          ? `${n} bad file${n === 1 ? '' : 's'}: a run skips ${n === 1 ? 'it' : 'them'} (on_error = "skip")`
          : `${n} bad file${n === 1 ? '' : 's'}: a run stops (fix, or on_error = "skip")`,
      );
    }
    return { lines, ok: report.problems.length === 0 || skip };
  } catch (error) {
    if (error instanceof DataError) return { lines: [`error: ${error.message}`], ok: false };
    throw error;
  }
}
