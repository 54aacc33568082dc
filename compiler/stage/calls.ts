// Calls at staging time: arguments (positional, then keywords given at most once), built-ins, configuration
// objects of settings, and definitions (binding, annotations, naming scopes, the standard library's
// boundary).
import { sep } from 'node:path';
import type { Argument, Definition, Expression, Span } from '../../grammar/index.ts';
import type { Diagnostic } from '../../diagnostics/index.ts';
import { displayPath, quote } from '../../diagnostics/index.ts';
import { stdlibDirectory } from '../resolve/index.ts';
import type { Builtin } from './builtins.ts';
import { builtins, checkKeywords } from './builtins.ts';
import { LimitError, checkCallDepth } from './limits.ts';
import { bindArguments, checkAnnotation } from './signature.ts';
import type { Env, Stager } from './stager.ts';
import type { NamedArgument, Value } from './values.ts';
import { POISON, Poisoned, StageError, describeValue, fail } from './values.ts';

/** A call's evaluated arguments: positional values with the spans of their values, and keyword arguments. */
export interface CallArguments {
  positional: Value[];
  positionalSpans: Span[];
  named: Map<string, NamedArgument>;
}

/** Evaluates a call's arguments in order; a keyword given twice is an error. */
export function collectArguments(args: Argument[], evaluate: (e: Expression) => Value): CallArguments {
  const collected: CallArguments = { positional: [], positionalSpans: [], named: new Map() };
  const values = args.map((arg) => evaluate(arg.value));
  args.forEach((arg, i) => {
    if (!arg.name) {
      collected.positional.push(values[i]);
      collected.positionalSpans.push(arg.value.span);
    } else if (collected.named.has(arg.name.name)) {
      fail('SEG4011', arg.name.span, quote(arg.name.name));
    } else {
      collected.named.set(arg.name.name, {
        value: values[i],
        span: arg.name.span,
        valueSpan: arg.value.span,
      });
    }
  });
  return collected;
}

/** Whether an argument is a poison value (an error already reported). */
export function poisoned(args: CallArguments): boolean {
  return (
    args.positional.some((v) => v.kind === 'poison') ||
    [...args.named.values()].some((a) => a.value.kind === 'poison')
  );
}

/**
 * `name[axes](args)`: a built-in, a definition, or (in settings) a configuration object such as
 * `adam(lr = 1e-3)`.
 */
export function callByName(
  s: Stager,
  name: string,
  nameSpan: Span,
  axes: { name: string; span: Span }[],
  args: Argument[],
  env: Env,
  span: Span,
): Value {
  const callee = s.attempt(() => s.lookup(name, nameSpan, env));
  const call = collectArguments(args, (e) => s.operand(e, env));
  if (callee.kind === 'poison' || poisoned(call)) return POISON;
  const { positional, positionalSpans, named } = call;
  if (callee.kind === 'symbol') {
    const options = Object.fromEntries([...named].map(([k, v]) => [k, v.value]));
    return { kind: 'config', name, args: positional, options, span };
  }
  if (callee.kind === 'builtin') {
    const builtin = builtins.get(name) as Builtin;
    const layerName = takeName(s, named);
    const builtinCall = { name, axes, positional, named, span, argSpans: positionalSpans, env };
    checkKeywords(builtinCall);
    s.pendingName = layerName;
    try {
      const result = builtin(s, builtinCall);
      if (s.pendingName) {
        fail('SEG4025', s.pendingName.span, quote(name));
      }
      return result;
    } finally {
      s.pendingName = undefined;
    }
  }
  if (callee.kind === 'function') return callDefinition(s, callee, call, span);
  return fail('SEG3003', nameSpan, 'a function', describeValue(callee));
}

/**
 * Runs a definition with its arguments bound. An error inside the standard library, reached from a user's
 * call, is reported at that call (the library line as a hint): the user's arguments are what to fix.
 */
export function callDefinition(
  s: Stager,
  callee: Extract<Value, { kind: 'function' }>,
  args: CallArguments,
  span: Span,
): Value {
  const { def, scope } = callee;
  const name = def.name.name;
  if (s.callStack.includes(name)) fail('SEG4003', span, `'${name}'`);
  checkCallDepth(s.callStack.length + 1, span);
  const declares = (key: string) => def.params.some((p) => p.name.name === key);
  const scoping = def.defKind === 'block' || def.defKind === 'net';
  // `name = ...` names the call's scope (for a definition without a parameter of that name).
  let explicit: string | undefined;
  if (args.named.has('name') && !declares('name')) {
    const named = new Map(args.named);
    const given = takeName(s, named);
    if (!scoping) fail('SEG4026', given!.span, quote(name), def.defKind);
    explicit = given!.name;
    args = { ...args, named };
  }
  // The outermost net is the model: its layers are named from the root (`encoder.conv1.weight`).
  if (explicit === undefined && def.defKind === 'net' && s.callStack.length === 0) explicit = '';
  const library = isLibrary(scope.file) && !isLibrary(span.file);
  const recovering = s.recovering;
  // The library is trusted code: its first error ends the call, which the caller reports once.
  if (library) s.recovering = false;
  s.callStack.push(name);
  try {
    const vars = bindArguments(s, def, args.positional, args.named, span, scope);
    listsAsTensors(s, def, vars, (i) => argumentSpan(def, i, args, span));
    def.params.forEach((p, i) =>
      checkAnnotation(s, p, vars.get(p.name.name)!, argumentSpan(def, i, args, span)),
    );
    const body = () => runBody(s, def, { vars, scope });
    // A block's or net's `weights: string` argument is a pretrained file for the weights of its scope.
    const file = vars.get('weights');
    const run =
      scoping && file?.kind === 'string' && file.value !== ''
        ? () =>
            s.withSource({ file: file.value, scope: s.scopePath(), span: weightsSpan(def, args, span) }, body)
        : body;
    return scoping ? s.scoped(name, run, explicit) : run();
  } catch (error) {
    if (library && error instanceof StageError) {
      const Kind = error instanceof LimitError ? LimitError : StageError;
      throw new Kind(error.diagnostics.map((d) => atCall(d, name, span)));
    }
    throw error;
  } finally {
    s.callStack.pop();
    s.recovering = recovering;
  }
}

