// The shape of an op definition: shape rule, float64 reference, vector-Jacobian product and lowering, side by
// side.
import type { GraphBuilder } from '../ir/builder.ts';
import type { Attrs, Node, TensorType } from '../ir/types.ts';
import { broadcastDims, stridesOf } from '../ir/types.ts';

/**
 * What an op is, which decides how it is lowered (codegen/lowering.ts has one entry per kind): graph leaves,
 * pointwise ops (fused into kernels), reductions, convolutions, pooling, resizing, channel concatenation and
 * slicing, padding, channel maps, channel-group sums and random masks.
 */
export type OpKind =
  | 'leaf'
  | 'elementwise'
  | 'reduce'
  | 'conv'
  | 'pool'
  | 'resize'
  | 'concat'
  | 'slice'
  | 'pad'
  | 'linear'
  | 'group'
  | 'random';

/** A float64 tensor of the oracle. */
export interface RefTensor {
  type: TensorType;
  data: Float64Array;
}

export interface OpDef {
  name: string;
  kind: OpKind;
  doc: string;
  /** Shape rule: the result type, or a ShapeError. */
  inferType(inputs: TensorType[], attrs: Attrs): TensorType;
  /** Float64 semantics for the test oracle (elementwise ops get it from `scalar`). */
  reference?(inputs: RefTensor[], attrs: Attrs, type: TensorType): Float64Array;
  /** Gradients of each input given the gradient of the result, built as IR; undefined = no gradient. */
  vjp?(b: GraphBuilder, node: Node, grad: number): (number | undefined)[];
  /** Elementwise ops: the value at one index; `at(dim)` gives the index along a named dim. */
  scalar?(args: number[], attrs: Attrs, at: (dim: string) => number): number;
  /** Elementwise ops: the WGSL expression; `at(dim)` gives the u32 index expression along a named dim. */
  wgsl?(args: string[], attrs: Attrs, at: (dim: string) => string): string;
}

/** Maps each flat index of `outer` to the flat index of `inner` (whose dims are a subset, by name). */
export function broadcastIndexer(inner: TensorType, outer: TensorType): (flat: number) => number {
  const strides = stridesOf(inner);
  const outerStrides = stridesOf(outer);
  const parts = outer.dims.map((d) => ({
    size: d.size,
    outerStride: outerStrides.get(d.name)!,
    innerStride: strides.get(d.name) ?? 0,
  }));
  return (flat) => {
    let index = 0;
    for (const p of parts) index += (Math.floor(flat / p.outerStride) % p.size) * p.innerStride;
    return index;
  };
}

/** Coordinate lookup for one flat index of a type. */
export function coordinates(type: TensorType, flat: number): (dim: string) => number {
  const strides = stridesOf(type);
  return (dim) => {
    const d = type.dims.find((x) => x.name === dim);
    if (!d) return 0;
    return Math.floor(flat / strides.get(dim)!) % d.size;
  };
}

export function elementwiseType(inputs: TensorType[]): TensorType {
  return { dims: broadcastDims(inputs), dtype: 'f32' };
}
