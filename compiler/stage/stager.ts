// The staging interpreter: evaluates .seg expressions and statements at compile time, emitting IR for
// tensors. A recovering Stager (an experiment's model and loss) records each error and goes on with a poison
// value in its place.
import type { Expression, Span, Statement } from '../../grammar/index.ts';
import type { Diagnostic } from '../../diagnostics/index.ts';
import { InternalError, quote, suggest } from '../../diagnostics/index.ts';
import { GraphBuilder } from '../ir/builder.ts';
import type { Attrs } from '../ir/types.ts';
import { ShapeError, SPATIAL_DIMS, formatType } from '../ir/types.ts';
import type { ModuleScope } from '../resolve/index.ts';
import { builtins } from './builtins.ts';
import { callByName, callDefinition } from './calls.ts';
import { LimitError, StageBudget, checkSize } from './limits.ts';
import { execute } from './statements.ts';
import type { NamedArgument, Value } from './values.ts';
import { POISON, Poisoned, StageError, describeValue, fail, failWithHint, number } from './values.ts';

export interface Env {
  vars: Map<string, Value>;
  scope: ModuleScope;
  /** Experiment settings may name symbols (`dice`, `iteration`) that are not definitions. */
  allowSymbols?: boolean;
  /** The experiment's params where they are not visible (the model): named in the error if used. */
  hiddenParams?: Set<string>;
}

export type WeightInit =
  | { kind: 'uniform'; bound: number }
  | { kind: 'constant'; value: number }
  /** Given values (a list of numbers passed for a tensor parameter, such as class weights). */
  | { kind: 'values'; values: number[] };

/**
 * A tensor the model owns: trainable weights and non-trainable state (running statistics, constants written
 * as lists).
 */
export interface WeightSpec {
  name: string;
  dims: string[];
  sizes: number[];
  init: WeightInit;
  trainable: boolean;
  /** Stored as torch stores it where that is not f32 (a batch norm's `num_batches_tracked` is int64). */
  dtype?: 'i64';
  /** A pretrained file this weight is loaded from (a definition's `weights` argument), and its key there. */
  source?: WeightSource;
}

/** Where a weight's pretrained value comes from: `file`, given for the scope `scope` at `span`. */
export interface WeightSource {
  file: string;
  /** The scope the file was given for ('' is the model's root): keys are relative to it. */
  scope: string;
  span: Span;
}

export interface StageOptions {
  mode: 'train' | 'eval';
  /** Number of classes, for `onehot`. */
  classes: number;
  /** Record errors and keep staging where it safely can (see guard), instead of stopping at the first. */
  recover?: boolean;
}

export class Stager {
  readonly b = new GraphBuilder();
  readonly weights: WeightSpec[] = [];
  /** Constant tensors written as lists, by axis and values: a list staged twice is one tensor. */
  readonly listConstants = new Map<string, number>();
  readonly stateUpdates: { name: string; node: number }[] = [];
  private readonly path: string[] = [];
  private readonly counters = new Map<string, Map<string, number>>();
  private readonly names = new Set<string>();
  /** A `name = ...` given to a layer call, taken by the layer's scope (see scoped). */
  pendingName: { name: string; span: Span } | undefined;
  /** Pretrained files given to the enclosing calls (`weights = "..."`), innermost last. */
  private readonly sources: WeightSource[] = [];
  /** Definitions being called, innermost last (recursion is an error). */
  readonly callStack: string[] = [];
  /** Errors recorded while recovering, in the order found. */
  readonly diagnostics: Diagnostic[] = [];
  /** Whether an error is recorded and replaced by a poison value; off inside the standard library. */
  recovering: boolean;
  /** Steps, depth, loop iterations and graph size against their limits (limits.ts). */
  readonly budget = new StageBudget();

  constructor(readonly options: StageOptions) {
    this.recovering = options.recover ?? false;
  }

  // ---- recovery -------------------------------------------------------------------------------------------

