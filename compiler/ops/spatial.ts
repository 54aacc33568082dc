// Shared shape checks for the spatial ops, which take [N,C,H,W] tensors in that order.
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
  if (names !== 'N,C,H,W') throw new ShapeError(`'${op}' expects a tensor [N,C,H,W], found ${formatType(type)}`);
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
