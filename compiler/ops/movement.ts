// Data movement: max pooling, nearest upsampling, concatenation and slicing along C, with their gradients.
import { ShapeError } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import type { Nchw } from './spatial.ts';
import { foldedNchw, foldedType, nchw, nchwType } from './spatial.ts';

const flat = (s: Nchw, n: number, c: number, y: number, x: number) => ((n * s.c + c) * s.h + y) * s.w + x;

/** The attribute `value` as a positive int, or a ShapeError naming it as `what`. */
function positiveInt(value: unknown, what: string): number {
  const k = value as number;
  if (!Number.isInteger(k) || k < 1) throw new ShapeError(`the ${what} must be a positive int, not ${k}`);
  return k;
}

/** Zeros, one per element of s. */
const zeros = (s: Nchw) => new Float64Array(s.n * s.c * s.h * s.w);

/** Calls visit(n, c, y, x) for every element of s. */
function each(s: Nchw, visit: (n: number, c: number, y: number, x: number) => void): void {
  for (let n = 0; n < s.n; n++)
    for (let c = 0; c < s.c; c++)
      for (let y = 0; y < s.h; y++) for (let x = 0; x < s.w; x++) visit(n, c, y, x);
}

/** Input offset of the first maximum of a pooling window, PyTorch's tie rule (row-major first). */
function windowArgmax(
  data: Float64Array,
  s: Nchw,
  k: number,
  n: number,
  c: number,
  y: number,
  x: number,
): number {
  let best = -Infinity;
  let at = flat(s, n, c, y * k, x * k);
  for (let dy = 0; dy < k; dy++)
    for (let dx = 0; dx < k; dx++) {
      const i = flat(s, n, c, y * k + dy, x * k + dx);
      if (data[i] > best) {
        best = data[i];
        at = i;
      }
    }
  return at;
}

export const movementOps: OpDef[] = [
  {
    name: 'maxpool2d',
    kind: 'movement',
    doc: 'max pooling with a square window equal to its stride (floor mode)',
    inferType: ([x], attrs) => {
      const s = nchw(x, 'maxpool2d');
      const k = positiveInt(attrs.size, 'maxpool window');
      if (s.h < k || s.w < k) throw new ShapeError(`maxpool window ${k} is larger than ${s.h}x${s.w}`);
      return nchwType({ ...s, h: Math.floor(s.h / k), w: Math.floor(s.w / k) });
    },
    reference: ([x], attrs, type) => {
      const s = nchw(x.type, 'maxpool2d');
      const o = nchw(type, 'maxpool2d');
      const out = zeros(o);
      const k = attrs.size as number;
      each(o, (n, c, y, xx) => (out[flat(o, n, c, y, xx)] = x.data[windowArgmax(x.data, s, k, n, c, y, xx)]));
      return out;
    },
    vjp: (b, n, g) => [b.add('maxpool2d_grad', [n.inputs[0], g], { size: n.attrs.size })],
  },
  {
    name: 'maxpool2d_grad',
    kind: 'movement',
    doc: 'routes each pooled gradient to the first maximum of its window',
    inferType: ([x]) => x,
    reference: ([x, g], attrs) => {
      const s = nchw(x.type, 'maxpool2d_grad');
      const o = nchw(g.type, 'maxpool2d_grad');
      const out = new Float64Array(x.data.length);
      const k = attrs.size as number;
      each(
        o,
        (n, c, y, xx) => (out[windowArgmax(x.data, s, k, n, c, y, xx)] += g.data[flat(o, n, c, y, xx)]),
      );
      return out;
    },
  },
  {
    name: 'upsample_nearest',
    kind: 'movement',
    doc: 'nearest-neighbour upsampling by an integer factor',
    inferType: ([x], attrs) => {
      const s = nchw(x, 'upsample_nearest');
      const k = positiveInt(attrs.scale, 'upsampling scale');
      return nchwType({ ...s, h: s.h * k, w: s.w * k });
    },
    reference: ([x], attrs, type) => {
      const s = nchw(x.type, 'upsample_nearest');
      const o = nchw(type, 'upsample_nearest');
      const k = attrs.scale as number;
      const out = zeros(o);
      each(
        o,
        (n, c, y, xx) =>
          (out[flat(o, n, c, y, xx)] = x.data[flat(s, n, c, Math.floor(y / k), Math.floor(xx / k))]),
      );
      return out;
    },
    vjp: (b, n, g) => [b.add('upsample_nearest_grad', [g], { scale: n.attrs.scale })],
  },
  {
    name: 'upsample_nearest_grad',
    kind: 'movement',
    doc: 'sums each scale x scale block of the upsampled gradient',
    inferType: ([g], attrs) => {
      const s = nchw(g, 'upsample_nearest_grad');
      const k = attrs.scale as number;
      return nchwType({ ...s, h: s.h / k, w: s.w / k });
    },
    reference: ([g], attrs, type) => {
      const s = nchw(g.type, 'upsample_nearest_grad');
      const o = nchw(type, 'upsample_nearest_grad');
      const k = attrs.scale as number;
      const out = zeros(o);
      each(
        s,
        (n, c, y, xx) =>
          (out[flat(o, n, c, Math.floor(y / k), Math.floor(xx / k))] += g.data[flat(s, n, c, y, xx)]),
      );
      return out;
    },
  },
  {
    name: 'concat',
    kind: 'movement',
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
    kind: 'movement',
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
