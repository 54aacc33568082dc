// Stages one loss (or fn) definition on named input tensors: its value, named terms and gradients with respect to
// every float input, for `segc grad`.
import type { Definition, Expression } from '../../grammar/index.ts';
import { differentiate } from '../autodiff/index.ts';
import type { Graph } from '../ir/types.ts';
import type { ModuleScope } from '../resolve/index.ts';
import { lossTerms } from './graphs.ts';
import { bindArguments, checkAnnotation } from './signature.ts';
import { Stager } from './stager.ts';
import type { Env } from './stager.ts';
import type { Value } from './values.ts';
import { fail } from './values.ts';

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
}

/** Dim names of an input of rank `rank` from the parameter's annotation (`S` fills the spatial dims). */
export function inputDims(def: Definition, param: string, rank: number): string[] | undefined {
  const type = def.params.find((p) => p.name.name === param)?.type;
  if (!type?.dims) return undefined;
  const fixed = type.dims.filter((d) => d.name !== 'S').length;
  const spatial = ['D', 'H', 'W'].slice(3 - (rank - fixed));
  return type.dims.flatMap((d) => (d.name === 'S' ? spatial : [d.name]));
}

export function stageLoss(
  def: Definition,
  scope: ModuleScope,
  inputs: Map<string, LossInput>,
  numbers: Map<string, number>,
): StagedLoss {
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
  for (const [name, value] of numbers) named.set(name, { value: { kind: 'number', value, integer: false }, span: def.span });
  const vars = bindArguments(s, def, [], named, def.span, scope);
  for (const p of def.params) checkAnnotation(s, p, vars.get(p.name.name)!, p.span);
  const env: Env = { vars, scope };
  let result: Expression;
  if (def.expression) {
    result = def.expression;
  } else {
    const body = def.body ?? [];
    const last = body[body.length - 1];
    if (last?.kind !== 'return') return fail('SEG4004', def.span, `'${def.name.name}' must end with a 'return'.`);
    if (s.execute(body.slice(0, -1), env)) fail('SEG4004', def.span, `'${def.name.name}' returns before its last line.`);
    result = last.value;
  }
  const loss = s.tensor(s.evaluate(result, env), result.span, 'the loss');
  if (b.type(loss).dims.length !== 0) fail('SEG3003', result.span, 'a scalar loss', 'a tensor');
  b.output('loss', loss);
  const scalars = new Set(def.params.filter((p) => vars.get(p.name.name)?.kind === 'number').map((p) => p.name.name));
  const terms = ['loss'];
  for (const term of lossTerms(result, scalars)) {
    b.output(term.name, s.tensor(s.evaluate(term.expression, env), term.expression.span));
    terms.push(term.name);
  }
  const leaves = differentiable.map((name) => b.nodes.find((n) => n.op === 'weight' && n.attrs.name === name)!.id);
  const grads = differentiate(b, loss, leaves);
  differentiable.forEach((name, i) => b.output(`grad.${name}`, grads.get(leaves[i])!, 'gradient'));
  return { graph: b.graph(), terms, differentiable };
}
