// Shared shape helpers of the ops: [N,C,H,W] (and folded 3-D) views, sizes around C, row-major coordinates.
import type { TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';

export interface Nchw {
  n: number;
  c: number;
  h: number;
  w: number;
}

export function nchw(type: TensorType, op: string): Nchw {
  const names = type.dims.map((d) => d.name).join(',');
  if (names !== 'N,C,H,W')
    throw new ShapeError(`'${op}' expects a tensor [N,C,H,W], found ${formatType(type)}`);
  const [n, c, h, w] = type.dims.map((d) => d.size);
  return { n, c, h, w };
}

export function nchwType({ n, c, h, w }: Nchw): TensorType {
  return {
    dims: [
      { name: 'N', size: n },
      { name: 'C', size: c },
      { name: 'H', size: h },
      { name: 'W', size: w },
    ],
    dtype: 'f32',
  };
}

/**
 * [N,C,H,W] or [N,C,D,H,W] seen as [N,C,H',W] with H' = D·H (row-major indexing is the same), for ops that
 * only move whole rows along C (concat, slice). `spatial` keeps the real spatial dims for the result type.
 */
export function foldedNchw(
  type: TensorType,
  op: string,
): Nchw & { spatial: { name: string; size: number }[] } {
  const names = type.dims.map((d) => d.name).join(',');
  if (names !== 'N,C,H,W' && names !== 'N,C,D,H,W') {
    throw new ShapeError(`'${op}' expects a tensor [N,C,H,W] or [N,C,D,H,W], found ${formatType(type)}`);
  }
  const sizes = type.dims.map((d) => d.size);
  const spatial = type.dims.slice(2);
  return {
    n: sizes[0],
    c: sizes[1],
    h: sizes.slice(2, -1).reduce((a, b) => a * b, 1),
    w: sizes[sizes.length - 1],
    spatial,
  };
}

export function foldedType(n: number, c: number, spatial: { name: string; size: number }[]): TensorType {
  return { dims: [{ name: 'N', size: n }, { name: 'C', size: c }, ...spatial], dtype: 'f32' };
}

export const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** Row-major coordinates of a flat index over `sizes`. */
export function unflatten(flat: number, sizes: number[]): number[] {
  const out = new Array<number>(sizes.length);
  for (let d = sizes.length - 1; d >= 0; d--) {
    out[d] = flat % sizes[d];
    flat = Math.floor(flat / sizes[d]);
  }
  return out;
}

/** Sizes around C (row-major): what comes before it, C, what comes after it. */
export function aroundChannels(
  type: TensorType,
  op: string,
): { outer: number; c: number; inner: number; at: number } {
  const at = type.dims.findIndex((d) => d.name === 'C');
  if (at < 0) throw new ShapeError(`'${op}' needs a tensor with a 'C' dimension, found ${formatType(type)}`);
  const sizes = type.dims.map((d) => d.size);
  return { outer: product(sizes.slice(0, at)), c: sizes[at], inner: product(sizes.slice(at + 1)), at };
}
