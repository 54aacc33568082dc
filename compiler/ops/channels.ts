// Channel-group sums (the statistics of group normalisation) and seeded random keep-masks (dropout).
import type { Attrs, TensorType } from '../ir/types.ts';
import { ShapeError } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { aroundChannels } from './spatial.ts';

/**
 * The 32-bit integer hash of the random masks (Wellons' lowbias32); the WGSL kernel computes the same bits.
 */
export function hash32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The uniform [0, 1) draw (24 bits) of element `index` for a seed and a per-mask salt. */
export function randomDraw(seed: number, salt: number, index: number): number {
  const mixed = (Math.imul(index >>> 0, 0x9e3779b9) + hash32((seed >>> 0) ^ saltBits(salt))) >>> 0;
  return (hash32(mixed) >>> 8) / 16777216;
}

/** The salt as the u32 the kernel xors into the seed. */
export function saltBits(salt: number): number {
  return Math.imul(salt, 0x85ebca6b) >>> 0;
}

export function maskType(attrs: Attrs): TensorType {
  const names = attrs.dims as string[];
  const sizes = attrs.sizes as number[];
  return { dims: names.map((name, i) => ({ name, size: sizes[i] })), dtype: 'f32' };
}

export const channelOps: OpDef[] = [
  {
    name: 'group_sum',
    kind: 'group',
    doc: 'each channel gets the sum over the channels of its group (attr groups: how many groups split C)',
    inferType: ([x], attrs) => {
      const { c } = aroundChannels(x, 'group_sum');
      const groups = attrs.groups as number;
      if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
        throw new ShapeError(`group_sum: ${groups} groups do not divide ${c} channels`);
      }
      return { dims: x.dims, dtype: 'f32' };
    },
    reference: ([x], attrs) => {
      const { outer, c, inner } = aroundChannels(x.type, 'group_sum');
      const size = c / (attrs.groups as number);
      const out = new Float64Array(x.data.length);
      for (let o = 0; o < outer; o++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < inner; i++) {
            const first = Math.floor(ch / size) * size;
            let total = 0;
            for (let k = first; k < first + size; k++) total += x.data[(o * c + k) * inner + i];
            out[(o * c + ch) * inner + i] = total;
          }
      return out;
    },
    // The map is symmetric: each output is the sum of its group, so the gradient is the group sum of the
    // gradient.
    vjp: (b, n, g) => [b.add('group_sum', [g], n.attrs)],
  },
  {
    name: 'random_mask',
    kind: 'random',
    doc:
      'a seeded keep-mask of shape attrs.dims: 1/(1 - p) with probability 1 - p, else 0 ' +
      '(dropout); input: the seed',
    inferType: ([seed], attrs) => {
      if (seed.dims.length !== 0) throw new ShapeError('random_mask takes a scalar seed');
      const p = attrs.p as number;
      if (!(p >= 0 && p < 1)) throw new ShapeError(`a dropout probability must be in [0, 1), got ${p}`);
      return maskType(attrs);
    },
    reference: ([seed], attrs, type) => {
      const out = new Float64Array(type.dims.reduce((a, d) => a * d.size, 1));
      const p = attrs.p as number;
      for (let i = 0; i < out.length; i++) {
        // The kernel compares with p as an f32.
        out[i] =
          randomDraw(seed.data[0], attrs.salt as number, i) >= Math.fround(p) ? Math.fround(1 / (1 - p)) : 0;
      }
      return out;
    },
    vjp: () => [undefined],
  },
];
