// Turns an experiment's settings into checked run options; an unknown or ill-typed key is a diagnostic that lists
// the valid keys.
import type { Diagnostic, Span } from '../../compiler/diagnostics/index.ts';
import { createDiagnostic, suggest } from '../../compiler/diagnostics/index.ts';
import type { ConfigCall, ExperimentSpec, ParamStep, Setting } from '../../compiler/stage/index.ts';
import { asCall } from '../../compiler/stage/index.ts';

export interface RunConfig {
  data: { name: 'shapes'; size: [number, number]; classes: number; foreground: number; train: number; val: number; seed: number };
  optimizer: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };
  schedule: { name: 'constant' } | { name: 'cosine'; min: number };
  train: { epochs: number; batch: number; seed: number };
  eval: { every: number; metrics: string[]; select: string };
  /** Starting values of the params. */
  params: Record<string, number>;
  /** Params that follow a step schedule (`step(...)`), by name. */
  paramSchedules: Record<string, ParamStep>;
}

export const METRICS = ['dice', 'miou', 'proportion_error'];

/** Reads the options of one section or call, reporting each bad one where it is written. */
class Reader {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly span: Span | undefined,
    /** Spans of the keys inside a section, for pointing at the key itself. */
    readonly keySpan: (key: string) => Span | undefined = () => undefined,
    /** Keys given with `--set` rather than in the file. */
    readonly fromCommandLine: Set<string> = new Set(),
    /** Spans of values by path inside the section (`epochs`, `metrics.1`), for pointing at the value itself. */
    readonly valueSpan: (path: string) => Span | undefined = () => undefined,
  ) {}

  /** Checks that every given key is known, then reads typed values with defaults. */
  keys(what: string, given: Record<string, Setting>, known: string[]): void {
    for (const key of Object.keys(given)) {
      if (!known.includes(key)) {
        const valid = known.map((k) => `'${k}'`).join(', ');
        if (this.fromCommandLine.has(key)) {
          const message = `Unknown option '${key}' for ${what} in --set; valid options are ${valid}.`;
          this.diagnostics.push(createDiagnostic('SEG5001', undefined, message));
        } else {
          const message = `Unknown option '${key}' for ${what}; valid options are ${valid}.`;
          const diagnostic = createDiagnostic('SEG5001', this.keySpan(key) ?? this.span, message);
          this.diagnostics.push({ ...diagnostic, hint: suggest(key, known) });
        }
      }
    }
  }

  /** The option `key` as a number passing `check`, else `fallback`; a bad value is reported at the value. */
  number(key: string, value: Setting | undefined, fallback: number, check: (v: number) => boolean = () => true): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !check(value)) {
      const where = this.fromCommandLine.has(key) ? ' in --set' : '';
      this.error(`Option '${key}' has an invalid value ${JSON.stringify(value)}${where}.`, key);
      return fallback;
    }
    return value;
  }

  /** Reports at the value at `path` (in the file), else at the section or call. */
  error(message: string, path?: string): void {
    const key = path?.split('.')[0];
    const span = key !== undefined && this.fromCommandLine.has(key) ? undefined : (path && this.valueSpan(path)) || this.span;
    this.diagnostics.push(createDiagnostic('SEG5001', span, message));
  }
}

const positive = (v: number) => v > 0;
const positiveInt = (v: number) => Number.isInteger(v) && v > 0;

function readData(call: ConfigCall, r: Reader): RunConfig['data'] {
  // Another dataset's options are not checked against those of 'shapes'.
  const o = call.name === 'shapes' ? call.options : {};
  if (call.name !== 'shapes') {
    r.error(`Dataset '${call.name}' is not available yet; this version reads 'shapes'.`);
  }
  r.keys("'shapes'", o, ['size', 'classes', 'foreground', 'train', 'val', 'seed']);
  const size = Array.isArray(o.size) && o.size.length === 2 && o.size.every((v) => typeof v === 'number') ? (o.size as [number, number]) : [64, 64] as [number, number];
  if (o.size !== undefined && size !== o.size) r.error("Option 'size' of 'shapes' must be [height, width].", 'size');
  return {
    name: 'shapes',
    size,
    classes: r.number('classes', o.classes, 3, (v) => Number.isInteger(v) && v >= 2 && v <= 8),
    foreground: r.number('foreground', o.foreground, 0.1, (v) => v > 0 && v <= 0.5),
    train: r.number('train', o.train, 256, positiveInt),
    val: r.number('val', o.val, 64, positiveInt),
    seed: r.number('seed', o.seed, 0, Number.isInteger),
  };
}

