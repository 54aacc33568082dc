// The tensor graph IR: nodes in topological order, each with an op, operands, attributes and a named-dim
// type.
import type { Span } from '../../diagnostics/diagnostic.ts';

/** f32 tensors, or u8 data (images, labels) stored packed four to a u32 word on the GPU. */
export type DType = 'f32' | 'u8';

export interface Dim {
  name: string;
  size: number;
}

export interface TensorType {
  dims: Dim[];
  dtype: DType;
}

export type AttrValue = number | string | boolean | number[] | string[];
export type Attrs = Record<string, AttrValue>;

export interface Node {
  id: number;
  op: string;
  inputs: number[];
  attrs: Attrs;
  type: TensorType;
  /** The .seg source this node was staged from (for `segc graph`, `segc wgsl` and runtime errors). */
  span?: Span;
  /**
   * In the backward pass: the forward node whose vector-Jacobian product this node is part of (so a runtime
   * error in a gradient names the op and .seg source it differentiates).
   */
  gradientOf?: number;
}

/**
 * What a graph output is for: a reported value (accumulated), a gradient, the new value of a state tensor, or
 * a tensor read back as it is (predictions).
 */
export interface Output {
  name: string;
  node: number;
  role: 'value' | 'gradient' | 'state' | 'tensor';
}

export interface Graph {
  nodes: Node[];
  outputs: Output[];
}

/** Canonical position of the standard dims; other names follow in order of first appearance. */
const DIM_RANK: Record<string, number> = { N: 0, C: 1, D: 2, H: 3, W: 4 };

export function dimRank(name: string): number {
  return DIM_RANK[name] ?? 100;
}

export const SPATIAL_DIMS = ['D', 'H', 'W'];

export function elementCount(type: TensorType): number {
  return type.dims.reduce((n, d) => n * d.size, 1);
}

export function dimNames(type: TensorType): string[] {
  return type.dims.map((d) => d.name);
}

export function findDim(type: TensorType, name: string): Dim | undefined {
  return type.dims.find((d) => d.name === name);
}

export function formatType(type: TensorType): string {
  const dims = type.dims.map((d) => `${d.name}=${d.size}`).join(',');
  return `${type.dtype}[${dims}]`;
}

/** Row-major strides of a tensor, by dim name. */
export function stridesOf(type: TensorType): Map<string, number> {
  const strides = new Map<string, number>();
  let stride = 1;
  for (let i = type.dims.length - 1; i >= 0; i--) {
    strides.set(type.dims[i].name, stride);
    stride *= type.dims[i].size;
  }
  return strides;
}

/** A shape rule's complaint; staging turns it into a diagnostic at the offending expression. */
export class ShapeError extends Error {}

/** The union of several tensors' dims, by name, in canonical order; sizes must agree. */
export function broadcastDims(types: TensorType[]): Dim[] {
  const byName = new Map<string, Dim>();
  const order: string[] = [];
  for (const type of types) {
    for (const dim of type.dims) {
      const seen = byName.get(dim.name);
      if (!seen) {
        byName.set(dim.name, dim);
        order.push(dim.name);
      } else if (seen.size !== dim.size) {
        const shapes = types.map(formatType).join(' and ');
        throw new ShapeError(
          `dimension '${dim.name}' is ${seen.size} in one operand and ${dim.size} in another (${shapes})`,
        );
      }
    }
  }
  const ranked = order.map((name, index) => ({ name, index }));
  ranked.sort((a, b) => dimRank(a.name) - dimRank(b.name) || a.index - b.index);
  return ranked.map((r) => byName.get(r.name)!);
}

/** Nodes the graph's outputs depend on (the outputs included). */
export function liveNodes(graph: Graph): Set<number> {
  const live = new Set<number>();
  const stack = graph.outputs.map((o) => o.node);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    stack.push(...graph.nodes[id].inputs);
  }
  return live;
}
