// Checking every definition of a module, used by an experiment or not (`segc check my_losses.seg`): each
// fn, loss, block and net is staged on small tensors of the shapes its annotations give (a `[N,C,S]` one
// with 2-D and with 3-D S), so unknown names, axes a tensor lacks, arity and keywords, shape mismatches,
// labels used as floats and a loss that is not a scalar are reported without an experiment. Recursion is
// found on the call graph first, and named with its whole cycle.
import type { Definition, Expression, Span, Statement } from '../../grammar/index.ts';
import type { Diagnostic } from '../../diagnostics/index.ts';
import { createDiagnostic } from '../../diagnostics/index.ts';
import { SPATIAL_DIMS, formatType } from '../ir/types.ts';
import type { ModuleScope } from '../resolve/index.ts';
import type { CallArguments } from './calls.ts';
import { callDefinition } from './calls.ts';
import { Stager } from './stager.ts';
import type { NamedArgument, Value } from './values.ts';
import { number } from './values.ts';

/** Sizes of the made-up inputs: a batch of 2, 3 classes (or channels), 4 along each spatial dim of a loss. */
const SIZES = { N: 2, C: 3, other: 3, spatial: 4 };
/**
 * A network's input is larger, so that its poolings fit (a U-Net's levels, a ResNet's stride 32, up to 8
 * halvings); staging costs the same at any size.
 */
const NETWORK_SPATIAL = 256;

type Entry = { def: Definition; scope: ModuleScope };

/** Every error in the definitions of `entry`'s own module, in source order of the definitions. */
export function checkDefinitions(entry: ModuleScope): Diagnostic[] {
  const own = entry.module.definitions.filter((d) => entry.definitions.get(d.name.name)?.def === d);
  const { diagnostics, skipped } = recursion(entry, own);
  for (const def of own) {
    // A fn without parameters is a setting (a transform list, normalisation statistics): its names are
    // catalogue entries, checked where an experiment uses it.
    if (skipped.has(def) || (def.defKind === 'fn' && def.params.length === 0)) continue;
    // An error found with 2-D and again with 3-D inputs (its message naming the sizes) is reported once.
    for (const variant of variants(def)) {
      for (const d of stageDefinition(def, entry, variant)) {
        const same = (k: Diagnostic) =>
          k.code === d.code && k.span?.file === d.span?.file && k.span?.start === d.span?.start;
        if (!diagnostics.some(same)) diagnostics.push(d);
      }
    }
  }
  return diagnostics;
}

// ---- recursion --------------------------------------------------------------------------------------------

interface Edge {
  to: Entry;
  span: Span;
}

/** The definitions a definition calls by name (names its parameters and variables shadow excepted). */
function callees(entry: Entry): Edge[] {
  const { def, scope } = entry;
  const local = new Set(def.params.map((p) => p.name.name));
  const statements = (list: Statement[]) => list.forEach(statement);
  const edges: Edge[] = [];
  const calls: { name: string; span: Span }[] = [];
  function statement(st: Statement): void {
    if (st.kind === 'let' || st.kind === 'assign') {
      local.add(st.name.name);
      expression(st.value);
    } else if (st.kind === 'for') {
      st.targets.forEach((t) => local.add(t.name));
      expression(st.iterable);
      statements(st.body);
    } else if (st.kind === 'if') {
      expression(st.condition);
      statements(st.then);
      statements(st.else ?? []);
    } else expression(st.value);
  }
  function expression(e: Expression): void {
    switch (e.kind) {
      case 'call':
        calls.push({ name: e.callee.name, span: e.callee.span });
        e.args.forEach((a) => expression(a.value));
        return;
      case 'name':
        // A definition passed as a value (`map(f, xs)`) may be called by what it is passed to.
        calls.push({ name: e.name, span: e.span });
        return;
      case 'list':
        return e.elements.forEach(expression);
      case 'binary':
        expression(e.left);
        return expression(e.right);
      case 'unary':
        return expression(e.operand);
      case 'index':
        expression(e.target);
        if (e.index) expression(e.index);
        if (e.slice?.start) expression(e.slice.start);
        if (e.slice?.end) expression(e.slice.end);
        return;
      case 'member':
        return expression(e.target);
      default:
        return;
    }
  }
  def.params.forEach((p) => p.default && expression(p.default));
  if (def.expression) expression(def.expression);
  statements(def.body ?? []);
  for (const call of calls) {
    const to = local.has(call.name) ? undefined : scope.definitions.get(call.name);
    if (to) edges.push({ to, span: call.span });
  }
  return edges;
}

