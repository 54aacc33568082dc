// Reads an `experiment` block into plain settings, keeping the model call and loss formula for staging. Every
// item is checked (unknown or repeated keys, params that would hide `logits` or `y`) and every error is
// reported.
import type {
  CallExpression,
  Experiment,
  Expression,
  Identifier,
  Setting as SettingItem,
  Span,
} from '../../grammar/index.ts';
import type { Diagnostic, MessageCode } from '../../diagnostics/index.ts';
import { createDiagnostic, quote, suggest } from '../../diagnostics/index.ts';
import type { ModuleScope } from '../resolve/index.ts';
import type { ConfigCall, ParamStep, Setting, SettingSpans } from './settings.ts';
import { asCall, evaluateSetting, readStep, toSetting } from './settings.ts';
import { Stager } from './stager.ts';
import type { SweepSpec } from './sweep.ts';
import { readSweep } from './sweep.ts';
import type { Value } from './values.ts';
import { StageError, describeValue } from './values.ts';

export { asCall, toSetting } from './settings.ts';
export type { ConfigCall, ParamStep, Setting } from './settings.ts';

export interface ParamSpec {
  name: string;
  /** The value at the start of training. */
  value: number;
  span: Span;
  /**
   * `param alpha = step(1.0, every = 10, factor = 5.0, max = 100)`: ×factor after every `every` epochs,
   * capped.
   */
  schedule?: ParamStep;
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
  /** The `test` section (read by no command yet; checked against the catalogue). */
  test?: Record<string, Setting>;
  /** Option blocks by setting: `blocks.data['train augment']` (its paths: `data.train augment.0`). */
  blocks?: Record<string, Record<string, Setting>>;
  /** Paths of values written as names (`dice`, `val.loss`), not string literals. */
  symbols?: Set<string>;
  /**
   * Spans by key: `data` (its value), `train` (the section), and the key of each setting of a section or
   * option of a call: `train.epochs`, `optimizer.lr`.
   */
  spans: Record<string, Span>;
  /** Spans of values by path: `train.epochs`, `data.classes`, `eval.metrics.1` (an item of a list). */
  values: Record<string, Span>;
  /** The `sweep` section: loss variants, grids and seeds (segc sweep runs its product). */
  sweep?: SweepSpec;
  /** The sweep's loss variant this spec trains (its `loss NAME = ...` replaced the experiment's loss). */
  variant?: string;
}

/** The top-level settings and sections of an experiment (`test` is read by no command yet). */
export const SETTINGS = ['data', 'model', 'loss', 'optimizer', 'schedule'];
export const SECTIONS = ['train', 'eval', 'test'];

/** Names an experiment binds for its loss, which a param must not hide. */
const BOUND: Record<string, string> = { y: "the labels 'y'", logits: "the network output 'logits'" };

/**
 * Reads the experiment named `name` (or the only one) of the entry module; with `variant`, the loss is that
 * loss variant of its sweep section.
 */
export function readExperiment(
  scope: ModuleScope,
  name?: string,
  options: { variant?: string } = {},
): { spec?: ExperimentSpec; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const all = scope.module.experiments;
  const experiment = name ? all.find((e) => e.name.name === name) : all[0];
  if (!experiment) {
    diagnostics.push(
      name
        ? createDiagnostic('SEG5020', scope.module.span, quote(name))
        : createDiagnostic('SEG5021', scope.module.span),
    );
    return { diagnostics };
  }
  for (const other of all.slice(1)) {
    diagnostics.push(
      createDiagnostic('SEG5022', other.name.span, quote(other.name.name), quote(all[0].name.name)),
    );
  }
  const read = readItems(scope, experiment, diagnostics);
  if (diagnostics.length > 0 || !read.model || !read.loss) return { diagnostics };
  const { settings, sections, spans } = read;
  // `data`, `optimizer` and `schedule` are catalogue entries: a name or a call.
  for (const key of ['data', 'optimizer', 'schedule']) {
    if (settings[key] !== undefined && !asCall(settings[key])) {
      const example: Record<string, string> = {
        data: 'shapes(size = [64, 64])',
        optimizer: 'adam(lr = 1e-3)',
        schedule: 'cosine(min = 1e-5)',
      };
      diagnostics.push(createDiagnostic('SEG5023', spans.values[key], quote(key), example[key]));
    }
  }
  let loss = read.loss;
  if (options.variant !== undefined) {
    const variants = read.sweep?.variants ?? [];
    const chosen = variants.find((v) => v.name === options.variant);
    if (chosen) loss = chosen.loss;
    else {
      const names = variants.map((v) => quote(v.name)).join(', ');
      const [which, variant] = [quote(experiment.name.name), quote(options.variant)];
      diagnostics.push(
        variants.length > 0
          ? createDiagnostic('SEG5070', experiment.name.span, which, variant, names)
          : createDiagnostic('SEG5071', experiment.name.span, which, variant),
      );
    }
  }
  if (diagnostics.length > 0) return { diagnostics };
  const spec: ExperimentSpec = {
    name: experiment.name.name,
    file: scope.file,
    scope,
    params: read.params,
    data: asCall(settings.data)!,
    model: read.model,
    loss,
    optimizer: asCall(settings.optimizer) ?? { name: 'adam', args: [], options: {} },
    schedule: asCall(settings.schedule),
    train: sections.train,
    eval: sections.eval,
    test: sections.test,
    blocks: read.blocks,
    symbols: spans.symbols ?? new Set(),
    spans: { ...spans.keys, ...read.places },
    values: spans.values,
    sweep: read.sweep,
    variant: options.variant,
  };
  return { spec, diagnostics };
}

