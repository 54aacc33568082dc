// Turns an experiment's settings into run options: checked against the catalogue (compiler/config/index.ts:
// an unknown or ill-typed key is a diagnostic that lists the valid keys), then against what this version can
// run.
import type { Diagnostic, MessageCode, Span } from '../../diagnostics/index.ts';
import { createDiagnostic, quote, suggest } from '../../diagnostics/index.ts';
import type { Family } from './index.ts';
import {
  EVAL_KEYS,
  TRAIN_KEYS,
  callOptions,
  checkSettings,
  declaredShape,
  entries,
  findEntry,
} from './index.ts';
import type { CheckedSettings } from './check.ts';
import type { ConfigCall, ParamStep, Setting } from './types.ts';
import { asCall } from './types.ts';
import type { OptimizerConfig, ScheduleSpec } from './optimizer.ts';
import { readOptimizer, readSchedule } from './optimizer.ts';
import { EVAL_TRANSFORMS, RUNNABLE_TRANSFORMS } from './data.ts';
import type { Normalization } from './normalize.ts';
import { finalNormalization, normalizationOf } from './normalize.ts';
import { isVolumeData, modelClasses, volumePipelineProblems } from './volume.ts';

/**
 * What the run configuration is derived from: an experiment's settings as staging read them (an
 * ExperimentSpec), with its params and the model's options as written.
 */
export interface RunSettings extends CheckedSettings {
  params: { name: string; value: number; schedule?: ParamStep }[];
  model: { args: { name?: { name: string }; value: { kind: string; value?: unknown; span: Span } }[] };
  symbols?: Set<string>;
}

export interface RunConfig {
  data: {
    /** The catalogue's dataset name (runtime/data/registry.ts reads it). */
    name: string;
    /** The plan's [H, W] and classes, as the dataset declares them (compiler/config/data.ts). */
    size: [number, number];
    classes: number;
    /** Labels are multilabel masks [N, C, H, W] (one 0/1 plane per class), not class indices. */
    multilabel: boolean;
    /** Every option of the dataset, defaults filled in. */
    options: Record<string, Setting>;
    /** The per-channel normalisation ending `train augment`, if any (else x / 255, mean 0.5, std 0.25). */
    normalize?: Normalization;
    /** shapes' generator options (0 for other datasets). */
    foreground: number;
    train: number;
    val: number;
    seed: number;
  };
  /** The optimizer with its groups, frozen weights, clipping and accumulation (optimizer.ts). */
  optimizer: OptimizerConfig;
  /** The lr schedule; constant when none is written. */
  schedule: ScheduleSpec;
  train: { epochs: number; batch: number; seed: number };
  eval: {
    every: number;
    metrics: string[];
    select: string;
    /** Each metric's options (`dice_per_image(threshold = 0.5)`), defaults filled in. */
    options: Record<string, Record<string, Setting>>;
  };
  /** The `test` section: the split `segc test` and testing after training use, and what else it computes. */
  test: {
    split: string;
    afterTraining: boolean;
    savePredictions: boolean;
    metrics: string[];
    options: Record<string, Record<string, Setting>>;
  };
  /** Starting values of the params. */
  params: Record<string, number>;
  /** Params that follow a step schedule (`step(...)`), by name. */
  paramSchedules: Record<string, ParamStep>;
}

/**
 * The metrics this version computes: those whose catalogue entry names the sums they read (runtime/metrics/
 * registry.ts implements each).
 */
export const METRICS = entries('metric')
  .filter((e) => e.sums)
  .map((e) => e.name);

/** Each metric call's options by metric name, defaults filled in. */
function metricOptions(calls: Setting[]): Record<string, Record<string, Setting>> {
  const options: Record<string, Record<string, Setting>> = {};
  for (const m of calls) {
    const call = asCall(m);
    const entry = call && findEntry('metric', call.name);
    if (call && entry) options[call.name] = callOptions(entry, call);
  }
  return options;
}

const FAMILIES: Record<string, Family> = { data: 'dataset', optimizer: 'optimizer', schedule: 'schedule' };

/**
 * Before a `--set` lands in a call (`adam(1e-2)`), its positional arguments become named ones (`lr = 1e-2`),
 * so the command line replaces an option the file gives by position instead of clashing with it.
 */
function namePositional(spec: RunSettings, section: string): void {
  const key = section as 'data' | 'optimizer' | 'schedule';
  const call = FAMILIES[section] ? spec[key] : undefined;
  const entry = call && findEntry(FAMILIES[section], call.name);
  if (!call || !entry || call.args.length === 0 || call.args.length > entry.params.length) return;
  const options = { ...call.options };
  call.args.forEach((value, i) => {
    if (!(entry.params[i].name in options)) options[entry.params[i].name] = value;
  });
  spec[key] = { ...call, args: [], options };
}