/**
 * Cycles of calls through the module's own definitions, each reported once at its first call in the module
 * (`'even' → 'odd' → 'even'`); the definitions on a cycle or calling into one are not staged.
 */
function recursion(
  module: ModuleScope,
  own: Definition[],
): { diagnostics: Diagnostic[]; skipped: Set<Definition> } {
  const edges = new Map<Definition, Edge[]>();
  const edgesOf = (e: Entry) => {
    if (!edges.has(e.def)) edges.set(e.def, callees(e));
    return edges.get(e.def)!;
  };
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  const onCycle = new Set<Definition>();
  /** A cycle: its definitions, each with the span of the call that reached it, the first one repeated. */
  const report = (cycle: { entry: Entry; span?: Span }[]) => {
    const members = cycle.slice(0, -1);
    // Named from its first member in this module, at the call that member makes. A cycle inside an imported
    // module is that module's error: staging a call into it reports the recursion at the call.
    const first = members.findIndex((p) => p.entry.scope === module);
    if (first < 0) return;
    members.forEach((p) => onCycle.add(p.entry.def));
    const key = members
      .map((p) => p.entry.def.name.name)
      .sort()
      .join(',');
    if (reported.has(key)) return;
    reported.add(key);
    const names = [...members.slice(first), ...members.slice(0, first + 1)].map(
      (p) => `'${p.entry.def.name.name}'`,
    );
    diagnostics.push({
      ...createDiagnostic('SEG4003', cycle[first + 1].span, names.join(' → ')),
      hint: 'definitions are expanded while compiling, so no call may lead back to itself; use a for loop',
    });
  };
  for (const def of own) {
    // Depth-first from each definition of the module, the calls so far in `path`.
    const path: { entry: Entry; span?: Span }[] = [];
    const done = new Set<Definition>();
    const visit = (next: Entry, span?: Span) => {
      const at = path.findIndex((p) => p.entry.def === next.def);
      if (at >= 0) return report([...path.slice(at), { entry: next, span }]);
      if (done.has(next.def)) return;
      path.push({ entry: next, span });
      for (const edge of edgesOf(next)) visit(edge.to, edge.span);
      path.pop();
      done.add(next.def);
    };
    visit({ def, scope: module });
  }
  // What calls into a cycle is not staged either (staging would stop at the recursion again).
  const reaches = (e: Entry, seen: Set<Definition>): boolean => {
    if (onCycle.has(e.def)) return true;
    if (seen.has(e.def)) return false;
    seen.add(e.def);
    return edgesOf(e).some((edge) => reaches(edge.to, seen));
  };
  const skipped = new Set(own.filter((def) => reaches({ def, scope: module }, new Set())));
  return { diagnostics, skipped };
}

// ---- staging on made-up inputs ----------------------------------------------------------------------------

/** The spatial dims to stage a definition with: 2-D, and 3-D too when an annotation says `S`. */
function variants(def: Definition): string[][] {
  const usesS = def.params.some((p) => p.type?.dims?.some((d) => d.name === 'S'));
  return usesS
    ? [
        ['H', 'W'],
        ['D', 'H', 'W'],
      ]
    : [['H', 'W']];
}

const isNetwork = (def: Definition) => def.defKind === 'block' || def.defKind === 'net';

/**
 * The value of each parameter without a default, from its annotation; undefined when one cannot be made up
 * (no annotation, a string or a list), and the definition is then not staged. A block's or net's first
 * parameter without an annotation is its input image.
 */