function readItems(scope: ModuleScope, experiment: Experiment, diagnostics: Diagnostic[]) {
  const stager = new Stager({ mode: 'eval', classes: 1 });
  const env = { vars: new Map<string, Value>(), scope, allowSymbols: true };
  const params: ParamSpec[] = [];
  // Keyed by names the user wrote: without a prototype, `constructor` or `__proto__` is a key like any other.
  const settings: Record<string, Setting> = Object.create(null);
  const sections: Record<string, Record<string, Setting>> = Object.create(null);
  sections.train = Object.create(null);
  sections.eval = Object.create(null);
  const spans: SettingSpans = { keys: Object.create(null), values: Object.create(null), symbols: new Set() };
  /** Option blocks by setting key. */
  const blocks: Record<string, Record<string, Setting>> = Object.create(null);
  /** Values computed by setting fns, to their bodies (for spans). */
  const origins = new WeakMap<object, Expression>();
  const read = (expression: Expression, path: string): Setting =>
    toSetting(evaluateSetting(stager, expression, env, origins), expression, path, spans, origins);
  /**
   * Where each setting, section and section key is written (`data`, `train`, `train.epochs`), first one only.
   */
  const places: Record<string, Span> = Object.create(null);
  let model: CallExpression | undefined;
  let loss: Expression | undefined;
  let sweep: SweepSpec | undefined;
  const error = (span: Span, hint: string | undefined, code: MessageCode, ...args: Array<string | number>) =>
    diagnostics.push({ ...createDiagnostic(code, span, ...args), hint });
  /** Whether `key` is new; else reports it at `at`. */
  const fresh = (what: string, key: string, at: Identifier, span: Span): boolean => {
    const first = places[key];
    if (first)
      diagnostics.push(
        createDiagnostic(
          'SEG2004',
          at.span,
          `${what} ${quote(key.replace(/^.*\./, ''))}`,
          'given',
          first.line,
        ),
      );
    else places[key] = span;
    return !first;
  };
  /** An option block where none is read: only settings (`data`) take one, and blocks do not nest further. */
  const noBlock = (path: string, key: Identifier, options: SettingItem[], value?: Expression) => {
    if (options.length === 0) return;
    error(key.span, strayOperatorHint(value), 'SEG5024', quote(path.replace(/^.*\./, '')));
  };
  const attempt = (body: () => void) => {
    try {
      body();
    } catch (e) {
      if (!(e instanceof StageError)) throw e;
      diagnostics.push(...e.diagnostics);
    }
  };
  for (const item of experiment.items) {
    if (item.kind === 'param') {
      const name = item.name.name;
      const first = params.find((p) => p.name === name);
      // hasOwn: a param may be named `constructor` or `__proto__`, which every object has.
      if (Object.hasOwn(BOUND, name)) error(item.name.span, undefined, 'SEG5025', quote(name), BOUND[name]);
      else if (first)
        diagnostics.push(
          createDiagnostic('SEG2004', item.name.span, `Param '${name}'`, 'declared', first.span.line),
        );
      else attempt(() => params.push(readParam(stager, item.name.name, item.value, item.span, env)));
    } else if (item.kind === 'section' && item.name.name === 'sweep') {
      if (!fresh('Section', 'sweep', item.name, item.span)) continue;
      const readValue = (expression: Expression, path: string): Setting | undefined => {
        let value: Setting | undefined;
        attempt(() => (value = read(expression, path)));
        return value;
      };
      sweep = readSweep(item, readValue, diagnostics);
    } else if (item.kind === 'section') {
      const section = item.name.name;
      if (!SECTIONS.includes(section)) {
        unknown(
          error,
          'section',
          item.name,
          [...SECTIONS, 'sweep'],
          SETTINGS.includes(section) ? `'${section}' is a setting: write '${section} = ...'.` : undefined,
        );
        continue;
      }
      if (!fresh('Section', section, item.name, item.span)) continue;
      const target = (sections[section] ??= Object.create(null));
      for (const setting of item.settings) {
        const key = setting.key.map((k) => k.name).join(' ');
        if (!fresh('Setting', `${section}.${key}`, setting.key[0], setting.key[0].span)) continue;
        spans.keys[`${section}.${key}`] = setting.key[0].span;
        attempt(() => (target[key] = read(setting.value, `${section}.${key}`)));
        if (setting.options) noBlock(`${section}.${key}`, setting.key[0], setting.options);
      }
    } else {
      const key = item.key.map((k) => k.name).join(' ');
      if (!SETTINGS.includes(key)) {
        unknown(
          error,
          'setting',
          item.key[0],
          SETTINGS,
          SECTIONS.includes(key) ? `'${key}' is a section: write '${key} { ... }'.` : undefined,
        );
        continue;
      }
      if (!fresh('Setting', key, item.key[0], item.value.span)) continue;
      if (key === 'model') {
        model = item.value.kind === 'call' ? item.value : undefined;
        if (!model) error(item.value.span, undefined, 'SEG5026');
      } else if (key === 'loss') {
        loss = item.value;
      } else {
        attempt(() => (settings[key] = read(item.value, key)));
      }
      if (item.options && (key === 'model' || key === 'loss')) {
        noBlock(key, item.key[0], item.options, item.value);
      } else if (item.options) {
        // An option block: `data = retinal_lesions(...) { train augment = [...] }`; the catalogue checks its
        // keys.
        const block = (blocks[key] ??= Object.create(null));
        for (const option of item.options) {
          const name = option.key.map((k) => k.name).join(' ');
          const path = `${key}.${name}`;
          const keySpan = { ...option.key[0].span, end: option.key[option.key.length - 1].span.end };
          if (!fresh('Option', path, option.key[0], keySpan)) continue;
          spans.keys[path] = keySpan;
          attempt(() => (block[name] = read(option.value, path)));
          if (option.options) noBlock(path, option.key[0], option.options);
        }
      }
    }
  }
  const required: Record<string, string> = {
    data: 'a dataset',
    model: 'a network',
    loss: 'the loss formula',
  };
  for (const [key, what] of Object.entries(required)) {
    if (!places[key])
      diagnostics.push(
        createDiagnostic('SEG5027', experiment.name.span, quote(experiment.name.name), quote(key), what),
      );
  }
  return { params, settings, sections, spans, places, model, loss, blocks, sweep };
}

