// Builds IR graphs: infers each node's type through the op table, folds constants and shares identical nodes
// (constant folding and CSE on construction).
import type { Span } from '../../diagnostics/diagnostic.ts';
import { InternalError } from '../../diagnostics/diagnostic.ts';
import { getOp } from '../ops/index.ts';
import type { Attrs, Graph, Node, Output, TensorType } from './types.ts';

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly outputs: Output[] = [];
  private readonly byKey = new Map<string, number>();
  /** Span given to nodes built while it is set (staging sets it per expression). */
  currentSpan: Span | undefined;

  add(op: string, inputs: number[], attrs: Attrs = {}, span?: Span): number {
    const def = getOp(op);
    const simpler = this.simplify(op, inputs, attrs);
    if (simpler !== undefined) return simpler;
    const key = `${op}|${inputs.join(',')}|${stableJson(attrs)}`;
    const shared = this.byKey.get(key);
    if (shared !== undefined) return shared;
    const type = def.inferType(
      inputs.map((i) => this.type(i)),
      attrs,
    );
    const id = this.nodes.length;
    this.nodes.push({ id, op, inputs, attrs, type, span: span ?? this.currentSpan });
    this.byKey.set(key, id);
    return id;
  }

  /**
   * Constant folding and identities, applied as nodes are built (like CSE): a pointwise op of constants is a
   * constant; x * 1, 1 * x, x + 0, 0 + x, x - 0 and x / 1 are x. (x * 0 is kept: it is NaN for x = inf or
   * NaN.)
   */
  private simplify(op: string, inputs: number[], attrs: Attrs): number | undefined {
    const def = getOp(op);
    if (def.kind !== 'elementwise' || inputs.length === 0) return undefined;
    const constants = inputs.map((i) =>
      this.nodes[i]?.op === 'const' ? (this.nodes[i].attrs.value as number) : undefined,
    );
    // Only scalar results: `expand` of a constant (a zero gradient, say) must keep its shape.
    if (
      def.scalar &&
      constants.every((c) => c !== undefined) &&
      def.inferType(
        inputs.map((i) => this.type(i)),
        attrs,
      ).dims.length === 0
    ) {
      return this.constant(def.scalar(constants as number[], attrs, () => 0));
    }
    if (inputs.length !== 2) return undefined;
    const [a, b] = constants;
    const identity =
      (op === 'mul' && b === 1) || ((op === 'add' || op === 'sub') && b === 0) || (op === 'div' && b === 1);
    // Only for float operands: the op would turn u8 labels into floats.
    const float = (i: number) => this.nodes[i].type.dtype === 'f32';
    if (identity && float(inputs[0])) return inputs[0];
    if (((op === 'mul' && a === 1) || (op === 'add' && a === 0)) && float(inputs[1])) return inputs[1];
    return undefined;
  }

  node(id: number): Node {
    const node = this.nodes[id];
    if (!node) throw new InternalError(`no IR node ${id}`);
    return node;
  }

  type(id: number): TensorType {
    return this.node(id).type;
  }

  output(name: string, node: number, role: Output['role'] = 'value'): void {
    this.outputs.push({ name, node, role });
  }

  graph(): Graph {
    return { nodes: this.nodes, outputs: this.outputs };
  }

  constant(value: number): number {
    return this.add('const', [], { value });
  }

  // Shorthands used by vjp rules and staging.
  binary(op: string, a: number, b: number): number {
    return this.add(op, [a, b]);
  }

  unary(op: string, a: number): number {
    return this.add(op, [a]);
  }

  scale(a: number, factor: number): number {
    return this.add('mul', [a, this.constant(factor)]);
  }

  sum(a: number, axes: string[]): number {
    return axes.length === 0 ? a : this.add('sum', [a], { axes });
  }

  expand(a: number, type: TensorType): number {
    const have = this.type(a)
      .dims.map((d) => d.name)
      .join(',');
    const want = type.dims.map((d) => d.name).join(',');
    if (have === want) return a;
    return this.add('expand', [a], {
      dims: type.dims.map((d) => d.name),
      sizes: type.dims.map((d) => d.size),
    });
  }

  /** Sums a gradient over the dims its operand was broadcast along (by name). */
  unbroadcast(grad: number, target: TensorType): number {
    const keep = new Set(target.dims.map((d) => d.name));
    const extra = this.type(grad)
      .dims.map((d) => d.name)
      .filter((n) => !keep.has(n));
    return this.expand(this.sum(grad, extra), target);
  }
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  // JSON writes NaN and the infinities as null and -0 as 0: constants that must stay apart for CSE.
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)))
    return Object.is(value, -0) ? '-0' : String(value);
  return JSON.stringify(value);
}
