// A scan of a dataset before training (`segc check --data`, and `segc run` before it opens the device or
// touches the output folder): every sample of every split decoded once and checked, every bad file named.
import type { Split } from './dataset.ts';
import { DataError } from './errors.ts';
import { Loader } from './loader.ts';
import type { ListedDataset } from './registry.ts';

export interface ScanReport {
  /** Samples per split that decoded and passed the checks. */
  counts: Partial<Record<Split, number>>;
  /** Each bad file once, in the order found (listing problems first). */
  problems: DataError[];
  /** Sizes [H, W] (or [D, H, W]) seen, with how many samples have each. */
  sizes: Map<string, number>;
}

export async function scanDataset(
  dataset: ListedDataset,
  /**
   * `loader`: decode with this one's threads (kept open); else a loader of its own, closed after. `splits`:
   * only these (default every split).
   */
  options: { workers?: number; loader?: Loader; onSample?: () => void; splits?: Split[] } = {},
): Promise<ScanReport> {
  const problems = [...dataset.problems];
  const loader = options.loader ?? new Loader(dataset, { batch: 1, size: [1, 1], workers: options.workers });
  const reported = new Set(problems.map((p) => p.file));
  const report: ScanReport = { counts: {}, problems, sizes: new Map() };
  // A sample shared by splits (an image folder without lists) is decoded once; splits hold no duplicates.
  const decoded = new Map<string, boolean>();
  const keyOf = (split: Split, i: number) =>
    dataset.entry ? JSON.stringify(dataset.entry(split, i)) : `${split}:${i}`;
  try {
    for (const split of dataset.splits.filter((s) => options.splits?.includes(s) ?? true)) {
      let good = 0;
      const fresh: number[] = [];
      for (let i = 0; i < dataset.count(split); i++) {
        const known = decoded.get(keyOf(split, i));
        if (known === undefined) fresh.push(i);
        else if (known) good++;
      }
      for (let start = 0; start < fresh.length; start += 16) {
        const part = fresh.slice(start, start + 16);
        const samples = await Promise.all(part.map((i) => loader.tryDecode(split, i)));
        samples.forEach((s, k) => {
          options.onSample?.();
          decoded.set(keyOf(split, part[k]), !(s instanceof DataError));
          if (s instanceof DataError) {
            // Each bad file once.
            if (!reported.has(s.file)) problems.push(s);
            reported.add(s.file);
            return;
          }
          good++;
          const size = s.size.join('×');
          report.sizes.set(size, (report.sizes.get(size) ?? 0) + 1);
        });
      }
      report.counts[split] = good;
    }
  } finally {
    if (!options.loader) await loader.close();
  }
  return report;
}

/** The report as lines for a terminal. */
export function describeScan(dataset: ListedDataset, report: ScanReport): string[] {
  const counts = Object.entries(report.counts)
    .map(([split, n]) => `${split} ${n}`)
    .join(', ');
  const sizes = [...report.sizes.entries()].map(([size, n]) => `${size} (${n})`).join(', ');
  const lines = [
    `${dataset.name}: ${counts} samples; ${dataset.classes} classes` +
      (dataset.classNames ? ` (${dataset.classNames.join(', ')})` : '') +
      `; sizes ${sizes || 'none'}`,
    ...dataset.notes.map((n) => `note: ${n}`),
    ...report.problems.map((p) => `error: ${p.message}`),
  ];
  return lines;
}
