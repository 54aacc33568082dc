// The data of a run: the experiment's dataset opened (its folders listed), scanned (every sample decoded once
// and checked) and a loader over the samples that passed. Everything here happens before the device opens
// and before the run folder is touched, so bad data costs nothing but the scan.
import type { Split } from './dataset.ts';
import { DataError, dataError } from './errors.ts';
import { Loader } from './loader.ts';
import type { Batch } from './loader.ts';
import { openDataset } from './registry.ts';
import type { ListedDataset } from './registry.ts';
import { scanDataset } from './scan.ts';

/** A dataset's part of the run configuration (compiler/config/run.ts). */
export interface DataConfig {
  name: string;
  /** The plan's [H, W]. */
  size: [number, number];
  classes: number;
  /** The dataset's options as the catalogue resolves them (defaults filled in). */
  options: Record<string, unknown>;
}

/** The samples of a split a run uses, in the order the split lists them. */
export interface DataSplit {
  loader: Loader;
  split: Split;
  indices: number[];
}

export interface RunData {
  dataset: ListedDataset;
  loader: Loader;
  train: DataSplit;
  val: DataSplit;
  test?: DataSplit;
  /** The files left out (on_error = skip), each once with its message. */
  skipped: { file: string; message: string }[];
  /** How the folder was read (no split lists, labelme's layout, ...). */
  notes: string[];
  /**
   * The [H, W] every image of the dataset has, when the scan found one size (Cityscapes' 1024×2048, Retinal
   * Lesions' 896×896): batches are assembled at it and resized or cropped on the GPU to the plans' sizes.
   */
  nativeSize?: [number, number];
  close(): Promise<void>;
}

/** Bad files named all at once (up to `shown` of them), with how to skip them. */
export function badDataMessage(problems: DataError[], shown = 10): string {
  const n = problems.length;
  const lines = problems.slice(0, shown).map((p) => `  ${p.message}`);
  if (n > shown) lines.push(`  ... and ${n - shown} more`);
  const head = n === 1 ? 'The dataset has a bad file:' : `The dataset has ${n} bad files:`;
  return `${head}\n${lines.join('\n')}\nFix them, or skip them with the dataset option on_error = "skip".`;
}

export async function openRunData(
  data: DataConfig,
  batch: number,
  /** `scan`: every split (default), only the splits listed, or none (false). */
  options: { scan?: boolean | Split[] } = {},
): Promise<RunData> {
  // nifti's classes default to the network's (the run configuration's).
  const given =
    data.name === 'nifti' ? { ...data.options, classes: data.options.classes ?? data.classes } : data.options;
  const dataset = openDataset(data.name, given);
  if (data.name !== 'shapes' && dataset.classes !== data.classes) {
    const names = dataset.classNames ? ` (${dataset.classNames.join(', ')})` : '';
    throw dataError(
      'SEG6047',
      [data.name, dataset.classes, names, data.classes],
      String(data.options.root ?? data.name),
    );
  }
  const onError = (data.options.on_error as 'stop' | 'skip' | undefined) ?? 'stop';
  const skipped = new Map<string, string>();
  const good: Partial<Record<Split, number[]>> = {};
  let nativeSize: [number, number] | undefined;
  const all = (split: Split) => [...Array(dataset.count(split)).keys()];
  const loader = new Loader(dataset, {
    batch,
    size: data.size,
    workers: workersOf(data),
    cacheBytes: ((data.options.cache as number | undefined) ?? 0) * 2 ** 20,
    onError,
    onSkip: (error) => skipped.set(error.file, error.message),
  });
  // A generated set (shapes) has no files to scan; the scan decodes with the loader's threads (started once).
  const scan = options.scan ?? true;
  if (scan !== false && dataset.entry) {
    const report = await scanDataset(dataset, { loader, splits: scan === true ? undefined : scan });
    if (report.problems.length > 0 && onError === 'stop') {
      await loader.close();
      throw new DataError(badDataMessage(report.problems), '');
    }
    for (const p of report.problems) if (!skipped.has(p.file)) skipped.set(p.file, p.message);
    const sizes = [...report.sizes.keys()].map((k) => k.split('×').map(Number));
    if (sizes.length === 1 && sizes[0].length === 2) nativeSize = sizes[0] as [number, number];
    // The samples whose files are all good.
    for (const split of dataset.splits) {
      good[split] = all(split).filter((i) => {
        const entry = dataset.entry?.(split, i);
        if (!entry) return true;
        const files = [entry.image, ...('mask' in entry && entry.mask ? [entry.mask] : [])];
        if (entry.kind === 'lesions') files.push(...entry.masks.filter((m): m is string => !!m));
        return files.every((f) => !skipped.has(f));
      });
    }
  } else {
    for (const split of dataset.splits) good[split] = all(split);
  }
  const splitOf = (split: Split): DataSplit | undefined =>
    good[split] ? { loader, split, indices: good[split]! } : undefined;
  const train = splitOf('train');
  const val = splitOf('val') ?? splitOf('test');
  if (!train || !val) {
    await loader.close();
    throw dataError('SEG6049', [data.name, train ? 'validation' : 'training'], '');
  }
  return {
    dataset,
    loader,
    train,
    val,
    test: splitOf('test'),
    get skipped() {
      return [...skipped].map(([file, message]) => ({ file, message }));
    },
    notes: dataset.notes,
    nativeSize,
    close: () => loader.close(),
  };
}

/** 0 in the options means the loader's default. */
function workersOf(data: DataConfig): number | undefined {
  if (data.name === 'shapes') return 0;
  const given = data.options.workers as number | undefined;
  return given ? given : undefined;
}

/**
 * The training batches of an epoch: `order` over the split's samples, `steps` full batches; each valid until
 * the next is asked for (their arrays are reused: the trainer uploads a batch before it asks for the next).
 */
export function epochBatches(
  split: DataSplit,
  order: number[],
  batch: number,
  steps: number,
  size?: [number, number],
) {
  return split.loader.batches(
    split.split,
    order.slice(0, steps * batch).map((i) => split.indices[i]),
    size,
    { recycle: true },
  ) as AsyncGenerator<Batch>;
}
