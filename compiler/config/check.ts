// Checks an experiment's settings against the catalogue (checkSettings, SEG5001-SEG5017): entry names,
// options, section keys, value types and ranges; and fills a call's options with the catalogue's defaults
// (callOptions).
import type { Span } from '../../grammar/index.ts';
import type { Diagnostic } from '../../diagnostics/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';
import { InternalError, createDiagnostic, quote, suggest } from '../../diagnostics/index.ts';
import { FAMILY_TEXT, article, describeType, show } from './describe.ts';
import { CATALOGUE, EVAL_KEYS, LIBRARY_NAMES, TEST_KEYS, TRAIN_KEYS, entries, findEntry } from './table.ts';
import type { DeclaredShape, Entry, Family, Param, Type } from './types.ts';
import type { ConfigCall, Setting } from './types.ts';

/** What checkSettings reads: the experiment's settings and where they are written. */
export interface CheckedSettings {
  data: ConfigCall;
  /** Option blocks by setting: `blocks.data['train augment']`. */
  blocks?: Record<string, Record<string, Setting>>;
  optimizer: ConfigCall;
  schedule?: ConfigCall;
  train: Record<string, Setting>;
  eval: Record<string, Setting>;
  test?: Record<string, Setting>;
  /** Spans of keys and settings by path (`train.epochs`, `data`). */
  spans: Record<string, Span>;
  /** Spans of values by path (`train.epochs`, `eval.metrics.1`). */
  values: Record<string, Span>;
  /** Paths of values written as names, not string literals (or a test of a path). */
  symbols?: Set<string> | ((path: string) => boolean);
}

/**
 * Checks every setting against the catalogue: unknown datasets, transforms, optimizers, schedules and
 * metrics, unknown options and section keys (with "Did you mean" and the valid ones), values of the wrong
 * type or out of range, each reported at the value (or the key) as SEG50xx. `fromCommandLine` holds the paths
 * given with `--set` (`train.epochs`), reported without a place.
 */