  /**
   * Runs `body`, turning a user error into a recorded diagnostic and a poison value: a poison value makes
   * whatever uses it poison too, silently, so one mistake is reported once while independent ones are all
   * reported.
   */
  guard(body: () => Value): Value {
    try {
      return body();
    } catch (error) {
      return this.absorb(error);
    }
  }

  /** Records a StageError's diagnostics (once each) and returns a poison value; other errors are rethrown. */
  absorb(error: unknown): Value {
    if (error instanceof Poisoned) return POISON;
    if (!(error instanceof StageError) || error instanceof LimitError) throw error;
    for (const d of error.diagnostics) {
      const same = (k: Diagnostic) =>
        k.message === d.message && k.span?.file === d.span?.file && k.span?.start === d.span?.start;
      if (!this.diagnostics.some(same)) this.diagnostics.push(d);
    }
    return POISON;
  }

  /** `body`, guarded while recovering. */
  attempt(body: () => Value): Value {
    return this.recovering ? this.guard(body) : body();
  }

  /** Evaluates a subexpression, guarded while recovering. */
  operand(e: Expression, env: Env): Value {
    return this.attempt(() => this.evaluate(e, env));
  }

  /** Builds an IR node, turning shape-rule complaints into diagnostics at `span`. */
  node(op: string, inputs: number[], attrs: Attrs, span: Span | undefined): number {
    try {
      const id = this.b.add(op, inputs, attrs, span);
      this.budget.graph(this.b, span);
      return id;
    } catch (error) {
      if (error instanceof ShapeError) fail('SEG3004', span, `'${op}'`, error.message);
      throw error;
    }
  }

  tensor(value: Value, span: Span | undefined, what = 'operand'): number {
    if (value.kind === 'tensor') return value.node;
    if (value.kind === 'poison') throw new Poisoned();
    if (value.kind === 'number') return this.b.constant(value.value);
    if (value.kind === 'bool') return this.b.constant(value.value ? 1 : 0);
    return fail('SEG3003', span, `a tensor or number as ${what}`, describeValue(value));
  }

  /** Whether a label tensor is multilabel masks (u8 with a class dim) rather than class indices. */
  isMasks(node: number): boolean {
    const type = this.b.type(node);
    return type.dtype === 'u8' && type.dims.some((d) => d.name === 'C');
  }

  /** Spatial dims of a tensor (the `S` group). */
  spatial(node: number): string[] {
    return this.b
      .type(node)
      .dims.map((d) => d.name)
      .filter((n) => SPATIAL_DIMS.includes(n));
  }

  /** Expands `S` and checks each axis exists in the tensor. */
  axes(names: { name: string; span: Span }[], node: number): string[] {
    const dims = this.b.type(node).dims.map((d) => d.name);
    const result: string[] = [];
    for (const axis of names) {
      const expanded = axis.name === 'S' ? this.spatial(node) : [axis.name];
      if (expanded.length === 0 || expanded.some((d) => !dims.includes(d))) {
        fail('SEG3002', axis.span, `'${formatType(this.b.type(node))}'`, `'${axis.name}'`);
      }
      result.push(...expanded);
    }
    return result;
  }

  // ---- parameters and naming ----------------------------------------------------------------------------

  /**
   * Runs `body` inside a named scope: `explicit` when given (a `name = ...` argument; '' opens none), else a
   * pending layer name, else `callee.k` (k counts unnamed calls of `callee` in the enclosing scope).
   */
  scoped<T>(callee: string, body: () => T, explicit?: string): T {
    let scope = explicit;
    if (scope === undefined && this.pendingName) {
      scope = this.pendingName.name;
      this.pendingName = undefined;
    }
    if (scope === '') return body();
    if (scope === undefined) {
      const key = this.path.join('.');
      const counts = this.counters.get(key) ?? new Map<string, number>();
      this.counters.set(key, counts);
      const k = counts.get(callee) ?? 0;
      counts.set(callee, k + 1);
      scope = `${callee}.${k}`;
    }
    this.path.push(scope);
    try {
      return body();
    } finally {
      this.path.pop();
    }
  }

  /** The current scope's path ('' at the model's root). */
  scopePath(): string {
    return this.path.join('.');
  }

