// Stages one loss (or fn) definition on named input tensors: its value, named terms and gradients with
// respect to every float input, for `segc grad`.
import type { CallExpression, Definition, Expression } from '../../grammar/index.ts';
import type { GraphBuilder } from '../ir/builder.ts';
import type { Graph } from '../ir/types.ts';
import type { ModuleScope } from '../resolve/index.ts';
import { quote } from '../../diagnostics/index.ts';
import { collectArguments, listsAsTensors } from './calls.ts';
import { bindArguments, checkAnnotation } from './signature.ts';
import { Stager } from './stager.ts';
import type { Env } from './stager.ts';
import type { Value } from './values.ts';
import { fail, number } from './values.ts';

export interface LossInput {
  dims: string[];
  sizes: number[];
  /** Class indices (stored as u8, 255 = ignore by default) instead of floats. */
  labels: boolean;
}

export interface StagedLoss {
  graph: Graph;
  /** 'loss' first, then the named terms. */
  terms: string[];
  /** Float inputs, whose gradients are outputs named `grad.<input>`. */
  differentiable: string[];
  /** Constant tensors written as lists in the loss (`w = [1, 2]`): state leaves with their values. */
  constants: Map<string, number[]>;
}

/** A staged loss before differentiation: the builder still open, the scalar loss, what to differentiate. */
export interface StagedLossForward extends Omit<StagedLoss, 'graph'> {
  builder: GraphBuilder;
  loss: number;
  /** The float inputs' leaves, each with its gradient output's name (`grad.<input>`). */
  targets: { node: number; output: string }[];
}

/**
 * Splits `a + alpha * b` into named terms: a `let` variable's name, the callee's name, `l1` for
 * mean(abs(..)), else `term<i>`.
 */
export function lossTerms(
  loss: Expression,
  paramNames: Set<string>,
): { name: string; expression: Expression }[] {
  const summands: Expression[] = [];
  const collect = (e: Expression) => {
    if (e.kind === 'binary' && e.operator === '+') {
      collect(e.left);
      collect(e.right);
    } else summands.push(e);
  };
  collect(loss);
  if (summands.length < 2) return [];
  const isCoefficient = (e: Expression) =>
    e.kind === 'number' || (e.kind === 'name' && paramNames.has(e.name));
  const used = new Map<string, number>();
  return summands.map((summand, i) => {
    let term = summand;
    if (term.kind === 'binary' && term.operator === '*') {
      if (isCoefficient(term.left)) term = term.right;
      else if (isCoefficient(term.right)) term = term.left;
    }
    let name = `term${i + 1}`;
    // A term bound by `let` in the loss body is named after its variable
    // (`let kl = ...; return ce + alpha * kl`).
    if (term.kind === 'name') name = term.name;
    if (term.kind === 'call') {
      const callee = term.callee.name;
      const inner = term.args[0]?.value;
      if (['mean', 'sum'].includes(callee) && inner?.kind === 'call' && inner.callee.name === 'abs')
        name = 'l1';
      else if (!['mean', 'sum'].includes(callee)) name = callee;
    }
    const seen = used.get(name) ?? 0;
    used.set(name, seen + 1);
    return { name: seen === 0 ? name : `${name}${seen + 1}`, expression: term };
  });
}

/** Dim names of an input of rank `rank` from the parameter's annotation (`S` fills the spatial dims). */
/**
 * The named dims of an input of `rank` bound to `param`, from its annotation (`S` expands to D,H,W as
 * needed); undefined when the annotation has no dims. With `spatialRank` known (from the logits), a
 * `labels[N,S]` input with one more axis is multilabel masks [N,C,S].
 */
export function inputDims(
  def: Definition,
  param: string,
  rank: number,
  spatialRank?: number,
): string[] | undefined {
  const type = def.params.find((p) => p.name.name === param)?.type;
  // A scalar (rank 0) for a parameter without dims (`T = 1.0`): differentiable like any float input.
  if (!type?.dims) return rank === 0 && (!type || type.base?.name === undefined) ? [] : undefined;
  const fixed = type.dims.filter((d) => d.name !== 'S').length;
  const masks = type.base?.name === 'labels' && spatialRank !== undefined && rank === fixed + spatialRank + 1;
  const spatial = ['D', 'H', 'W'].slice(3 - (rank - fixed - (masks ? 1 : 0)));
  return type.dims.flatMap((d) => {
    if (d.name === 'S') return spatial;
    return masks && d.name === 'N' ? ['N', 'C'] : [d.name];
  });
}

