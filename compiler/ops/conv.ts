// 2-D convolution (stride 1, zero padding) and its two backward ops, on [N,C,H,W] and weights [O,I,KH,KW].
import type { TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { nchw, nchwType } from './spatial.ts';

export interface ConvGeometry {
  n: number;
  ci: number;
  co: number;
  h: number; // input height
  w: number;
  k: number;
  pad: number;
  oh: number;
  ow: number;
}

export function weightType(co: number, ci: number, k: number): TensorType {
  const dims = [
    { name: 'O', size: co },
    { name: 'I', size: ci },
    { name: 'KH', size: k },
    { name: 'KW', size: k },
  ];
  return { dims, dtype: 'f32' };
}

function weightShape(type: TensorType): { co: number; ci: number; k: number } {
  const names = type.dims.map((d) => d.name).join(',');
  if (names !== 'O,I,KH,KW')
    throw new ShapeError(`a conv weight must be [O,I,KH,KW], found ${formatType(type)}`);
  const [co, ci, kh, kw] = type.dims.map((d) => d.size);
  if (kh !== kw) throw new ShapeError('conv kernels must be square');
  return { co, ci, k: kh };
}

export function convGeometry(x: TensorType, weight: TensorType, pad: number): ConvGeometry {
  const { n, c, h, w } = nchw(x, 'conv2d');
  const { co, ci, k } = weightShape(weight);
  if (co < 1 || k < 1)
    throw new ShapeError(`a conv needs at least one output channel and a kernel of size >= 1`);
  if (pad < 0 || !Number.isInteger(pad))
    throw new ShapeError(`conv padding must be a non-negative int, not ${pad}`);
  if (c !== ci) throw new ShapeError(`conv input has ${c} channels but the weight expects ${ci}`);
  const oh = h + 2 * pad - k + 1;
  const ow = w + 2 * pad - k + 1;
  if (oh < 1 || ow < 1) throw new ShapeError(`conv kernel ${k} with padding ${pad} does not fit ${h}x${w}`);
  return { n, ci, co, h, w, k, pad, oh, ow };
}

/** Visits every (output, input, weight) index triple of a convolution. */
function forEachTap(g: ConvGeometry, visit: (out: number, input: number, weight: number) => void): void {
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.co; o++)
      for (let y = 0; y < g.oh; y++)
        for (let x = 0; x < g.ow; x++)
          for (let i = 0; i < g.ci; i++)
            for (let ky = 0; ky < g.k; ky++) {
              const iy = y + ky - g.pad;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.k; kx++) {
                const ix = x + kx - g.pad;
                if (ix < 0 || ix >= g.w) continue;
                const out = ((n * g.co + o) * g.oh + y) * g.ow + x;
                const input = ((n * g.ci + i) * g.h + iy) * g.w + ix;
                visit(out, input, ((o * g.ci + i) * g.k + ky) * g.k + kx);
              }
            }
}

export const convOps: OpDef[] = [
  {
    name: 'conv2d',
    kind: 'conv',
    doc: 'cross-correlation of x [N,C,H,W] with w [O,I,KH,KW], zero padding `pad`, stride 1',
    inferType: ([x, w], attrs) => {
      const g = convGeometry(x, w, attrs.pad as number);
      return nchwType({ n: g.n, c: g.co, h: g.oh, w: g.ow });
    },
    reference: ([x, w], attrs, type) => {
      const g = convGeometry(x.type, w.type, attrs.pad as number);
      const out = new Float64Array(type.dims.reduce((a, d) => a * d.size, 1));
      forEachTap(g, (o, i, k) => (out[o] += x.data[i] * w.data[k]));
      return out;
    },
    vjp: (b, n, g) => {
      const [x, w] = n.inputs;
      const { h, w: width } = nchw(b.type(x), 'conv2d');
      return [
        b.add('conv2d_grad_input', [g, w], { pad: n.attrs.pad, height: h, width }),
        b.add('conv2d_grad_weight', [x, g], { pad: n.attrs.pad, kernel: b.type(w).dims[2].size }),
      ];
    },
  },
  {
    name: 'conv2d_grad_input',
    kind: 'conv',
    doc: 'gradient of conv2d with respect to its input, from the output gradient and the weight',
    inferType: ([g, w], attrs) => {
      const { n } = nchw(g, 'conv2d_grad_input');
      const { ci } = weightShape(w);
      return nchwType({ n, c: ci, h: attrs.height as number, w: attrs.width as number });
    },
    reference: ([g, w], attrs, type) => {
      const geometry = convGeometry(type, w.type, attrs.pad as number);
      const out = new Float64Array(type.dims.reduce((a, d) => a * d.size, 1));
      forEachTap(geometry, (o, i, k) => (out[i] += g.data[o] * w.data[k]));
      return out;
    },
  },
  {
    name: 'conv2d_grad_weight',
    kind: 'conv',
    doc: 'gradient of conv2d with respect to its weight, from the input and the output gradient',
    inferType: ([x, g], attrs) => {
      const { c: ci } = nchw(x, 'conv2d_grad_weight');
      const { c: co } = nchw(g, 'conv2d_grad_weight');
      return weightType(co, ci, attrs.kernel as number);
    },
    reference: ([x, g], attrs, type) => {
      const geometry = convGeometry(x.type, type, attrs.pad as number);
      const out = new Float64Array(type.dims.reduce((a, d) => a * d.size, 1));
      forEachTap(geometry, (o, i, k) => (out[k] += g.data[o] * x.data[i]));
      return out;
    },
  },
];
