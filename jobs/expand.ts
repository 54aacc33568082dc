// A sweep file expanded into its runs: every loss variant × grid point × seed, each with a run-id (a short
// hash of the resolved configuration plus a readable name) and the `--set` overrides that make it. Every
// variant and grid value is checked before anything runs.
import { createHash } from 'node:crypto';
import type { Span } from '../diagnostics/index.ts';
import { CompileError, createDiagnostic } from '../diagnostics/index.ts';
import { stageExperiment } from '../compiler/index.ts';
import type { StagedExperiment } from '../compiler/index.ts';
import type { Override } from '../compiler/index.ts';
import { readRunConfig } from '../compiler/index.ts';
import type { Setting, SweepSpec } from '../compiler/index.ts';

export interface SweepRun {
  /** `<name>-<hash>`: the run's folder in the sweep's output directory. */
  id: string;
  /** Readable: the variant, the grid values and the seed (`ce_l1-alpha=0.5-seed=2`). */
  name: string;
  variant?: string;
  overrides: Record<string, Override>;
  /** The runs of one group differ only in their seed (the table's rows: mean ± std over seeds). */
  group: string;
  seed: number;
}

export interface ExpandedSweep {
  experiment: string;
  file: string;
  runs: SweepRun[];
  /** Metric names the experiment evaluates, in order, and which one `eval.select` picks. */
  metrics: string[];
  select: string;
}

/** The runs of `file`'s sweep section (one run, the experiment itself, when it has none). */
export function expandSweep(file: string): ExpandedSweep {
  const base = stageExperiment(file, { check: true });
  const sweep: SweepSpec = base.spec.sweep ?? { variants: [], grid: [], span: base.spec.spans.data };
  const variants: (string | undefined)[] =
    sweep.variants.length > 0 ? sweep.variants.map((v) => v.name) : [undefined];
  const staged = new Map<string | undefined, StagedExperiment>();
  for (const variant of variants) {
    staged.set(variant, variant === undefined ? base : stageExperiment(file, { check: true, variant }));
  }
  const axes = sweep.grid.map((axis) => ({
    key: axis.key,
    span: axis.span,
    values: axis.values.map((value, i) => toOverride(value, `sweep.grid.${axis.key}.${i}`, base, axis.span)),
  }));
  // Each grid value alone, so a bad one is reported at its grid.
  const diagnostics = axes.flatMap((axis) =>
    axis.values.flatMap((value) => {
      const { diagnostics } = readRunConfig(base.spec, { [axis.key]: value });
      // A --set mistake, here written in the sweep: shown at its grid, in the grid's words.
      return diagnostics.map((d) => ({
        ...d,
        message: d.span ? d.message : d.message.replace(/ (in|with) --set\b/g, " in the sweep's grid"),
        span: d.span ?? axis.span,
      }));
    }),
  );
  if (diagnostics.length > 0) throw new CompileError(diagnostics, base.sources);
  const seeds = sweep.seeds ?? [base.config.train.seed];
  const points = product(axes.map((a) => a.values.map((value) => [a.key, value] as const)));
  const runs: SweepRun[] = [];
  for (const variant of variants) {
    const spec = staged.get(variant)!.spec;
    for (const point of points) {
      for (const seed of seeds) {
        const overrides: Record<string, Override> = Object.fromEntries(point);
        if (sweep.seeds) overrides['train.seed'] = seed;
        const { config, diagnostics } = readRunConfig(spec, overrides);
        if (!config)
          throw new CompileError(
            diagnostics.map((d) => ({ ...d, span: d.span ?? sweep.span })),
            base.sources,
          );
        const group = [
          variant ?? 'loss',
          ...point.map(([k, v]) => `${k.replace(/^.*\./, '')}=${show(v)}`),
        ].join('-');
        const name = sweep.seeds ? `${group}-seed=${seed}` : group;
        const resolved = {
          experiment: spec.name,
          config,
          model: text(base, spec.model.span),
          loss: text(base, spec.loss.span),
        };
        const hash = createHash('sha256').update(canonical(resolved)).digest('hex').slice(0, 8);
        runs.push({ id: `${safe(name)}-${hash}`, name, variant, overrides, group, seed });
      }
    }
  }
  return {
    experiment: base.spec.name,
    file,
    runs,
    metrics: base.config.eval.metrics,
    select: base.config.eval.select,
  };
}

/** A grid value as a `--set` value (numbers, booleans, strings, names, lists of numbers). */
function toOverride(value: Setting, path: string, base: StagedExperiment, span: Span): Override {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return base.spec.symbols?.has(path) ? { symbol: value } : value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  throw new CompileError([createDiagnostic('SEG5069', span)], base.sources);
}

function product<T>(lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((x) => [...prefix, x])), [[]]);
}

function show(value: Override): string {
  if (typeof value === 'object' && !Array.isArray(value)) return value.symbol;
  if (Array.isArray(value)) return value.join('x');
  return String(value);
}

/** A name usable as a folder on every file system. */
function safe(name: string): string {
  return name.replace(/[^\w.=+-]/g, '_');
}

function text(staged: StagedExperiment, span: Span): string {
  return staged.sources.get(span.file)?.slice(span.start, span.end) ?? '';
}

/** JSON with sorted keys, so equal configurations hash equally. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
