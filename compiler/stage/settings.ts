// Experiment settings as plain values (numbers, strings, symbols, lists, configuration calls), with the span of every
// key and value by path (`train.epochs`, `data.classes`, `eval.metrics.1`) so a bad value is shown where it is written.
import type { Expression, Span } from '../../grammar/index.ts';
import { createDiagnostic } from '../diagnostics/index.ts';
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

export interface ParamStep {
  every: number;
  factor: number;
  max: number;
}

/**
 * Where settings are written, by path: `keys` the key of a section's setting or a call's option (`train.epochs`,
 * `optimizer.lr`), `values` each value (`train.epochs`, `data.size`, `eval.metrics.1` for an item of a list).
 */
export interface SettingSpans {
  keys: Record<string, Span>;
  values: Record<string, Span>;
}

/** A staged setting value as a plain Setting; `expression` is what it was written as, `path` where it sits. */
export function toSetting(value: Value, expression: Expression, path: string, spans: SettingSpans): Setting {
  spans.values[path] = expression.span;
  switch (value.kind) {
    case 'number':
    case 'bool':
    case 'string':
      return value.value;
    case 'symbol':
      return value.name;
    case 'list': {
      const written = expression.kind === 'list' && expression.elements.length === value.items.length ? expression.elements : undefined;
      return value.items.map((item, i) => toSetting(item, written?.[i] ?? expression, `${path}.${i}`, spans));
    }
    case 'config': {
      const args = expression.kind === 'call' ? expression.args : [];
      const positional = args.filter((a) => !a.name);
      const options: Record<string, Setting> = {};
      for (const [key, option] of Object.entries(value.options)) {
        const arg = args.find((a) => a.name?.name === key);
        if (arg?.name) spans.keys[`${path}.${key}`] = arg.name.span;
        options[key] = toSetting(option, arg?.value ?? expression, `${path}.${key}`, spans);
      }
      const items = value.args.map((a, i) => toSetting(a, positional[i]?.value ?? expression, `${path}.${i}`, spans));
      return { name: value.name, args: items, options, span: value.span };
    }
    default:
      throw new StageError(createDiagnostic('SEG5001', expression.span, `A setting cannot be ${describeValue(value)}.`));
  }
}

export function asCall(setting: Setting | undefined): ConfigCall | undefined {
  if (setting === undefined) return undefined;
  if (typeof setting === 'string') return { name: setting, args: [], options: {} };
  if (typeof setting === 'object' && !Array.isArray(setting)) return setting;
  return undefined;
}

/** `step(start, every = k, factor = f, max = m)`: a param multiplied by f after every k epochs, capped at m. */
export function readStep(call: Extract<Value, { kind: 'config' }>, span: Span): { value: number; schedule: ParamStep } {
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