export function checkSettings(
  settings: CheckedSettings,
  fromCommandLine: Set<string> = new Set(),
): Diagnostic[] {
  return new Checker(settings, fromCommandLine).run();
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly s: CheckedSettings,
    readonly fromCommandLine: Set<string>,
  ) {}

  run(): Diagnostic[] {
    const s = this.s;
    this.call('data', s.data, 'dataset');
    this.call('optimizer', s.optimizer, 'optimizer');
    if (s.schedule) this.call('schedule', s.schedule, 'schedule');
    const blocks = s.blocks ?? {};
    for (const [key, block] of Object.entries(blocks)) {
      const owner =
        key === 'data'
          ? findEntry('dataset', s.data.name)
          : key === 'optimizer'
            ? findEntry('optimizer', s.optimizer.name)
            : undefined;
      if (key !== 'data' && key !== 'optimizer') {
        const first = Object.keys(block)[0];
        this.report('SEG5014', [quote(key)], `${key}.${first}`, true);
      } else if (owner) {
        this.options(`the option block of '${owner.name}'`, key, block, owner.block ?? [], false);
      }
    }
    this.section('train', s.train, TRAIN_KEYS);
    this.section('eval', s.eval, EVAL_KEYS);
    if (s.test) this.section('test', s.test, TEST_KEYS);
    this.select();
    // In the order they are written (--set mistakes, which have no place in the file, first).
    return this.diagnostics.sort((a, b) => (a.span?.start ?? -1) - (b.span?.start ?? -1));
  }

  /** Reports at the value at `path` (or its key when `atKey`), without a place for a --set path. */
  report(code: MessageCode, args: Array<string | number>, path: string, atKey = false, hint?: string): void {
    const fromSet = this.fromCommandLine.has(path);
    const span = fromSet
      ? undefined
      : ((atKey ? this.s.spans[path] : this.s.values[path]) ?? this.s.values[path] ?? this.nearest(path));
    this.diagnostics.push({
      ...createDiagnostic(code, span, ...args),
      // A did-you-mean for an unknown key helps in --set too; other hints point into the file.
      hint: fromSet && !atKey ? undefined : hint,
    });
  }

  /** An option `key` that `what` does not take (with the valid ones and a "Did you mean"). */
  unknownOption(key: string, what: string, at: string, known: string[]): void {
    const where = this.fromCommandLine.has(at) ? ' in --set' : '';
    const hint = suggest(key, known);
    if (known.length === 0) this.report('SEG5003', [quote(key), `${what}${where}`], at, true, hint);
    else this.report('SEG5002', [quote(key), `${what}${where}`, known.map(quote).join(', ')], at, true, hint);
  }

  /** The span of the closest enclosing path that has one (`data.0` → `data`). */
  nearest(path: string): Span | undefined {
    for (let at = path; at.includes('.');) {
      at = at.slice(0, at.lastIndexOf('.'));
      const span = this.s.values[at] ?? this.s.spans[at];
      if (span) return span;
    }
    return this.s.spans[path];
  }

  isSymbol(path: string): boolean {
    const symbols = this.s.symbols;
    return typeof symbols === 'function' ? symbols(path) : (symbols?.has(path) ?? false);
  }

  section(name: string, given: Record<string, Setting>, keys: Param[]): void {
    this.options(`'${name}'`, name, given, keys, true);
  }

  /** Checks the given options against `params`: unknown keys, then each value's type, then required ones. */
  options(
    what: string,
    path: string,
    given: Record<string, Setting>,
    params: Param[],
    section: boolean,
  ): boolean {
    let ok = true;
    const known = params.map((q) => q.name);
    for (const [key, value] of Object.entries(given)) {
      const param = params.find((q) => q.name === key);
      const at = `${path}.${key}`;
      if (!param) {
        ok = false;
        this.unknownOption(key, what, at, known);
        continue;
      }
      ok = this.value(value, param.type, at, `Option '${key}' of ${what}${section ? '' : ''}`) && ok;
    }
    return ok;
  }

  /** Checks a value against a type; reports (at the value) and returns false when it does not fit. */
  value(value: Setting, type: Type, path: string, what: string): boolean {
    const fail = () => {
      const where = this.fromCommandLine.has(path) ? ' (in --set)' : '';
      this.report(
        'SEG5004',
        [`${what}${where}`, describeType(type), show(value, this.isSymbol(path))],
        path,
        false,
        this.hint(value, type, path),
      );
      return false;
    };
    switch (type.kind) {
      case 'int':
        return typeof value === 'number' && Number.isInteger(value) && inRange(value, type) ? true : fail();
      case 'number':
        return typeof value === 'number' && inRange(value, type) ? true : fail();
      case 'bool':
        return typeof value === 'boolean' ? true : fail();
      case 'string':
        return typeof value === 'string' &&
          !this.isSymbol(path) &&
          (!type.values || type.values.includes(value))
          ? true
          : fail();
      case 'symbol': {
        if (typeof value !== 'string' || !this.isSymbol(path)) return fail();
        if (type.values && !type.values.includes(value)) {
          this.report(
            'SEG5004',
            [what, describeType(type), quote(value)],
            path,
            false,
            suggest(value, type.values),
          );
          return false;
        }
        return type.test && !type.test(value) ? fail() : true;
      }
      case 'list': {
        if (!Array.isArray(value) || (type.length !== undefined && value.length !== type.length))
          return fail();
        // Items of a list of entries are reported one by one (`Unknown metric 'iou'`); others as the whole
        // list.
        if (type.of.kind === 'entry') {
          const family = type.of.family;
          return value.map((item, i) => this.entryValue(item, family, `${path}.${i}`)).every(Boolean);
        }
        if (
          type.of.kind === 'symbol' &&
          value.every((item, i) => this.shapeFits(item, type.of, `${path}.${i}`))
        ) {
          return value
            .map((item, i) =>
              this.value(item, type.of, `${path}.${i}`, `An item of ${what.replace(/^Option/, 'option')}`),
            )
            .every(Boolean);
        }
        return value.every((item, i) => this.quiet(item, type.of, `${path}.${i}`)) ? true : fail();
      }
      case 'entry':
        return this.entryValue(value, type.family, path);
      case 'either': {
        const branch = type.of.find((t) => this.shapeFits(value, t, path));
        if (!branch) return fail();
        if (branch.kind === 'entry' || branch.kind === 'list') return this.value(value, branch, path, what);
        return this.quiet(value, branch, path) ? true : fail();
      }
    }
  }

  /** A hint for a value of the wrong kind: quotes to add or remove, an import to add. */
  hint(value: Setting, type: Type, path: string): string | undefined {
    if (typeof value !== 'string') return undefined;
    const symbol = this.isSymbol(path);
    if (symbol && LIBRARY_NAMES[value])
      return `'${value}' is in ${LIBRARY_NAMES[value]}: import ${LIBRARY_NAMES[value]} { ${value} }`;
    const alternatives = type.kind === 'either' ? type.of : [type];
    if (symbol && alternatives.some((t) => t.kind === 'string'))
      return `Write it as a string, in quotes: "${value}".`;
    if (!symbol && alternatives.some((t) => t.kind === 'symbol' && (!t.values || t.values.includes(value))))
      return `Write it as a name, without quotes: ${value}.`;
    return undefined;
  }

  /** Whether a value fits a scalar or list type, without reporting. */
  quiet(value: Setting, type: Type, path: string): boolean {
    const saved = this.diagnostics.length;
    const ok = this.value(value, type, path, '');
    this.diagnostics.length = saved;
    return ok;
  }

  /**
   * Whether a value has the form of a type (a number for a number, a list for a list...), to pick a branch.
   */
  shapeFits(value: Setting, type: Type, path: string): boolean {
    switch (type.kind) {
      case 'int':
      case 'number':
        return typeof value === 'number';
      case 'bool':
        return typeof value === 'boolean';
      case 'string':
        return typeof value === 'string' && !this.isSymbol(path);
      case 'symbol':
        return typeof value === 'string' && this.isSymbol(path);
      case 'list':
        return Array.isArray(value);
      case 'entry':
        return (
          (typeof value === 'string' && this.isSymbol(path)) ||
          (typeof value === 'object' && !Array.isArray(value))
        );
      case 'either':
        return type.of.some((t) => this.shapeFits(value, t, path));
    }
  }

  /** A value that must be an entry of `family`: a name or a call of one. */
  entryValue(value: Setting, family: Family, path: string): boolean {
    const call =
      typeof value === 'string' && this.isSymbol(path)
        ? { name: value, args: [], options: {} }
        : typeof value === 'object' && !Array.isArray(value)
          ? value
          : undefined;
    if (!call) {
      this.report(
        'SEG5005',
        [describeType({ kind: 'entry', family }), show(value, this.isSymbol(path))],
        path,
      );
      return false;
    }
    return this.call(path, call, family);
  }

  /** A configuration call of `family` at `path`: the name, then its arguments against the entry's options. */
  call(path: string, call: ConfigCall, family: Family): boolean {
    const text = FAMILY_TEXT[family];
    const entry = findEntry(family, call.name);
    const library = LIBRARY_NAMES[call.name];
    if (!entry && library) {
      this.report('SEG5006', [quote(call.name), library], path, false, `import ${library} { ${call.name} }`);
      return false;
    }
    if (!entry && family === 'stats') {
      this.report('SEG5007', [quote(call.name)], path, false, suggest(call.name, Object.keys(LIBRARY_NAMES)));
      return false;
    }
    if (!entry) {
      const names = entries(family).map((e) => e.name);
      const other = CATALOGUE.find((e) => e.name === call.name);
      const hint = other
        ? `'${call.name}' is ${article(FAMILY_TEXT[other.family].one)}, not ${article(text.one)}.`
        : suggest(call.name, names);
      this.report('SEG5001', [text.one, quote(call.name), text.many, names.join(', ')], path, false, hint);
      return false;
    }
    const what = `'${entry.name}'`;
    const given: Record<string, Setting> = { ...call.options };
    const givenPaths = new Map<string, string>(Object.keys(call.options).map((k) => [k, `${path}.${k}`]));
    let ok = true;
    call.args.forEach((arg, i) => {
      const param = entry.params[i];
      if (!param) {
        const names = entry.params.map((q) => q.name).join(', ');
        if (entry.params.length === 0) this.report('SEG5009', [what, i + 1], `${path}.${i}`);
        else this.report('SEG5008', [what, entry.params.length, names, i + 1], `${path}.${i}`);
        ok = false;
      } else if (param.name in call.options) {
        this.report('SEG5010', [quote(param.name), what], `${path}.${param.name}`, true);
        ok = false;
      } else {
        given[param.name] = arg;
        givenPaths.set(param.name, `${path}.${i}`);
      }
    });
    // Options by name, at their own paths; positional ones at the argument's path.
    for (const [key, value] of Object.entries(given)) {
      const at = givenPaths.get(key)!;
      const param = entry.params.find((q) => q.name === key);
      if (!param) {
        this.unknownOption(
          key,
          what,
          at,
          entry.params.map((q) => q.name),
        );
        ok = false;
      } else {
        ok = this.value(value, param.type, at, `Option '${key}' of ${what}`) && ok;
      }
    }
    for (const param of entry.params) {
      if (param.required && !(param.name in given)) {
        this.report('SEG5011', [what, quote(param.name), param.doc, entry.example], path);
        ok = false;
      }
    }
    if (ok && entry.refine) {
      const filled = withDefaults(entry, given);
      for (const [message, key] of entry.refine(filled, new Set(Object.keys(given)))) {
        const at = key && givenPaths.has(key) ? givenPaths.get(key)! : path;
        if (key && givenPaths.has(key)) this.report('SEG5012', [quote(key), what, message], at);
        else this.report('SEG5013', [what, message], at);
        ok = false;
      }
    }
    return ok;
  }

  /** `select` names one of the experiment's metrics (a scalar one). */
  select(): void {
    const evaluation = this.s.eval;
    const metrics = Array.isArray(evaluation.metrics)
      ? evaluation.metrics
      : (EVAL_KEYS[1].default as Setting[]);
    const names = metrics.map((m) =>
      typeof m === 'string' ? m : !Array.isArray(m) && typeof m === 'object' ? m.name : String(m),
    );
    const select = evaluation.select;
    if (select === undefined) return;
    const path = 'eval.select';
    const name =
      typeof select === 'string'
        ? select
        : typeof select === 'object' && !Array.isArray(select)
          ? select.name
          : undefined;
    const entry = name !== undefined ? findEntry('metric', name) : undefined;
    if (!entry) {
      const all = entries('metric').map((e) => e.name);
      this.report(
        'SEG5015',
        [name === undefined ? show(select, false) : quote(name), all.join(', ')],
        path,
        false,
        name ? suggest(name, all) : undefined,
      );
    } else if (!entry.scalar) {
      this.report('SEG5016', [quote(entry.name)], path);
    } else if (!names.includes(entry.name)) {
      this.report('SEG5017', [quote(entry.name), names.join(', ')], path);
    }
  }
}