/** Where `--set section.key=value` lands in the experiment's settings. */
function sectionOptions(spec: ExperimentSpec, section: string): Record<string, Setting> | undefined {
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
export function readRunConfig(spec: ExperimentSpec, overrides: Record<string, number> = {}): { config?: RunConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const paramOverrides: Record<string, number> = {};
  const setKeys = new Set(Object.keys(overrides));
  spec = { ...spec, train: { ...spec.train }, eval: { ...spec.eval }, data: { ...spec.data, options: { ...spec.data.options } } };
  spec.optimizer = { ...spec.optimizer, options: { ...spec.optimizer.options } };
  if (spec.schedule) spec.schedule = { ...spec.schedule, options: { ...spec.schedule.options } };
  for (const [key, value] of Object.entries(overrides)) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      paramOverrides[key] = value;
      continue;
    }
    const options = sectionOptions(spec, key.slice(0, dot));
    if (!options) {
      const message = `Cannot set '${key}': sections are train, eval, data, optimizer and schedule (when the experiment has one).`;
      diagnostics.push(createDiagnostic('SEG5001', undefined, message));
      continue;
    }
    options[key.slice(dot + 1)] = value;
  }
  overrides = paramOverrides;
  const fromSet = (section: string) =>
    new Set([...setKeys].filter((k) => k.startsWith(`${section}.`)).map((k) => k.slice(section.length + 1)));
  const r = (key: string) =>
    new Reader(diagnostics, spec.spans[key], (inner) => spec.spans[`${key}.${inner}`], fromSet(key), (path) => spec.values[`${key}.${path}`]);
  const data = readData(spec.data, r('data'));
  const optimizer = spec.optimizer;
  const opt = r('optimizer');
  if (optimizer.name !== 'adam') opt.error(`Optimizer '${optimizer.name}' is not available yet; this version has 'adam'.`);
  const o = optimizer.name === 'adam' ? optimizer.options : {};
  opt.keys("'adam'", o, ['lr', 'beta1', 'beta2', 'eps', 'weight_decay']);
  const schedule = spec.schedule;
  const sched = r('schedule');
  let scheduleConfig: RunConfig['schedule'] = { name: 'constant' };
  if (schedule) {
    if (schedule.name === 'cosine') {
      sched.keys("'cosine'", schedule.options, ['min']);
      scheduleConfig = { name: 'cosine', min: sched.number('min', schedule.options.min, 0, (v) => v >= 0) };
    } else if (schedule.name !== 'constant') {
      sched.error(`Schedule '${schedule.name}' is not available yet; this version has 'cosine' and 'constant'.`);
    }
  }
  const train = r('train');
  train.keys("'train'", spec.train, ['epochs', 'batch', 'seed']);
  const evaluation = r('eval');
  evaluation.keys("'eval'", spec.eval, ['every', 'metrics', 'select']);
  const metrics = (Array.isArray(spec.eval.metrics) ? spec.eval.metrics : METRICS).map((m) => asCall(m)?.name ?? String(m));
  metrics.forEach((m, i) => {
    if (!METRICS.includes(m)) evaluation.error(`Unknown metric '${m}'; valid metrics are ${METRICS.join(', ')}.`, `metrics.${i}`);
  });
  const select = asCall(spec.eval.select)?.name ?? metrics[0] ?? 'dice';
  if (!METRICS.includes(select)) evaluation.error(`Cannot select on '${select}'; valid metrics are ${METRICS.join(', ')}.`, 'select');
  const params = Object.fromEntries(spec.params.map((p) => [p.name, p.value]));
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in params)) {
      diagnostics.push(createDiagnostic('SEG5001', undefined, `Unknown param '${key}'; params are ${Object.keys(params).join(', ') || 'none'}.`));
    }
    params[key] = value;
  }
  const config: RunConfig = {
    data,
    optimizer: {
      lr: opt.number('lr', o.lr, 1e-3, positive),
      beta1: opt.number('beta1', o.beta1, 0.9, (v) => v >= 0 && v < 1),
      beta2: opt.number('beta2', o.beta2, 0.999, (v) => v >= 0 && v < 1),
      eps: opt.number('eps', o.eps, 1e-8, positive),
      weightDecay: opt.number('weight_decay', o.weight_decay, 0, (v) => v >= 0),
    },
    schedule: scheduleConfig,
    train: {
      epochs: train.number('epochs', spec.train.epochs, 10, positiveInt),
      batch: train.number('batch', spec.train.batch, 8, positiveInt),
      seed: train.number('seed', spec.train.seed, 0, Number.isInteger),
    },
    eval: { every: evaluation.number('every', spec.eval.every, 1, positiveInt), metrics, select },
    params,
    paramSchedules: Object.fromEntries(spec.params.filter((p) => p.schedule).map((p) => [p.name, p.schedule!])),
  };
  // In the order they are written (--set mistakes, which have no place in the file, first).
  diagnostics.sort((a, b) => (a.span?.start ?? -1) - (b.span?.start ?? -1));
  return diagnostics.length > 0 ? { diagnostics } : { config, diagnostics };
}

/** Learning rate of epoch `epoch` (0-based): torch CosineAnnealingLR(T_max = epochs) stepped per epoch. */
export function learningRate(config: RunConfig, epoch: number): number {
  const base = config.optimizer.lr;
  if (config.schedule.name === 'constant') return base;
  const min = config.schedule.min;
  return min + ((base - min) * (1 + Math.cos((Math.PI * epoch) / config.train.epochs))) / 2;
}

/**
 * Param values after epoch `epoch` (0-based) ends: each scheduled param is multiplied by its factor when
 * (epoch + 1) is a multiple of `every`, capped at `max` (UPSTREAM.md §1.6, `CompoundLoss.adjust_alpha`).
 */
export function stepParams(config: RunConfig, params: Record<string, number>, epoch: number): Record<string, number> {
  const next = { ...params };
  for (const [name, { every, factor, max }] of Object.entries(config.paramSchedules)) {
    if ((epoch + 1) % every === 0) next[name] = Math.min(next[name] * factor, max);
  }
  return next;
}