function unknown(
  error: (span: Span, hint: string | undefined, code: MessageCode, ...args: string[]) => void,
  what: string,
  name: Identifier,
  valid: string[],
  instead?: string,
): void {
  const list = valid.map(quote).join(', ');
  // `evaluation` for `eval`: a longer spelling is too far for suggest.
  const prefix = valid.find(
    (v) => name.name.startsWith(v) || (name.name.length >= 3 && v.startsWith(name.name)),
  );
  const hint =
    instead ?? suggest(name.name, valid) ?? (prefix ? `Did you mean ${quote(prefix)}?` : undefined);
  error(name.span, hint, 'SEG5001', what, quote(name.name), `${what}s`, list);
}

function readParam(
  stager: Stager,
  name: string,
  expression: Expression,
  span: Span,
  env: { vars: Map<string, Value>; scope: ModuleScope },
): ParamSpec {
  const value = stager.evaluate(expression, env);
  if (value.kind === 'config' && value.name === 'step')
    return { name, ...readStep(value, expression.span), span };
  if (value.kind !== 'number') {
    const what = 'a number (or step(start, every = k, factor = f, max = m)) for a param';
    throw new StageError(createDiagnostic('SEG3003', expression.span, what, describeValue(value)));
  }
  return { name, value: value.value, span };
}

/**
 * `loss = ce(logits, y) +` followed by `train { ... }`: an operator at the end of a line continues the
 * expression, so the next section was read as its last operand and its block as the loss's option block.
 */
function strayOperatorHint(value: Expression | undefined): string | undefined {
  if (value?.kind !== 'binary' || value.right.kind !== 'name') return undefined;
  if (value.right.span.line === value.operatorSpan.line) return undefined;
  const section = value.right.name;
  const op = value.operator;
  const fix = `remove the '${op}' or finish the expression`;
  return `The line ending in '${op}' continues onto '${section}', read as part of the value; ${fix}.`;
}