  /** Runs `body` with the weights it creates loaded from `source` (an inner file wins). */
  withSource<T>(source: WeightSource, body: () => T): T {
    this.sources.push(source);
    try {
      return body();
    } finally {
      this.sources.pop();
    }
  }

  /**
   * Declares a weight (or state) under the current scope and returns its leaf node; a second tensor of the
   * same name (two layers given one `name`) is an error at the current expression.
   */
  weight(
    local: string,
    dims: string[],
    sizes: number[],
    init: WeightInit,
    trainable = true,
    dtype?: 'i64',
  ): number {
    const name = [...this.path, local].join('.');
    if (this.names.has(name)) {
      fail('SEG4028', this.b.currentSpan, quote(name));
    }
    this.names.add(name);
    const source = this.sources.at(-1);
    this.weights.push({
      name,
      dims,
      sizes,
      init,
      trainable,
      ...(dtype && { dtype }),
      ...(source && { source }),
    });
    return this.b.add(trainable ? 'weight' : 'state', [], { name, dims, sizes });
  }

  // ---- expressions ----------------------------------------------------------------------------------------

  evaluate(expression: Expression, env: Env): Value {
    const previous = this.b.currentSpan;
    this.b.currentSpan = expression.span;
    this.budget.enter(expression.span);
    try {
      return this.evaluateInner(expression, env);
    } finally {
      this.budget.leave();
      this.b.currentSpan = previous;
    }
  }

  private evaluateInner(e: Expression, env: Env): Value {
    switch (e.kind) {
      case 'number':
        return number(e.value, e.isInteger);
      case 'string':
        return { kind: 'string', value: e.value };
      case 'boolean':
        return { kind: 'bool', value: e.value };
      case 'list': {
        const items = e.elements.map((x) => this.operand(x, env));
        return items.some((x) => x.kind === 'poison') ? POISON : { kind: 'list', items };
      }
      case 'name':
        return this.lookup(e.name, e.span, env);
      case 'unary': {
        const operand = this.operand(e.operand, env);
        if (operand.kind === 'poison') return POISON;
        if (e.operator === 'not') return { kind: 'bool', value: !this.truth(operand, e.span) };
        if (operand.kind === 'number') return number(-operand.value, operand.integer);
        this.arithmetic(operand, `'-'`, e.span);
        return { kind: 'tensor', node: this.node('neg', [this.tensor(operand, e.span)], {}, e.span) };
      }
      case 'binary': {
        const [left, right] = [this.operand(e.left, env), this.operand(e.right, env)];
        if (left.kind === 'poison' || right.kind === 'poison') return POISON;
        return this.binary(e.operator, left, right, e.operatorSpan);
      }
      case 'index':
        return this.index(e, env);
      case 'member': {
        const target = this.operand(e.target, env);
        if (target.kind === 'poison') return POISON;
        if (target.kind === 'symbol') return { kind: 'symbol', name: `${target.name}.${e.member.name}` };
        return fail('SEG3003', e.span, "a symbol before '.'", describeValue(target));
      }
      case 'call':
        return callByName(this, e.callee.name, e.callee.span, e.axes ?? [], e.args, env, e.span);
    }
  }

  lookup(name: string, span: Span, env: Env): Value {
    const local = env.vars.get(name);
    if (local) return local;
    const def = env.scope.definitions.get(name);
    if (def) return { kind: 'function', def: def.def, scope: def.scope };
    if (builtins.has(name)) return { kind: 'builtin', name };
    if (env.allowSymbols) return { kind: 'symbol', name };
    if (env.hiddenParams?.has(name)) {
      const why = "params are the loss's scalars; a network's sizes are fixed when it is compiled";
      return failWithHint(`Write a number here (${why}).`, 'SEG2001', span, `'${name}'`);
    }
    const known = [...env.vars.keys(), ...env.scope.definitions.keys(), ...builtins.keys()];
    return failWithHint(suggest(name, known), 'SEG2001', span, `'${name}'`);
  }