function describeOverride(value: Override): string {
  return typeof value === 'object' && !Array.isArray(value)
    ? `the name '${value.symbol}'`
    : JSON.stringify(value);
}

/** `section.key` of every option `--set` reaches in this experiment: train.epochs, optimizer.lr, ... */
function sectionKeys(spec: RunSettings): string[] {
  const keys = [...TRAIN_KEYS.map((k) => `train.${k.name}`), ...EVAL_KEYS.map((k) => `eval.${k.name}`)];
  for (const section of ['data', 'optimizer', 'schedule'] as const) {
    const call = spec[section];
    const entry = call && findEntry(FAMILIES[section], call.name);
    for (const p of entry?.params ?? []) keys.push(`${section}.${p.name}`);
  }
  return keys;
}

/**
 * A `--set lr=3e-3` meant a section's option: the hint names it (`optimizer.lr`), also for a near miss
 * (`--set epoch=3`: `train.epochs`).
 */
function sectionKeyHint(spec: RunSettings, key: string): string | undefined {
  const keys = sectionKeys(spec);
  const option = (path: string) => path.slice(path.indexOf('.') + 1);
  const exact = keys.find((path) => option(path) === key);
  if (exact) return `Did you mean '${exact}'? '${key}' is an option of ${exact.split('.')[0]}, not a param.`;
  const near = suggest(key, keys.map(option));
  const path = near && keys.find((p) => near.includes(`'${option(p)}'`));
  return path ? `Did you mean '${path}'?` : undefined;
}

/** Where `--set section.key=value` lands in the experiment's settings. */
function sectionOptions(spec: RunSettings, section: string): Record<string, Setting> | undefined {
  switch (section) {
    case 'train':
      return spec.train;
    case 'eval':
      return spec.eval;
    case 'data':
      return spec.data.options;
    case 'optimizer':
      return spec.optimizer.options;
    case 'schedule':
      return spec.schedule?.options;
    default:
      return undefined;
  }
}

/**
 * Checked run options from the experiment and `--set` overrides: `name=value` for a `param`,
 * `section.key=value` for a setting (train, eval, data, optimizer, schedule), checked like the file's own.
 */
/**
 * A `--set` value: a number, true/false, a quoted string (`"data/x"`), or a name (`iteration`, `miou`), which
 * a setting reads as a symbol like a name written in the file.
 */
/** The sections of an experiment `--set section.key=value` reaches. */
const SECTIONS = ['train', 'eval', 'data', 'optimizer', 'schedule'];

export type Override = number | boolean | string | number[] | { symbol: string };

/** Parses the text after `key=` in `--set key=value`. */
export function parseOverride(text: string): Override {
  if (/^(true|false)$/.test(text)) return text === 'true';
  if (/^".*"$/s.test(text)) return text.slice(1, -1);
  // Decimal numbers only (Number() would also take 0x10 and 0b1).
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && Number.isFinite(Number(text)))
    return Number(text);
  if (/^[A-Za-z_][\w.]*$/.test(text)) return { symbol: text };
  // A list of numbers: `[64, 64]`.
  const list = /^\[(.*)\]$/s.exec(text);
  if (list) {
    const items = list[1].trim() === '' ? [] : list[1].split(',').map((item) => parseOverride(item.trim()));
    if (items.every((item) => typeof item === 'number')) return items as number[];
  }
  return text;
}

