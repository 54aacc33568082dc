// Reads an `experiment` block into plain settings, keeping the model call and loss formula for staging.
import type { CallExpression, Expression, Span } from '../../grammar/index.ts';
import type { Diagnostic } from '../diagnostics/index.ts';
import { createDiagnostic } from '../diagnostics/index.ts';
import type { ModuleScope } from '../resolve/index.ts';
import { Stager } from './stager.ts';
import type { Value } from './values.ts';
import { StageError, describeValue } from './values.ts';

export type Setting = number | string | boolean | Setting[] | ConfigCall;

/** `name(args, key = value)` in a setting: a dataset, optimizer, schedule or metric with options. */
export interface ConfigCall {
  name: string;
  args: Setting[];
  options: Record<string, Setting>;
  span?: Span;
}

export interface ParamSpec {
  name: string;
  /** The value at the start of training. */
  value: number;
  span: Span;
  /** `param alpha = step(1.0, every = 10, factor = 5.0, max = 100)`: ×factor after every `every` epochs, capped. */
  schedule?: ParamStep;
}

export interface ParamStep {
  every: number;
  factor: number;
  max: number;
}

export interface ExperimentSpec {
  name: string;
  file: string;
  scope: ModuleScope;
  params: ParamSpec[];
  data: ConfigCall;
  model: CallExpression;
  loss: Expression;
  optimizer: ConfigCall;
  schedule?: ConfigCall;
  train: Record<string, Setting>;
  eval: Record<string, Setting>;
  /** Spans of settings by key: `data`, `train`, and `train.epochs` for keys inside sections. */
  spans: Record<string, Span>;
}

export function toSetting(value: Value, span: Span): Setting {
  switch (value.kind) {
    case 'number':
    case 'bool':
    case 'string':
      return value.value;
    case 'symbol':
      return value.name;
    case 'list':
      return value.items.map((item) => toSetting(item, span));
    case 'config':
      return {
        name: value.name,
        args: value.args.map((a) => toSetting(a, span)),
        options: Object.fromEntries(Object.entries(value.options).map(([k, v]) => [k, toSetting(v, span)])),
        span: value.span,
      };
    default:
      throw new StageError(createDiagnostic('SEG5001', span, `A setting cannot be ${describeValue(value)}.`));
  }
}

export function asCall(setting: Setting | undefined): ConfigCall | undefined {
  if (setting === undefined) return undefined;
  if (typeof setting === 'string') return { name: setting, args: [], options: {} };
  if (typeof setting === 'object' && !Array.isArray(setting)) return setting;
  return undefined;
}

/** Reads the experiment named `name` (or the only one) of the entry module. */
export function readExperiment(scope: ModuleScope, name?: string): { spec?: ExperimentSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const all = scope.module.experiments;
  const experiment = name ? all.find((e) => e.name.name === name) : all[0];
  if (!experiment) {
    const message = name ? `There is no experiment '${name}' in this file.` : 'This file declares no experiment.';
    diagnostics.push(createDiagnostic('SEG5001', scope.module.span, message));
    return { diagnostics };
  }
  const stager = new Stager({ mode: 'eval', classes: 1 });
  const env = { vars: new Map<string, Value>(), scope, allowSymbols: true };
  const params: ParamSpec[] = [];
  const settings: Record<string, Setting> = {};
  const sections: Record<string, Record<string, Setting>> = { train: {}, eval: {} };
  const spans: Record<string, Span> = {};
  let model: CallExpression | undefined;
  let loss: Expression | undefined;
  for (const item of experiment.items) {
    try {
      if (item.kind === 'param') {
        const value = stager.evaluate(item.value, env);
        if (value.kind === 'config' && value.name === 'step') {
          params.push({ name: item.name.name, ...readStep(value, item.value.span), span: item.span });
        } else if (value.kind !== 'number') {
          const what = 'a number (or step(start, every = k, factor = f, max = m)) for a param';
          throw new StageError(createDiagnostic('SEG3003', item.value.span, what, describeValue(value)));
        } else {
          params.push({ name: item.name.name, value: value.value, span: item.span });
        }
      } else if (item.kind === 'section') {
        const target = (sections[item.name.name] ??= {});
        spans[item.name.name] = item.span;
        for (const setting of item.settings) {
          const key = setting.key.map((k) => k.name).join(' ');
          spans[`${item.name.name}.${key}`] = setting.key[0].span;
          target[key] = toSetting(stager.evaluate(setting.value, env), setting.value.span);
        }
      } else {
        const key = item.key.map((k) => k.name).join(' ');
        spans[key] = item.value.span;
        if (key === 'model') {
          if (item.value.kind !== 'call') {
            throw new StageError(createDiagnostic('SEG5001', item.value.span, "'model' must be a call of a net, as in 'unet(...)'."));
          }
          model = item.value;
        } else if (key === 'loss') {
          loss = item.value;
        } else {
          settings[key] = toSetting(stager.evaluate(item.value, env), item.value.span);
        }
      }
    } catch (error) {
      if (!(error instanceof StageError)) throw error;
      diagnostics.push(error.diagnostic);
    }
  }
  const require = (key: string, what: string) => {
    if (settings[key] === undefined && !(key === 'model' && model) && !(key === 'loss' && loss)) {
      diagnostics.push(createDiagnostic('SEG5001', experiment.name.span, `Experiment '${experiment.name.name}' has no '${key}' (${what}).`));
    }
  };
  require('data', 'a dataset');
  require('model', 'a network');
  require('loss', 'the loss formula');
  if (diagnostics.length > 0) return { diagnostics };
  const spec: ExperimentSpec = {
    name: experiment.name.name,
    file: scope.file,
    scope,
    params,
    data: asCall(settings.data)!,
    model: model!,
    loss: loss!,
    optimizer: asCall(settings.optimizer) ?? { name: 'adam', args: [], options: {} },
    schedule: asCall(settings.schedule),
    train: sections.train,
    eval: sections.eval,
    spans,
  };
  return { spec, diagnostics };
}

/** `step(start, every = k, factor = f, max = m)`: a param multiplied by f after every k epochs, capped at m. */
function readStep(call: Extract<Value, { kind: 'config' }>, span: Span): { value: number; schedule: ParamStep } {
  const bad = (message: string): never => {
    throw new StageError(createDiagnostic('SEG5001', span, message));
  };
  const known = ['every', 'factor', 'max'];
  for (const key of Object.keys(call.options)) {
    if (!known.includes(key)) bad(`Unknown option '${key}' for 'step'; valid options are 'every', 'factor', 'max'.`);
  }
  const number = (v: Value | undefined, what: string, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (v?.kind !== 'number') return bad(`'step' needs a number for ${what}, as in step(1.0, every = 10, factor = 5.0).`);
    return v.value;
  };
  if (call.args.length !== 1) bad("'step' takes the starting value first, as in step(1.0, every = 10, factor = 5.0).");
  const value = number(call.args[0], 'the starting value');
  const every = number(call.options.every, "'every'");
  const factor = number(call.options.factor, "'factor'");
  // Upstream's cap (CompoundLoss max_alpha) is 100 and not configurable there.
  const max = number(call.options.max, "'max'", 100);
  if (!Number.isInteger(every) || every < 1) bad(`'every' of 'step' must be a whole number of epochs >= 1, got ${every}.`);
  if (!(factor > 0)) bad(`'factor' of 'step' must be positive, got ${factor}.`);
  return { value, schedule: { every, factor, max } };
}
