// Experiment settings as plain values (numbers, strings, symbols, lists, configuration calls), with the span
// of every key and value by path (`train.epochs`, `data.classes`, `eval.metrics.1`) so a bad value is shown
// where it is written.
import type { Definition, Expression, Span } from '../../grammar/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';
import { createDiagnostic, quote } from '../../diagnostics/index.ts';
import { builtins } from './builtins.ts';
import { collectArguments } from './calls.ts';
import type { ConfigCall, ParamStep, Setting } from '../config/index.ts';
import { CONSTRUCTORS } from '../config/index.ts';
import type { Env, Stager } from './stager.ts';
import type { Value } from './values.ts';
import { StageError, describeValue, fail } from './values.ts';

export type { ConfigCall, ParamStep, Setting } from '../config/index.ts';
export { asCall } from '../config/index.ts';

/**
 * Where settings are written, by path: `keys` the key of a section's setting or a call's option
 * (`train.epochs`, `optimizer.lr`), `values` each value (`train.epochs`, `data.size`, `eval.metrics.1` for an
 * item of a list).
 */
export interface SettingSpans {
  keys: Record<string, Span>;
  values: Record<string, Span>;
  /** Paths of values written as names (`dice`, `val.loss`), not as string literals (`"dice"`). */
  symbols?: Set<string>;
}

/** Where a value computed by a setting fn was written (its body), for spans inside it. */
export type Origins = WeakMap<object, Expression>;

/**
 * A setting's value. Like any expression, except that a call of a catalogue constructor (`hflip(0.5)`,
 * `adam(...)`) or of an unknown name is a configuration object (even where a built-in has the name, as
 * `resize`), an unknown name is a symbol, and a zero-parameter `fn` named (or called with no arguments) is
 * its body evaluated the same way: a *setting fn*, the way a module names a value
 * (`train augment = retinal_train`, `normalize(imagenet)`).
 */
export function evaluateSetting(
  s: Stager,
  e: Expression,
  env: Env,
  origins: Origins,
  expanding: string[] = [],
): Value {
  const evaluate = (x: Expression) => evaluateSetting(s, x, env, origins, expanding);
  switch (e.kind) {
    case 'list':
      return { kind: 'list', items: e.elements.map(evaluate) };
    case 'name': {
      const fn = settingFn(e.name, env);
      return fn ? expand(s, e.name, fn, e.span, origins, expanding) : s.evaluate(e, env);
    }
    case 'call': {
      const name = e.callee.name;
      if (e.axes?.length) return s.evaluate(e, env);
      const fn = settingFn(name, env);
      if (fn && e.args.length === 0) return expand(s, name, fn, e.span, origins, expanding);
      const defined = env.vars.has(name) || env.scope.definitions.has(name);
      if (defined || (builtins.has(name) && !CONSTRUCTORS.has(name))) return s.evaluate(e, env);
      const call = collectArguments(e.args, evaluate);
      const options = Object.fromEntries([...call.named].map(([k, v]) => [k, v.value]));
      return { kind: 'config', name, args: call.positional, options, span: e.span };
    }
    default:
      return s.evaluate(e, env);
  }
}

type Defined = { def: Definition; scope: Env['scope'] };

/** The zero-parameter `fn` a name denotes in a setting, if it does. */
function settingFn(name: string, env: Env): Defined | undefined {
  if (env.vars.has(name)) return undefined;
  const found = env.scope.definitions.get(name);
  return found && found.def.defKind === 'fn' && found.def.params.length === 0 ? found : undefined;
}

function expand(
  s: Stager,
  name: string,
  fn: Defined,
  span: Span,
  origins: Origins,
  expanding: string[],
): Value {
  if (expanding.includes(name)) fail('SEG4003', span, `'${name}'`);
  const env: Env = { vars: new Map(), scope: fn.scope, allowSymbols: true };
  const inner = [...expanding, name];
  const body = fn.def.expression;
  const value = body ? evaluateSetting(s, body, env, origins, inner) : s.execute(fn.def.body ?? [], env);
  if (!value) return fail('SEG4030', fn.def.name.span, quote(name));
  if (body && typeof value === 'object') origins.set(value, body);
  return value;
}

/**
 * A staged setting value as a plain Setting; `expression` is what it was written as, `path` where it sits.
 */
export function toSetting(
  value: Value,
  expression: Expression,
  path: string,
  spans: SettingSpans,
  origins?: Origins,
): Setting {
  spans.values[path] = expression.span;
  // A value from a setting fn: its parts are shown where the fn's body writes them.
  expression = origins?.get(value) ?? expression;
  switch (value.kind) {
    case 'number':
    case 'bool':
    case 'string':
      return value.value;
    case 'symbol':
      (spans.symbols ??= new Set()).add(path);
      return value.name;
    case 'list': {
      const written =
        expression.kind === 'list' && expression.elements.length === value.items.length
          ? expression.elements
          : undefined;
      return value.items.map((item, i) =>
        toSetting(item, written?.[i] ?? expression, `${path}.${i}`, spans, origins),
      );
    }
    case 'config': {
      const args = expression.kind === 'call' ? expression.args : [];
      const positional = args.filter((a) => !a.name);
      const options: Record<string, Setting> = Object.create(null);
      for (const [key, option] of Object.entries(value.options)) {
        const arg = args.find((a) => a.name?.name === key);
        if (arg?.name) spans.keys[`${path}.${key}`] = arg.name.span;
        options[key] = toSetting(option, arg?.value ?? expression, `${path}.${key}`, spans, origins);
      }
      const items = value.args.map((a, i) =>
        toSetting(a, positional[i]?.value ?? expression, `${path}.${i}`, spans, origins),
      );
      return { name: value.name, args: items, options, span: value.span };
    }
    default:
      throw new StageError(createDiagnostic('SEG5028', expression.span, describeValue(value)));
  }
}

/**
 * `step(start, every = k, factor = f, max = m)`: a param multiplied by f after every k epochs, capped at m.
 */
export function readStep(
  call: Extract<Value, { kind: 'config' }>,
  span: Span,
): { value: number; schedule: ParamStep } {
  const bad = (code: MessageCode, ...args: Array<string | number>): never => {
    throw new StageError(createDiagnostic(code, span, ...args));
  };
  const known = ['every', 'factor', 'max'];
  for (const key of Object.keys(call.options)) {
    if (!known.includes(key)) bad('SEG5002', quote(key), "'step'", known.map(quote).join(', '));
  }
  const number = (v: Value | undefined, what: string, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (v?.kind !== 'number') return bad('SEG5029', what);
    return v.value;
  };
  if (call.args.length !== 1) bad('SEG5030');
  const value = number(call.args[0], 'the starting value');
  const every = number(call.options.every, "'every'");
  const factor = number(call.options.factor, "'factor'");
  // Upstream's cap (CompoundLoss max_alpha) is 100 and not configurable there.
  const max = number(call.options.max, "'max'", 100);
  if (!Number.isInteger(every) || every < 1)
    bad('SEG5004', "'every' of 'step'", 'a whole number of epochs >= 1', every);
  if (!(factor > 0)) bad('SEG5004', "'factor' of 'step'", 'positive', factor);
  return { value, schedule: { every, factor, max } };
}