/**
 * What is wrong with options handed to the implementation of a catalogue entry (`shapes: option 'size' must
 * be ...`), by the entry's own types and ranges, so that an implementation has no ranges of its own: a value
 * `segc check` accepts is one it accepts. Options the entry does not declare are not checked.
 */
export function optionProblems(
  family: Family,
  name: string,
  options: Record<string, unknown>,
): OptionProblem[] {
  const entry = findEntry(family, name);
  if (!entry) throw new InternalError(`${name} is not a ${family} of the catalogue`);
  return entry.params.flatMap((param) => {
    const value = options[param.name];
    if (value === undefined || defaultFits(value as Setting, param.type)) return [];
    return [{ option: param.name, expected: describeType(param.type), got: JSON.stringify(value) }];
  });
}

/** An option outside its entry's type or range: SEG5080 "NAME: option 'OPTION' must be EXPECTED, got GOT." */
export interface OptionProblem {
  option: string;
  expected: string;
  got: string;
}

/** Whether a catalogue default fits its type (its strings taken as names, or else as strings). */
export function defaultFits(value: Setting, type: Type): boolean {
  const empty = { name: '', args: [], options: {} };
  const settings = (symbols: boolean): CheckedSettings => ({
    data: empty,
    optimizer: empty,
    train: {},
    eval: {},
    spans: {},
    values: {},
    symbols: () => symbols,
  });
  return [true, false].some((symbols) =>
    new Checker(settings(symbols), new Set()).quiet(value, type, 'default'),
  );
}

