// Linear maps over the channel dim (a dense layer on [N,C], a 1x1 layer on [N,C,S]) with their gradients, and
// constant padding (negative amounts crop) of the spatial dims.
import type { Attrs, TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { aroundChannels, product } from './spatial.ts';

function withChannels(type: TensorType, c: number): TensorType {
  return { dims: type.dims.map((d) => (d.name === 'C' ? { name: 'C', size: c } : d)), dtype: 'f32' };
}

function matrix(w: TensorType, op: string): { rows: number; columns: number } {
  if (w.dims.map((d) => d.name).join(',') !== 'O,I')
    throw new ShapeError(`'${op}' needs a weight [O,I], found ${formatType(w)}`);
  return { rows: w.dims[0].size, columns: w.dims[1].size };
}

/** Spatial dims of a padded tensor: every dim after N and C. */
function padded(x: TensorType, attrs: Attrs, op: string): TensorType {
  const before = attrs.before as number[];
  const after = attrs.after as number[];
  const spatial = x.dims.slice(2);
  if (x.dims[0]?.name !== 'N' || x.dims[1]?.name !== 'C' || spatial.length === 0) {
    throw new ShapeError(`'${op}' expects [N,C,H,W] or [N,C,D,H,W], found ${formatType(x)}`);
  }
  if (before.length !== spatial.length || after.length !== spatial.length) {
    throw new ShapeError(
      `'${op}' needs ${spatial.length} amounts before and after, got ${before.length} and ${after.length}`,
    );
  }
  const sizes = spatial.map((d, i) => d.size + before[i] + after[i]);
  if (sizes.some((s) => s < 1)) throw new ShapeError(`'${op}' crops ${formatType(x)} to nothing`);
  return {
    dims: [...x.dims.slice(0, 2), ...spatial.map((d, i) => ({ name: d.name, size: sizes[i] }))],
    dtype: 'f32',
  };
}

/** For each output element of a pad, the input element it copies, or -1 for the fill value. */
export function padSource(x: TensorType, attrs: Attrs, out: TensorType): (flat: number) => number {
  const before = attrs.before as number[];
  const inSizes = x.dims.slice(2).map((d) => d.size);
  const outSizes = out.dims.slice(2).map((d) => d.size);
  const outVolume = product(outSizes);
  const inVolume = product(inSizes);
  return (flat) => {
    const plane = Math.floor(flat / outVolume);
    let rest = flat % outVolume;
    let source = 0;
    for (let d = outSizes.length - 1, stride = 1; d >= 0; d--) {
      const at = (rest % outSizes[d]) - before[d];
      rest = Math.floor(rest / outSizes[d]);
      if (at < 0 || at >= inSizes[d]) return -1;
      source += at * stride;
      stride *= inSizes[d];
    }
    return plane * inVolume + source;
  };
}

export const linearOps: OpDef[] = [
  {
    name: 'channel_mix',
    kind: 'movement',
    doc: 'y[.., o, ..] = sum_i w[o, i] x[.., i, ..] over C (w [O,I]; attr transpose: use w[i, o])',
    inferType: ([x, w], attrs) => {
      const { c } = aroundChannels(x, 'channel_mix');
      const { rows, columns } = matrix(w, 'channel_mix');
      const [into, from] = attrs.transpose ? [columns, rows] : [rows, columns];
      if (from !== c)
        throw new ShapeError(
          `'channel_mix' of ${formatType(x)} needs a weight with ${c} inputs, found ${formatType(w)}`,
        );
      return withChannels(x, into);
    },
    reference: ([x, w], attrs, type) => {
      const { outer, c, inner } = aroundChannels(x.type, 'channel_mix');
      const { columns } = matrix(w.type, 'channel_mix');
      const outC = aroundChannels(type, 'channel_mix').c;
      const out = new Float64Array(outer * outC * inner);
      for (let o = 0; o < outer; o++)
        for (let k = 0; k < outC; k++)
          for (let i = 0; i < inner; i++) {
            let total = 0;
            for (let j = 0; j < c; j++) {
              const weight = attrs.transpose ? w.data[j * columns + k] : w.data[k * columns + j];
              total += weight * x.data[(o * c + j) * inner + i];
            }
            out[(o * outC + k) * inner + i] = total;
          }
      return out;
    },
    vjp: (b, n, g) => {
      const [x, w] = n.inputs;
      const transposed = !n.attrs.transpose;
      // dL/dw[o, i] pairs the output channel o with the input channel i (swapped when the map used w
      // transposed).
      const gradW = n.attrs.transpose
        ? b.add('channel_outer', [g, x], {})
        : b.add('channel_outer', [x, g], {});
      return [b.add('channel_mix', [g, w], { transpose: transposed }), gradW];
    },
  },
  {
    name: 'channel_outer',
    kind: 'movement',
    doc:
      'w[o, i] = sum over every other dim of g[.., o, ..] x[.., i, ..] (inputs x, g): the weight ' +
      'gradient of channel_mix',
    inferType: ([x, g]) => {
      const a = aroundChannels(x, 'channel_outer');
      const b = aroundChannels(g, 'channel_outer');
      if (a.outer !== b.outer || a.inner !== b.inner)
        throw new ShapeError(`'channel_outer' of ${formatType(x)} and ${formatType(g)}`);
      return {
        dims: [
          { name: 'O', size: b.c },
          { name: 'I', size: a.c },
        ],
        dtype: 'f32',
      };
    },
    reference: ([x, g]) => {
      const a = aroundChannels(x.type, 'channel_outer');
      const outC = aroundChannels(g.type, 'channel_outer').c;
      const out = new Float64Array(outC * a.c);
      for (let o = 0; o < a.outer; o++)
        for (let k = 0; k < outC; k++)
          for (let j = 0; j < a.c; j++)
            for (let i = 0; i < a.inner; i++)
              out[k * a.c + j] += g.data[(o * outC + k) * a.inner + i] * x.data[(o * a.c + j) * a.inner + i];
      return out;
    },
  },
  {
    name: 'pad',
    kind: 'movement',
    doc: 'constant padding of the spatial dims: attrs before/after per dim (negative amounts crop), value',
    inferType: ([x], attrs) => padded(x, attrs, 'pad'),
    reference: ([x], attrs, type) => {
      const source = padSource(x.type, attrs, type);
      return Float64Array.from({ length: product(type.dims.map((d) => d.size)) }, (_, i) => {
        const from = source(i);
        return from < 0 ? (attrs.value as number) : x.data[from];
      });
    },
    // The gradient crops what was added (and pads back what was cropped, with zeros).
    vjp: (b, n, g) => {
      const negate = (xs: number[]) => xs.map((v) => -v);
      return [
        b.add('pad', [g], {
          before: negate(n.attrs.before as number[]),
          after: negate(n.attrs.after as number[]),
          value: 0,
        }),
      ];
    },
  },
];