  truth(value: Value, span: Span): boolean {
    if (value.kind === 'poison') throw new Poisoned();
    if (value.kind === 'bool') return value.value;
    if (value.kind === 'number') return value.value !== 0;
    return fail('SEG3003', span, 'a boolean', describeValue(value));
  }

  binary(op: string, left: Value, right: Value, span: Span): Value {
    if (op === 'and' || op === 'or') {
      const [a, b] = [this.truth(left, span), this.truth(right, span)];
      return { kind: 'bool', value: op === 'and' ? a && b : a || b };
    }
    if (left.kind === 'list' && right.kind === 'list' && op === '+') {
      checkSize('list', left.items.length + right.items.length, span);
      return { kind: 'list', items: [...left.items, ...right.items] };
    }
    if (left.kind === 'number' && right.kind === 'number') return foldNumbers(op, left, right, span);
    if (op === '+' && (left.kind === 'string' || right.kind === 'string')) {
      const [a, b] = [this.text(left, span), this.text(right, span)];
      checkSize('string', a.length + b.length, span);
      return { kind: 'string', value: `${a}${b}` };
    }
    if (['==', '!=', '<', '<=', '>', '>='].includes(op)) return this.compare(op, left, right, span);
    this.arithmetic(left, `'${op}'`, span);
    this.arithmetic(right, `'${op}'`, span);
    const a = this.tensor(left, span);
    if (op === '^') {
      if (right.kind === 'number' && right.value === 0) return number(1);
      if (right.kind === 'number' && right.value === 1) return left;
      if (right.kind === 'number') return this.wrap(this.node('pow', [a], { exponent: right.value }, span));
      // A tensor exponent (or a param): e^(b log a), for a > 0.
      const logs = this.node('log', [a], {}, span);
      return this.wrap(
        this.node('exp', [this.node('mul', [logs, this.tensor(right, span)], {}, span)], {}, span),
      );
    }
    const ops: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' };
    if (!ops[op]) throw new InternalError(`unknown operator ${op}`);
    return this.wrap(this.node(ops[op], [a, this.tensor(right, span)], {}, span));
  }

  /**
   * Labels are u8 class indices (255 where ignored), masks 0/1 with 255 where ignored: arithmetic on them is
   * a mistake (a class index is no amount). Comparisons (`y == 1`), onehot, valid and `w[y]` read them.
   */
  private arithmetic(value: Value, op: string, span: Span): void {
    if (value.kind !== 'tensor' || this.b.type(value.node).dtype !== 'u8') return;
    const found = this.isMasks(value.node)
      ? 'multilabel masks (0/1, 255 where ignored: use onehot(y) or valid(y))'
      : 'labels (class indices: use onehot(y) or valid(y))';
    fail('SEG3003', span, `a float tensor or a number for ${op}`, found);
  }

  /** Tensor comparisons give 1 where true and 0 elsewhere, with no gradient (`(sum[N,S](t) > 0)`). */
  private compare(op: string, left: Value, right: Value, span: Span): Value {
    const a = this.tensor(left, span);
    const b = this.tensor(right, span);
    const one = this.b.constant(1);
    const not = (x: number) => this.node('sub', [one, x], {}, span);
    switch (op) {
      case '>':
        return this.wrap(this.node('gt', [a, b], {}, span));
      case '<':
        return this.wrap(this.node('gt', [b, a], {}, span));
      case '>=':
        return this.wrap(not(this.node('gt', [b, a], {}, span)));
      case '<=':
        return this.wrap(not(this.node('gt', [a, b], {}, span)));
      case '==':
        return this.wrap(this.node('eq', [a, b], {}, span));
      default:
        return this.wrap(not(this.node('eq', [a, b], {}, span)));
    }
  }

  wrap(node: number): Value {
    return { kind: 'tensor', node };
  }