export function stageLoss(
  def: Definition,
  scope: ModuleScope,
  inputs: Map<string, LossInput>,
  numbers: Map<string, number>,
): StagedLossForward {
  const classes = [...inputs.values()].find((i) => !i.labels && i.dims.includes('C'));
  const s = new Stager({ mode: 'eval', classes: classes?.sizes[classes.dims.indexOf('C')] ?? 1 });
  const b = s.b;
  const named = new Map<string, { value: Value; span: Definition['span'] }>();
  const differentiable: string[] = [];
  for (const [name, input] of inputs) {
    const leaf = input.labels
      ? b.add('input', [], { name, dims: input.dims, sizes: input.sizes, dtype: 'u8' })
      : b.add('weight', [], { name, dims: input.dims, sizes: input.sizes });
    if (!input.labels) differentiable.push(name);
    named.set(name, { value: { kind: 'tensor', node: leaf }, span: def.span });
  }
  for (const [name, value] of numbers) named.set(name, { value: number(value), span: def.span });
  const vars = bindArguments(s, def, [], named, def.span, scope);
  for (const p of def.params) checkAnnotation(s, p, vars.get(p.name.name)!, p.span);
  const { loss, terms: namedTerms } = definitionTerms(s, def, { vars, scope });
  b.output('loss', loss);
  const terms = ['loss'];
  for (const term of namedTerms) {
    b.output(term.name, term.node);
    terms.push(term.name);
  }
  const targets = differentiable.map((name) => ({
    node: b.nodes.find((n) => n.op === 'weight' && n.attrs.name === name)!.id,
    output: `grad.${name}`,
  }));
  const constants = new Map(
    s.weights.flatMap((w) => (w.init.kind === 'values' ? [[w.name, w.init.values] as const] : [])),
  );
  return { builder: b, loss, targets, terms, differentiable, constants };
}

/**
 * Runs a loss definition's body with bound arguments and splits its result into named terms (see lossTerms);
 * returns the scalar loss node and the term nodes.
 */
export function definitionTerms(
  s: Stager,
  def: Definition,
  env: Env,
): { loss: number; terms: { name: string; node: number }[] } {
  let result: Expression;
  if (def.expression) {
    result = def.expression;
  } else {
    const body = def.body ?? [];
    const last = body[body.length - 1];
    // A body that returns from inside an `if` (a mode switch) has a value but no named terms.
    const early = last?.kind === 'return' ? s.execute(body.slice(0, -1), env) : s.execute(body, env);
    if (early || last?.kind !== 'return') {
      if (!early) return fail('SEG4030', def.name.span, quote(def.name.name));
      const loss = s.tensor(early, def.span, 'the loss');
      if (s.b.type(loss).dims.length !== 0) fail('SEG3003', def.span, 'a scalar loss', 'a tensor');
      return { loss, terms: [] };
    }
    result = last.value;
  }
  const loss = s.tensor(s.evaluate(result, env), result.span, 'the loss');
  if (s.b.type(loss).dims.length !== 0) fail('SEG3003', result.span, 'a scalar loss', 'a tensor');
  // Coefficients are parameters bound to scalars: numbers, or scalar tensors such as an experiment's `param`.
  const isScalar = (v: Value | undefined) =>
    v?.kind === 'number' || (v?.kind === 'tensor' && s.b.type(v.node).dims.length === 0);
  const scalars = new Set(
    def.params.filter((p) => isScalar(env.vars.get(p.name.name))).map((p) => p.name.name),
  );
  return { loss, terms: stageTerms(s, result, scalars, env) };
}

/**
 * The named terms of a loss expression, staged: its top-level summands (see lossTerms) or, when it is a
 * single call of a loss definition (`loss = ce_l1(logits, y)`, `bce_l1(...) = ce_l1(...)`), that definition's
 * terms.
 */
export function stageTerms(
  s: Stager,
  loss: Expression,
  scalars: Set<string>,
  env: Env,
): { name: string; node: number }[] {
  const terms = lossTerms(loss, scalars).map((term) => ({
    name: term.name,
    node: s.tensor(s.evaluate(term.expression, env), term.expression.span),
  }));
  if (terms.length === 0 && loss.kind === 'call') return callTerms(s, loss, env);
  return terms;
}

/** Terms of `loss = some_loss(args)` in an experiment: the terms of that definition's result. */
export function callTerms(s: Stager, call: CallExpression, env: Env): { name: string; node: number }[] {
  const callee = env.scope.definitions.get(call.callee.name);
  if (!callee || callee.def.defKind !== 'loss') return [];
  const { positional, named } = collectArguments(call.args, (e) => s.evaluate(e, env));
  const vars = bindArguments(s, callee.def, positional, named, call.span, callee.scope);
  const names = callee.def.params.map((p) => p.name.name);
  listsAsTensors(s, callee.def, vars, (i) => named.get(names[i])?.span ?? call.span);
  return definitionTerms(s, callee.def, { vars, scope: callee.scope }).terms;
}
