// Linear maps over the channel dim (a dense layer on [N,C], a 1x1 layer on [N,C,S]) with their gradients.
import type { TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { aroundChannels } from './spatial.ts';

function withChannels(type: TensorType, c: number): TensorType {
  return { dims: type.dims.map((d) => (d.name === 'C' ? { name: 'C', size: c } : d)), dtype: 'f32' };
}

function matrix(w: TensorType, op: string): { rows: number; columns: number } {
  if (w.dims.map((d) => d.name).join(',') !== 'O,I')
    throw new ShapeError(`'${op}' needs a weight [O,I], found ${formatType(w)}`);
  return { rows: w.dims[0].size, columns: w.dims[1].size };
}

export const linearOps: OpDef[] = [
  {
    name: 'channel_mix',
    kind: 'linear',
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
    kind: 'linear',
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
];