function madeUpArguments(
  s: Stager,
  def: Definition,
  spatial: string[],
): Map<string, NamedArgument> | undefined {
  const named = new Map<string, NamedArgument>();
  const spatialSize = isNetwork(def) ? NETWORK_SPATIAL : SIZES.spatial;
  const size = (dim: string) =>
    dim === 'N' ? SIZES.N : dim === 'C' ? SIZES.C : SPATIAL_DIMS.includes(dim) ? spatialSize : SIZES.other;
  for (const [i, param] of def.params.entries()) {
    if (param.default) continue;
    const type = param.type;
    const base = type?.base?.name;
    let value: Value | undefined;
    if (!type && i === 0 && isNetwork(def)) {
      value = tensor(s, param.name.name, ['N', 'C', 'H', 'W'], size, false);
    } else if (type?.dims) {
      // `S` is the spatial dims; a non-standard name where C stands (`image[N,Cin,H,W]`) is the channels.
      const dims = type.dims.flatMap((d, k) => {
        if (d.name === 'S') return spatial;
        if (!['N', 'C', ...SPATIAL_DIMS].includes(d.name) && k === 1 && type.dims![0].name === 'N')
          return ['C'];
        return [d.name];
      });
      value = tensor(s, param.name.name, dims, size, base === 'labels' || base === 'masks');
    } else if (base === 'int') value = number(SIZES.C, true);
    else if (base === 'float') value = number(0.5, false);
    else if (base === 'bool') value = { kind: 'bool', value: false };
    if (!value) return undefined;
    named.set(param.name.name, { value, span: param.name.span, valueSpan: param.span });
  }
  return named;
}

function tensor(
  s: Stager,
  name: string,
  dims: string[],
  size: (dim: string) => number,
  labels: boolean,
): Value {
  const node = s.b.add('input', [], {
    name,
    dims,
    sizes: dims.map(size),
    ...(labels ? { dtype: 'u8' } : {}),
  });
  return { kind: 'tensor', node };
}

/**
 * Stages one definition on made-up inputs; its errors (all a recovering stager finds), each with a hint
 * naming the inputs when it has none.
 */
function stageDefinition(def: Definition, scope: ModuleScope, spatial: string[]): Diagnostic[] {
  const s = new Stager({ mode: 'train', classes: SIZES.C, recover: true });
  const named = madeUpArguments(s, def, spatial);
  if (!named) return [];
  const inputs = [...named].map(([name, a]) => `${name} = ${describeInput(s, a.value)}`).join(', ');
  const hint = `found staging '${def.name.name}' on made-up inputs${inputs ? `: ${inputs}` : ''}`;
  const args: CallArguments = { positional: [], positionalSpans: [], named };
  const result = s.guard(() => callDefinition(s, { kind: 'function', def, scope }, args, def.name.span));
  if (def.defKind === 'loss' && result.kind === 'tensor') {
    const dims = s.b.type(result.node).dims.map((d) => d.name);
    if (dims.length > 0) {
      const found = `a tensor [${dims.join(',')}] (reduce it with mean or sum)`;
      s.diagnostics.push(createDiagnostic('SEG3003', resultSpan(def), 'a scalar loss', found));
    }
  }
  return s.diagnostics.map((d) => (d.hint ? d : { ...d, hint }));
}

/** A made-up input as the hint shows it: `f32[N=2,C=3,H=4,W=4]`, `3`. */
function describeInput(s: Stager, value: Value): string {
  if (value.kind === 'tensor') return formatType(s.b.type(value.node));
  if (value.kind === 'number' || value.kind === 'bool') return String(value.value);
  return value.kind;
}

/** Where a definition's result is written: its expression, else its last `return`'s value, else its name. */
function resultSpan(def: Definition): Span {
  if (def.expression) return def.expression.span;
  const last = def.body?.[def.body.length - 1];
  return last?.kind === 'return' ? last.value.span : def.name.span;
}
