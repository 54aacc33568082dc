// Channel concatenation and slicing of [N,C,H,W] or [N,C,D,H,W] tensors, the slice being concat's gradient.
import { ShapeError } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import type { Nchw } from './spatial.ts';
import { foldedNchw, foldedType } from './spatial.ts';

const flat = (s: Nchw, n: number, c: number, y: number, x: number) => ((n * s.c + c) * s.h + y) * s.w + x;

/** Zeros, one per element of s. */
const zeros = (s: Nchw) => new Float64Array(s.n * s.c * s.h * s.w);

/** Calls visit(n, c, y, x) for every element of s. */
function each(s: Nchw, visit: (n: number, c: number, y: number, x: number) => void): void {
  for (let n = 0; n < s.n; n++)
    for (let c = 0; c < s.c; c++)
      for (let y = 0; y < s.h; y++) for (let x = 0; x < s.w; x++) visit(n, c, y, x);
}

export const concatOps: OpDef[] = [
  {
    name: 'concat',
    kind: 'concat',
    doc: 'concatenation of two [N,C,H,W] or [N,C,D,H,W] tensors along C',
    inferType: ([a, b]) => {
      const x = foldedNchw(a, 'concat');
      const y = foldedNchw(b, 'concat');
      const outside = (t: typeof x) => [t.n, ...t.spatial.map((d) => d.size)].join('x');
      if (outside(x) !== outside(y) || x.spatial.length !== y.spatial.length) {
        throw new ShapeError(`concat operands differ outside C: ${outside(x)} and ${outside(y)}`);
      }
      return foldedType(x.n, x.c + y.c, x.spatial);
    },
    reference: ([a, b], _attrs, type) => {
      const x = foldedNchw(a.type, 'concat');
      const y = foldedNchw(b.type, 'concat');
      const o = foldedNchw(type, 'concat');
      const out = zeros(o);
      each(x, (n, c, yy, xx) => (out[flat(o, n, c, yy, xx)] = a.data[flat(x, n, c, yy, xx)]));
      each(y, (n, c, yy, xx) => (out[flat(o, n, c + x.c, yy, xx)] = b.data[flat(y, n, c, yy, xx)]));
      return out;
    },
    vjp: (b, n, g) => {
      const first = foldedNchw(b.type(n.inputs[0]), 'concat').c;
      const second = foldedNchw(b.type(n.inputs[1]), 'concat').c;
      return [
        b.add('slice', [g], { start: 0, size: first }),
        b.add('slice', [g], { start: first, size: second }),
      ];
    },
  },
  {
    name: 'slice',
    kind: 'slice',
    doc: 'channels [start, start + size) of an [N,C,H,W] or [N,C,D,H,W] tensor',
    inferType: ([x], attrs) => {
      const s = foldedNchw(x, 'slice');
      if ((attrs.start as number) + (attrs.size as number) > s.c) throw new ShapeError('slice runs past C');
      return foldedType(s.n, attrs.size as number, s.spatial);
    },
    reference: ([x], attrs, type) => {
      const s = foldedNchw(x.type, 'slice');
      const o = foldedNchw(type, 'slice');
      const out = zeros(o);
      const start = attrs.start as number;
      each(o, (n, c, y, xx) => (out[flat(o, n, c, y, xx)] = x.data[flat(s, n, c + start, y, xx)]));
      return out;
    },
  },
];