function inRange(v: number, t: { min?: number; max?: number; above?: number; below?: number }): boolean {
  return (
    Number.isFinite(v) &&
    (t.min === undefined || v >= t.min) &&
    (t.max === undefined || v <= t.max) &&
    (t.above === undefined || v > t.above) &&
    (t.below === undefined || v < t.below)
  );
}

/** The options of a call of `entry` with the catalogue's defaults filled in. */
export function withDefaults(entry: Entry, given: Record<string, Setting>): Record<string, Setting> {
  const filled: Record<string, Setting> = {};
  for (const param of entry.params) if (param.default !== undefined) filled[param.name] = param.default;
  return { ...filled, ...given };
}

/**
 * The options of a call, positional arguments named after the entry's parameters, with defaults filled in.
 */
export function callOptions(entry: Entry, call: ConfigCall): Record<string, Setting> {
  const given: Record<string, Setting> = { ...call.options };
  call.args.forEach((arg, i) => {
    if (entry.params[i]) given[entry.params[i].name] = arg;
  });
  return withDefaults(entry, given);
}

/** The shape a checked experiment is staged at: the dataset's declared shape (the call must have checked). */
export function declaredShape(data: ConfigCall): DeclaredShape | undefined {
  const entry = findEntry('dataset', data.name);
  return entry?.shape?.(callOptions(entry, data));
}
