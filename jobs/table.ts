// A sweep's results: each group's metrics (a variant at a grid point) as mean ± std over its seeds, and the
// table `segc sweep` prints at the end.
import type { RunSummary } from '../runtime/train/events.ts';

export interface RunResult {
  id: string;
  name: string;
  group: string;
  seed: number;
  values: Record<string, number>;
}

export interface GroupRow {
  group: string;
  runs: number;
  /** Metric name -> mean and sample standard deviation (n - 1; 0 for one run) over the group's seeds. */
  stats: Record<string, { mean: number; std: number }>;
}

/** The final evaluation's values of a finished run. */
export function resultOf(run: Omit<RunResult, 'values'>, summary: RunSummary): RunResult {
  return { ...run, values: summary.final?.values ?? {} };
}

export function groupRows(results: RunResult[], metrics: string[]): GroupRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return [...groups].map(([group, runs]) => ({
    group,
    runs: runs.length,
    stats: Object.fromEntries(metrics.map((m) => [m, meanStd(runs.map((r) => r.values[m]))])),
  }));
}

export function meanStd(read: (number | null | undefined)[]): { mean: number; std: number } {
  // A NaN metric is null in summary.json (JSON has no NaN) and a missing one undefined: both are NaN here,
  // not the 0 that arithmetic on null would make of them.
  const values = read.map((v) => (typeof v === 'number' ? v : NaN));
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

/** The rows as an aligned text table: one line per group, `mean ± std` per metric. */
export function formatTable(rows: GroupRow[], metrics: string[]): string {
  const header = ['run', 'seeds', ...metrics];
  const body = rows.map((r) => [
    r.group,
    String(r.runs),
    ...metrics.map((m) => `${r.stats[m].mean.toFixed(4)} ± ${r.stats[m].std.toFixed(4)}`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