export function readRunConfig(
  spec: RunSettings,
  overrides: Record<string, Override> = {},
): { config?: RunConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const paramOverrides: Record<string, number> = {};
  const commandLine = new Set<string>();
  const symbols = new Set(spec.symbols ?? []);
  spec = {
    ...spec,
    symbols,
    train: { ...spec.train },
    eval: { ...spec.eval },
    data: { ...spec.data, options: { ...spec.data.options } },
  };
  spec.optimizer = { ...spec.optimizer, options: { ...spec.optimizer.options } };
  if (spec.schedule) spec.schedule = { ...spec.schedule, options: { ...spec.schedule.options } };
  for (const [key, value] of Object.entries(overrides)) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      if (typeof value === 'number') paramOverrides[key] = value;
      else if (SECTIONS.includes(key)) {
        diagnostics.push(createDiagnostic('SEG5040', undefined, quote(key), key));
      } else diagnostics.push(createDiagnostic('SEG5041', undefined, quote(key), describeOverride(value)));
      continue;
    }
    namePositional(spec, key.slice(0, dot));
    const options = sectionOptions(spec, key.slice(0, dot));
    if (!options) {
      diagnostics.push(createDiagnostic('SEG5042', undefined, quote(key)));
      continue;
    }
    if (typeof value === 'object' && !Array.isArray(value)) {
      options[key.slice(dot + 1)] = value.symbol;
      symbols.add(key);
    } else {
      options[key.slice(dot + 1)] = value;
    }
    commandLine.add(key);
  }
  // Every setting against the catalogue (what `segc check` checks), then what this version can run.
  diagnostics.push(...checkSettings(spec, commandLine));
  const params = Object.fromEntries(spec.params.map((p) => [p.name, p.value]));
  for (const [key, value] of Object.entries(paramOverrides)) {
    if (!(key in params)) {
      const names = Object.keys(params).join(', ') || 'none';
      const diagnostic = createDiagnostic('SEG5043', undefined, quote(key), names);
      const declare = `Declare it in the experiment ('param ${key} = ...') to set it from the command line.`;
      diagnostics.push({
        ...diagnostic,
        hint: sectionKeyHint(spec, key) ?? suggest(key, Object.keys(params)) ?? declare,
      });
    }
    params[key] = value;
  }
  if (diagnostics.length === 0) diagnostics.push(...unavailable(spec));
  // In the order they are written (--set mistakes, which have no place in the file, first).
  diagnostics.sort((a, b) => (a.span?.start ?? -1) - (b.span?.start ?? -1));
  if (diagnostics.length > 0) return { diagnostics };

  const option = (family: Family, call: ConfigCall) => {
    const options = callOptions(findEntry(family, call.name)!, call);
    return <T>(key: string) => options[key] as T;
  };
  const data = option('dataset', spec.data);
  const declared = declaredShape(spec.data)!;
  const section =
    (given: Record<string, Setting>, keys: typeof TRAIN_KEYS) =>
    <T>(key: string) =>
      (given[key] ?? keys.find((k) => k.name === key)?.default) as T;
  const train = section(spec.train, TRAIN_KEYS);
  const evaluation = section(spec.eval, EVAL_KEYS);
  const metricCalls = evaluation<Setting[]>('metrics');
  const metrics = metricCalls.map((m) => asCall(m)?.name ?? String(m));
  const testSection = spec.test ?? {};
  const testCalls = Array.isArray(testSection.metrics) ? (testSection.metrics as Setting[]) : metricCalls;
  const config: RunConfig = {
    data: {
      name: spec.data.name,
      size: declared.size as [number, number],
      classes: declared.classes ?? modelClasses(spec) ?? 2,
      multilabel: declared.multilabel ?? false,
      options: callOptions(findEntry('dataset', spec.data.name)!, spec.data),
      normalize: finalNormalization(spec.blocks?.data?.['train augment']),
      foreground: data('foreground') ?? 0,
      train: data('train') ?? 0,
      val: data('val') ?? 0,
      seed: data('seed') ?? 0,
    },
    optimizer: readOptimizer(spec),
    schedule: readSchedule(spec),
    train: { epochs: train('epochs'), batch: train('batch'), seed: train('seed') },
    eval: {
      every: evaluation('every'),
      metrics,
      select: asCall(spec.eval.select)?.name ?? metrics[0] ?? 'dice',
      options: metricOptions(metricCalls),
    },
    test: {
      split: asCall(testSection.split)?.name ?? 'test',
      afterTraining: testSection.after_training === true,
      savePredictions: testSection.save_predictions === true,
      metrics: testCalls.map((m) => asCall(m)?.name ?? String(m)),
      options: metricOptions(testCalls),
    },
    params,
    paramSchedules: Object.fromEntries(
      spec.params.filter((p) => p.schedule).map((p) => [p.name, p.schedule!]),
    ),
  };
  return { config, diagnostics };
}

/**
 * What the catalogue declares but this version cannot run yet, each reported where it is written: datasets
 * other than 'shapes', augmentation, other metrics, an evaluation batch other than the training one,
 * and
 * pretrained weights. `segc check` accepts all of these; `segc run` (and graph, wgsl, plan) refuse them
 * before touching the GPU.
 */
/**
 * The datasets runs train on: every catalogue dataset not marked declared only (runtime/data/registry.ts has
 * a reader for each).
 */
export const RUNNABLE_DATASETS = entries('dataset')
  .filter((e) => !e.declaredOnly)
  .map((e) => e.name);

/** Metrics computed on the predicted class map (surface distances), not on the plan's sums. */
const SURFACE_METRICS = entries('metric')
  .filter((e) => e.sums?.includes('prediction'))
  .map((e) => e.name);