  private index(e: Extract<Expression, { kind: 'index' }>, env: Env): Value {
    const target = this.operand(e.target, env);
    const bounds = e.slice ? [e.slice.start, e.slice.end] : [e.index];
    const values = bounds.map((x) => (x ? this.operand(x, env) : undefined));
    if (target.kind === 'poison' || values.some((v) => v?.kind === 'poison')) return POISON;
    if (e.slice) {
      if (target.kind !== 'list')
        return fail('SEG3003', e.target.span, 'a list to slice', describeValue(target));
      const n = target.items.length;
      const bound = (i: number, fallback: number) => {
        const x = bounds[i];
        if (!x) return fallback;
        const v = this.integer(values[i]!, x.span);
        return Math.max(0, Math.min(n, v < 0 ? n + v : v));
      };
      return { kind: 'list', items: target.items.slice(bound(0, 0), bound(1, n)) };
    }
    const index = values[0]!;
    if (target.kind === 'list') {
      const i = this.integer(index, e.index!.span);
      const at = i < 0 ? target.items.length + i : i;
      if (at < 0 || at >= target.items.length) {
        fail('SEG4032', e.index!.span, i, target.items.length);
      }
      return target.items[at];
    }
    // w[y]: a per-class value gathered by label.
    if (index.kind !== 'tensor' || this.b.type(index.node).dtype !== 'u8') {
      return fail('SEG3003', e.index!.span, 'labels to gather by', describeValue(index));
    }
    if (this.isMasks(index.node)) {
      return fail(
        'SEG3003',
        e.index!.span,
        'class indices to gather by',
        'multilabel masks (weigh their classes by broadcasting: w * ...)',
      );
    }
    if (target.kind === 'number') return target;
    const w = this.tensor(target, e.target.span);
    const onehot = this.node('onehot', [index.node], { dim: 'C', size: this.options.classes }, e.span);
    return this.wrap(this.node('sum', [this.node('mul', [onehot, w], {}, e.span)], { axes: ['C'] }, e.span));
  }

  /** A string, or an int written as its digits (`"layer" + 1` is "layer1"). */
  text(value: Value, span: Span): string {
    if (value.kind === 'string') return value.value;
    if (value.kind === 'number' && value.integer) return String(value.value);
    return fail('SEG3003', span, "a string or an int for '+' with a string", describeValue(value));
  }

  integer(value: Value, span: Span): number {
    if (value.kind === 'poison') throw new Poisoned();
    if (value.kind !== 'number' || !value.integer)
      return fail('SEG3003', span, 'an int', describeValue(value));
    return value.value;
  }

  // ---- calls and statements (calls.ts, statements.ts) -----------------------------------------------------

  /**
   * Calls a definition with evaluated arguments (`positionalSpans`: where each positional argument is
   * written).
   */
  callDefinition(
    callee: Extract<Value, { kind: 'function' }>,
    positional: Value[],
    named: Map<string, NamedArgument>,
    span: Span,
    positionalSpans: Span[],
  ): Value {
    return callDefinition(this, callee, { positional, positionalSpans, named }, span);
  }

  /** Runs statements; returns the value of a `return`, if one ran. */
  execute(statements: Statement[], env: Env): Value | undefined {
    return execute(this, statements, env);
  }
}

function foldNumbers(
  op: string,
  a: Extract<Value, { kind: 'number' }>,
  b: Extract<Value, { kind: 'number' }>,
  span: Span,
): Value {
  const both = a.integer && b.integer;
  switch (op) {
    case '+':
      return number(a.value + b.value, both);
    case '-':
      return number(a.value - b.value, both);
    case '*':
      return number(a.value * b.value, both);
    case '/':
      if (b.value === 0) return fail('SEG4033', span);
      return number(a.value / b.value, both && Number.isInteger(a.value / b.value));
    case '^':
      return number(a.value ** b.value, both && b.value >= 0);
    case '==':
      return { kind: 'bool', value: a.value === b.value };
    case '!=':
      return { kind: 'bool', value: a.value !== b.value };
    case '<':
      return { kind: 'bool', value: a.value < b.value };
    case '<=':
      return { kind: 'bool', value: a.value <= b.value };
    case '>':
      return { kind: 'bool', value: a.value > b.value };
    case '>=':
      return { kind: 'bool', value: a.value >= b.value };
    default:
      throw new InternalError(`unknown operator ${op}`);
  }
}
