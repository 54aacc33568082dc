// Binding call arguments to a definition's parameters (positional, keyword, defaults) and checking
// annotations.
import type { Definition, Parameter, Span } from '../../grammar/index.ts';
import { suggest } from '../../diagnostics/index.ts';
import { formatType } from '../ir/types.ts';
import type { ModuleScope } from '../resolve/index.ts';
import type { Stager } from './stager.ts';
import type { NamedArgument, Value } from './values.ts';
import { describeValue, fail, failWithHint } from './values.ts';

const STANDARD_DIMS = new Set(['N', 'C', 'D', 'H', 'W']);

export function bindArguments(
  stager: Stager,
  def: Definition,
  positional: Value[],
  named: Map<string, NamedArgument>,
  span: Span,
  scope: ModuleScope,
): Map<string, Value> {
  const name = `'${def.name.name}'`;
  const expected =
    requiredCount(def) === def.params.length
      ? `${def.params.length}`
      : `${requiredCount(def)} to ${def.params.length}`;
  if (positional.length > def.params.length) fail('SEG4001', span, name, expected, positional.length);
  const vars = new Map<string, Value>();
  const names = def.params.map((p) => p.name.name);
  for (const [key, arg] of named) {
    if (!names.includes(key)) failWithHint(suggest(key, names), 'SEG4002', arg.span, `'${key}'`, name);
    if (names.indexOf(key) < positional.length) {
      fail('SEG4010', arg.span, `'${key}'`, name);
    }
  }
  def.params.forEach((param, i) => {
    const given = i < positional.length ? positional[i] : named.get(param.name.name)?.value;
    if (given) vars.set(param.name.name, given);
    else if (param.default) vars.set(param.name.name, stager.evaluate(param.default, { vars, scope }));
    else fail('SEG4001', span, name, expected, positional.length + named.size);
  });
  return vars;
}

function requiredCount(def: Definition): number {
  return def.params.filter((p) => !p.default).length;
}

/** Checks a bound value against `name: base[dims]`; `S` matches the tensor's spatial dims. */
export function checkAnnotation(stager: Stager, param: Parameter, value: Value, span: Span): void {
  const type = param.type;
  if (!type) return;
  const base = type.base?.name;
  if (base === 'int' || base === 'float') {
    if (value.kind !== 'number' || (base === 'int' && !value.integer)) {
      fail(
        'SEG3003',
        span,
        `${base === 'int' ? 'an int' : 'a number'} for '${param.name.name}'`,
        describeValue(value),
      );
    }
    return;
  }
  const kinds: Record<string, string> = { bool: 'a bool', string: 'a string', list: 'a list' };
  if (base !== undefined && kinds[base]) {
    if (value.kind !== base)
      fail('SEG3003', span, `${kinds[base]} for '${param.name.name}'`, describeValue(value));
    return;
  }
  if (!type.dims) return;
  if (value.kind === 'number' && base === undefined) return; // a scalar broadcasts to any shape
  if (value.kind !== 'tensor')
    fail('SEG3003', span, `a tensor for '${param.name.name}'`, describeValue(value));
  const tensor = stager.b.type(value.node);
  const wantLabels = base === 'labels' || base === 'masks';
  if (wantLabels !== (tensor.dtype === 'u8')) {
    const want = wantLabels
      ? `${base} (${base === 'masks' ? 'multilabel 0/1' : 'class indices'})`
      : 'a float tensor';
    fail('SEG3003', span, `${want} for '${param.name.name}'`, `${formatType(tensor)}`);
  }
  if (base === 'masks' && !stager.isMasks(value.node)) {
    fail('SEG3003', span, `multilabel masks for '${param.name.name}'`, `class indices ${formatType(tensor)}`);
  }
  // A `labels[N,S]` parameter also takes multilabel masks [N,C,S], so one loss serves every label mode.
  const dims =
    base === 'labels' && stager.isMasks(value.node)
      ? type.dims.flatMap((d) => (d.name === 'N' ? [d, { ...d, name: 'C' }] : [d]))
      : type.dims;
  const expected = dims.flatMap((d) => (d.name === 'S' ? stager.spatial(value.node) : [d.name]));
  const actual = tensor.dims.map((d) => d.name);
  const fits =
    expected.length === actual.length && expected.every((d, i) => !STANDARD_DIMS.has(d) || d === actual[i]);
  if (!fits) {
    const written = `[${type.dims.map((d) => d.name).join(',')}]`;
    fail('SEG3003', span, `a tensor ${written} for '${param.name.name}'`, formatType(tensor));
  }
}