export function unavailable(spec: RunSettings): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (span: Span | undefined, code: MessageCode, ...args: string[]) =>
    diagnostics.push(createDiagnostic(code, span, ...args));
  const list = (names: string[]) => names.map(quote).join(', ');
  if (!RUNNABLE_DATASETS.includes(spec.data.name)) {
    report(spec.spans.data, 'SEG5050', quote(spec.data.name), list(RUNNABLE_DATASETS));
  }
  // A volume dataset's pipelines are checked apart (compiler/config/volume.ts).
  const volume = isVolumeData(spec);
  if (volume) diagnostics.push(...volumePipelineProblems(spec));
  for (const [key, pipeline] of Object.entries(volume ? {} : (spec.blocks?.data ?? {}))) {
    if (!Array.isArray(pipeline) || pipeline.length === 0) continue;
    const trained = finalNormalization(spec.blocks?.data?.['train augment']);
    if (key !== 'train augment') {
      // Fixed resampling (resize, longest_max_size, pad_if_needed), then at most the normalize of training.
      const same = (item: Setting) => JSON.stringify(normalizationOf(item)) === JSON.stringify(trained);
      const last = pipeline[pipeline.length - 1];
      const body = normalizationOf(last) === undefined ? pipeline : pipeline.slice(0, -1);
      const fixed = (item: Setting) => EVAL_TRANSFORMS.includes(asCall(item)?.name ?? '');
      if ((body === pipeline || same(last)) && body.every(fixed)) continue;
      report(spec.spans[`data.${key}`], 'SEG5051', quote(key));
      continue;
    }
    const early = pipeline.slice(0, -1).findIndex((item) => normalizationOf(item) !== undefined);
    if (early >= 0) {
      report(spec.values[`data.${key}.${early}`] ?? spec.spans[`data.${key}`], 'SEG5052', quote(key));
    }
    const names = (items: Setting[]): string[] =>
      items.flatMap((item) => {
        const call = asCall(item);
        if (!call) return [];
        const inner =
          call.name === 'one_of'
            ? [call.options.transforms ?? call.args[1]]
            : call.name === 'one_or_other'
              ? [call.options.first ?? call.args[1], call.options.second ?? call.args[2]]
              : [];
        return [
          call.name,
          ...inner.flatMap((i) => (i === undefined ? [] : names(Array.isArray(i) ? i : [i]))),
        ];
      });
    const missing = [...new Set(names(pipeline).filter((n) => !RUNNABLE_TRANSFORMS.includes(n)))];
    if (missing.length > 0) {
      const code = missing.length > 1 ? 'SEG5054' : 'SEG5053';
      report(spec.spans[`data.${key}`], code, list(missing), quote(key), list(RUNNABLE_TRANSFORMS));
    }
  }
  const metrics = Array.isArray(spec.eval.metrics) ? spec.eval.metrics : [];
  const multilabel = declaredShape(spec.data)?.multilabel === true;
  metrics.forEach((m, i) => {
    const name = asCall(m)?.name ?? String(m);
    if (!METRICS.includes(name)) {
      report(spec.values[`eval.metrics.${i}`], 'SEG5055', quote(name), METRICS.join(', '));
    } else if (multilabel && SURFACE_METRICS.includes(name)) {
      report(spec.values[`eval.metrics.${i}`], 'SEG5072', quote(name));
    }
  });
  const tested = Array.isArray(spec.test?.metrics) ? (spec.test.metrics as Setting[]) : [];
  tested.forEach((m, i) => {
    const name = asCall(m)?.name ?? String(m);
    if (multilabel && SURFACE_METRICS.includes(name)) {
      report(spec.values[`test.metrics.${i}`] ?? spec.spans['test.metrics'], 'SEG5072', quote(name));
    }
  });
  const batch = spec.train.batch ?? TRAIN_KEYS.find((k) => k.name === 'batch')!.default;
  if (spec.eval.batch !== undefined && spec.eval.batch !== batch) {
    report(spec.values['eval.batch'], 'SEG5056', String(batch));
  }
  return diagnostics;
}

/**
 * Param values after epoch `epoch` (0-based) ends: each scheduled param is multiplied by its factor when
 * (epoch + 1) is a multiple of `every`, capped at `max` (UPSTREAM.md §1.6, `CompoundLoss.adjust_alpha`).
 */
export function stepParams(
  config: RunConfig,
  params: Record<string, number>,
  epoch: number,
): Record<string, number> {
  const next = { ...params };
  for (const [name, { every, factor, max }] of Object.entries(config.paramSchedules)) {
    if ((epoch + 1) % every === 0) next[name] = Math.min(next[name] * factor, max);
  }
  return next;
}