/**
 * Lists of numbers given for one-axis tensor parameters (`w: [C]`, as in `ce(z, y, w = [1, 2, 0.5])`)
 * become constant tensors along that axis: non-trainable state named after the first call, saved with the
 * model. A list's length must equal the axis's size in the other tensor arguments.
 */
export function listsAsTensors(
  s: Stager,
  def: Definition,
  vars: Map<string, Value>,
  spanOf: (param: number) => Span,
): void {
  def.params.forEach((param, i) => {
    const value = vars.get(param.name.name);
    const axes = param.type?.dims;
    if (value?.kind !== 'list' || param.type?.base || axes?.length !== 1 || axes[0].name === 'S') return;
    if (!value.items.every((item) => item.kind === 'number')) {
      const want = `a list of numbers for '${param.name.name}'`;
      const why = 'only numbers written out make a constant tensor';
      return fail('SEG3003', spanOf(i), want, `a list holding ${describeNonNumber(value.items)} (${why})`);
    }
    const values = value.items.map((item) => (item as { value: number }).value);
    const axis = axes[0].name;
    const size = axisSize(s, def, vars, axis);
    if (size !== undefined && size !== values.length) {
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      const want = `a tensor [${axis}] of ${count(size, 'value')} for '${param.name.name}'`;
      fail('SEG3003', spanOf(i), want, `a list of ${count(values.length, 'number')}`);
    }
    const key = `${axis}:${values.join(',')}`;
    let node = s.listConstants.get(key);
    if (node === undefined) {
      // Named `<definition>.<parameter>.<k>` (k counts the loss's constants) under the current scope, without
      // opening a scope of its own, so the names of the definition's weights do not shift.
      const init = { kind: 'values' as const, values };
      const local = `${def.name.name}.${param.name.name}.${s.listConstants.size}`;
      node = s.weight(local, [axis], [values.length], init, false);
      s.listConstants.set(key, node);
    }
    vars.set(param.name.name, s.wrap(node));
  });
}

/** What a list holds that is not a number, for the error: `a param`, `a tensor`, ... */
function describeNonNumber(items: Value[]): string {
  return describeValue(items.find((item) => item.kind !== 'number')!);
}

/** The size of `axis` in the tensor arguments whose annotations name it, if any does. */
function axisSize(s: Stager, def: Definition, vars: Map<string, Value>, axis: string): number | undefined {
  for (const p of def.params) {
    const value = vars.get(p.name.name);
    if (value?.kind !== 'tensor' || !p.type?.dims?.some((d) => d.name === axis)) continue;
    const size = s.b.type(value.node).dims.find((d) => d.name === axis)?.size;
    if (size !== undefined) return size;
  }
  return undefined;
}

/** Where a definition's `weights` argument is written (else the call). */
function weightsSpan(def: Definition, args: CallArguments, span: Span): Span {
  const i = def.params.findIndex((p) => p.name.name === 'weights');
  return argumentSpan(def, i, args, span);
}

const SCOPE_NAME = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

/**
 * Removes a call's `name = ...` argument and returns it: a string of names and numbers joined by '.'
 * (`"layer1.0"`), an int (`name = 0`), or '' (no scope of its own).
 */
function takeName(s: Stager, named: Map<string, NamedArgument>): { name: string; span: Span } | undefined {
  const given = named.get('name');
  if (!given) return undefined;
  named.delete('name');
  const span = given.valueSpan ?? given.span;
  const value = given.value;
  if (value.kind === 'poison') throw new Poisoned();
  const text =
    value.kind === 'string'
      ? value.value
      : value.kind === 'number' && value.integer
        ? String(value.value)
        : undefined;
  if (text === undefined) return fail('SEG3003', span, "a string or an int for 'name'", describeValue(value));
  if (text !== '' && !SCOPE_NAME.test(text)) {
    fail('SEG4027', span, quote(text));
  }
  return { name: text, span };
}

/** Where the value bound to parameter `i` is written: the argument, else the default, else the call. */
function argumentSpan(def: Definition, i: number, args: CallArguments, span: Span): Span {
  const param = def.params[i];
  if (i < args.positional.length) return args.positionalSpans[i] ?? span;
  const named = args.named.get(param.name.name);
  if (named) return named.valueSpan ?? named.span;
  return param.default?.span ?? span;
}

function runBody(s: Stager, def: Definition, env: Env): Value {
  if (def.expression) return s.evaluate(def.expression, env);
  const result = s.execute(def.body ?? [], env);
  if (!result) return fail('SEG4030', def.name.span, quote(def.name.name));
  return result;
}

/** A diagnostic inside the library, moved to the user's call of `name` with the library's line as a hint. */
function atCall(d: Diagnostic, name: string, call: Span): Diagnostic {
  if (!d.span || !isLibrary(d.span.file)) return d;
  const where = `in '${name}' at ${displayPath(d.span.file)}:${d.span.line}:${d.span.col}`;
  return { ...d, span: call, hint: d.hint ? `${d.hint} (${where})` : where };
}

let library: string | undefined;

/** Whether a file is part of the standard library (std/...). */
export function isLibrary(file: string): boolean {
  library ??= stdlibDirectory() + sep;
  return file.startsWith(library);
}
