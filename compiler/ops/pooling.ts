// General pooling (max and average; 2-D and 3-D; kernel, stride, zero/-inf padding) and resizing (nearest,
// bilinear/trilinear with align_corners true or false), with torch semantics, and their gradients.
// Tensors are [N,C,H,W] or [N,C,D,H,W]. The U-Net's k x k stride-k max pooling and whole-number nearest
// upsampling of 2-D tensors (squareMaxPool, wholeUpsample) are lowered to codegen's dedicated kernels.
import type { Attrs, TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { product, unflatten } from './spatial.ts';

const SPATIAL = { 2: ['H', 'W'], 3: ['D', 'H', 'W'] } as Record<number, string[]>;

export interface Spatial {
  n: number;
  c: number;
  spatial: string[];
  sizes: number[];
}

export function spatialShape(type: TensorType, op: string): Spatial {
  const names = type.dims.map((d) => d.name);
  const spatial = SPATIAL[names.length - 2];
  if (!spatial || names.join(',') !== ['N', 'C', ...spatial].join(',')) {
    throw new ShapeError(`'${op}' expects a tensor [N,C,H,W] or [N,C,D,H,W], found ${formatType(type)}`);
  }
  const sizes = type.dims.map((d) => d.size);
  return { n: sizes[0], c: sizes[1], spatial, sizes: sizes.slice(2) };
}

function withSizes(s: Spatial, sizes: number[]): TensorType {
  const dims = [
    { name: 'N', size: s.n },
    { name: 'C', size: s.c },
    ...s.spatial.map((name, i) => ({ name, size: sizes[i] })),
  ];
  return { dims, dtype: 'f32' };
}

// ---- pooling ----------------------------------------------------------------------------------------------

export interface PoolAttrs {
  mode: 'max' | 'avg';
  kernel: number[];
  stride: number[];
  pad: number[];
  /** Average pooling divides by the whole window, padding included (torch's count_include_pad = True). */
  countPad: boolean;
}

export function poolAttrs(attrs: Attrs): PoolAttrs {
  return {
    mode: attrs.mode as PoolAttrs['mode'],
    kernel: attrs.kernel as number[],
    stride: attrs.stride as number[],
    pad: attrs.pad as number[],
    countPad: attrs.count_pad !== false,
  };
}

export function poolOutput(x: TensorType, a: PoolAttrs, op = 'pool'): { s: Spatial; output: number[] } {
  const s = spatialShape(x, op);
  const rank = s.spatial.length;
  for (const [what, values, min] of [
    ['kernel', a.kernel, 1],
    ['stride', a.stride, 1],
    ['padding', a.pad, 0],
  ] as const) {
    if (
      !Array.isArray(values) ||
      values.length !== rank ||
      values.some((v) => !Number.isInteger(v) || v < min)
    ) {
      throw new ShapeError(`pool ${what} must be ${rank} integers >= ${min}, got ${JSON.stringify(values)}`);
    }
  }
  if (a.pad.some((p, d) => p * 2 > a.kernel[d]))
    throw new ShapeError(`pool padding must be at most half the kernel (torch's rule)`);
  const output = s.sizes.map((size, d) => Math.floor((size + 2 * a.pad[d] - a.kernel[d]) / a.stride[d]) + 1);
  if (output.some((v) => v < 1))
    throw new ShapeError(`pool kernel ${a.kernel.join('x')} does not fit ${s.sizes.join('x')}`);
  return { s, output };
}

/**
 * Visits each output element's window: `visit(out, taps)` with the flat input indices inside the tensor, in
 * row-major window order, and the divisor of an average.
 */
export function forEachWindow(
  x: TensorType,
  a: PoolAttrs,
  visit: (out: number, taps: number[], divisor: number) => void,
): void {
  const { s, output } = poolOutput(x, a);
  const inVolume = product(s.sizes);
  const outVolume = product(output);
  const window = product(a.kernel);
  for (let plane = 0; plane < s.n * s.c; plane++) {
    for (let p = 0; p < outVolume; p++) {
      const position = unflatten(p, output);
      const taps: number[] = [];
      for (let t = 0; t < window; t++) {
        const k = unflatten(t, a.kernel);
        let flat = 0;
        let inside = true;
        for (let d = 0; d < k.length; d++) {
          const at = position[d] * a.stride[d] - a.pad[d] + k[d];
          if (at < 0 || at >= s.sizes[d]) inside = false;
          flat = flat * s.sizes[d] + at;
        }
        if (inside) taps.push(plane * inVolume + flat);
      }
      visit(plane * outVolume + p, taps, a.countPad ? window : taps.length);
    }
  }
}

/**
 * The window size k of a 2-D max pooling with a k x k window, stride k and no padding (the U-Net's), else
 * undefined.
 */
export function squareMaxPool(attrs: Attrs): number | undefined {
  const a = poolAttrs(attrs);
  const [k] = a.kernel;
  const square =
    a.mode === 'max' &&
    a.kernel.length === 2 &&
    a.kernel.every((v) => v === k) &&
    a.stride.every((v) => v === k) &&
    a.pad.every((p) => p === 0);
  return square ? k : undefined;
}

/** The tap holding the first maximum (row-major), as torch's max pooling routes its gradient. */
export function firstMax(data: Float64Array, taps: number[]): number {
  let best = taps[0];
  for (const t of taps) if (data[t] > data[best]) best = t;
  return best;
}

// ---- resizing ---------------------------------------------------------------------------------------------

export interface ResizeAttrs {
  mode: 'nearest' | 'linear';
  size: number[];
  alignCorners: boolean;
}

export function resizeAttrs(attrs: Attrs): ResizeAttrs {
  return {
    mode: attrs.mode as ResizeAttrs['mode'],
    size: attrs.size as number[],
    alignCorners: attrs.align_corners === true,
  };
}

/**
 * Source taps of output index `o` along a dim of `inSize` → `outSize`: [index, weight] pairs (torch's
 * upsample_nearest / upsample_linear source-index rules).
 */
export function sourceTaps(o: number, inSize: number, outSize: number, a: ResizeAttrs): [number, number][] {
  // torch: floor(o · scale) in float32, scale = in / out as a float32.
  if (a.mode === 'nearest')
    return [[Math.min(Math.floor(Math.fround(o * Math.fround(inSize / outSize))), inSize - 1), 1]];
  let src: number;
  if (a.alignCorners) src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
  else src = Math.max(((o + 0.5) * inSize) / outSize - 0.5, 0);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  const i1 = Math.min(i0 + 1, inSize - 1);
  const lambda = src - i0;
  return [
    [i0, 1 - lambda],
    [i1, lambda],
  ];
}

/**
 * The scale k of a 2-D nearest resize from `input` sizes to k times them along both dims, when torch's
 * float32 source rule picks exactly output index / k (true for powers of two, checked for the rest); else
 * undefined.
 */
export function wholeUpsample(input: number[], attrs: Attrs): number | undefined {
  const a = resizeAttrs(attrs);
  if (a.mode !== 'nearest' || input.length !== 2 || a.size.length !== 2) return undefined;
  const k = a.size[0] / input[0];
  if (!Number.isInteger(k) || k < 1 || a.size[1] !== input[1] * k) return undefined;
  for (let d = 0; d < 2; d++)
    for (let o = 0; o < a.size[d]; o++)
      if (sourceTaps(o, input[d], a.size[d], a)[0][0] !== Math.floor(o / k)) return undefined;
  return k;
}

/** Visits every (output, input, weight) of a resize: the product of per-dim taps. */
export function forEachResizeTap(
  x: TensorType,
  a: ResizeAttrs,
  visit: (out: number, input: number, weight: number) => void,
): void {
  const s = spatialShape(x, 'resize');
  const inVolume = product(s.sizes);
  const outVolume = product(a.size);
  for (let plane = 0; plane < s.n * s.c; plane++) {
    for (let p = 0; p < outVolume; p++) {
      const position = unflatten(p, a.size);
      let combos: [number, number][] = [[0, 1]];
      position.forEach((o, d) => {
        const taps = sourceTaps(o, s.sizes[d], a.size[d], a);
        combos = combos.flatMap(([flat, w]) =>
          taps.map(([i, tw]) => [flat * s.sizes[d] + i, w * tw] as [number, number]),
        );
      });
      for (const [flat, w] of combos) visit(plane * outVolume + p, plane * inVolume + flat, w);
    }
  }
}

function checkResize(x: TensorType, a: ResizeAttrs, op: string): Spatial {
  const s = spatialShape(x, op);
  if (
    !Array.isArray(a.size) ||
    a.size.length !== s.sizes.length ||
    a.size.some((v) => !Number.isInteger(v) || v < 1)
  ) {
    throw new ShapeError(`resize needs ${s.sizes.length} output sizes >= 1, got ${JSON.stringify(a.size)}`);
  }
  return s;
}

export const poolingOps: OpDef[] = [
  {
    name: 'pool',
    kind: 'pool',
    doc:
      'max or average pooling (attrs mode, kernel, stride, pad, count_pad) over the spatial ' +
      'dims, torch semantics',
    inferType: ([x], attrs) => {
      const { s, output } = poolOutput(x, poolAttrs(attrs));
      return withSizes(s, output);
    },
    reference: ([x], attrs, type) => {
      const a = poolAttrs(attrs);
      const out = new Float64Array(product(type.dims.map((d) => d.size)));
      forEachWindow(x.type, a, (o, taps, divisor) => {
        out[o] =
          a.mode === 'max'
            ? x.data[firstMax(x.data, taps)]
            : taps.reduce((sum, t) => sum + x.data[t], 0) / divisor;
      });
      return out;
    },
    vjp: (b, n, g) => [b.add('pool_grad', [n.inputs[0], g], n.attrs)],
  },
  {
    name: 'pool_grad',
    kind: 'pool',
    doc:
      "gradient of 'pool' w.r.t. its input, from the input (for the max's position) and the " +
      'output gradient',
    inferType: ([x, g], attrs) => {
      const { output } = poolOutput(x, poolAttrs(attrs), 'pool_grad');
      if (
        g.dims
          .slice(2)
          .map((d) => d.size)
          .join(',') !== output.join(',')
      ) {
        throw new ShapeError(`'pool_grad': ${formatType(g)} is not the pooled ${formatType(x)}`);
      }
      return x;
    },
    reference: ([x, g], attrs) => {
      const a = poolAttrs(attrs);
      const out = new Float64Array(x.data.length);
      forEachWindow(x.type, a, (o, taps, divisor) => {
        if (a.mode === 'max') out[firstMax(x.data, taps)] += g.data[o];
        else for (const t of taps) out[t] += g.data[o] / divisor;
      });
      return out;
    },
  },
  {
    name: 'resize',
    kind: 'resize',
    doc:
      'resizing to `size` by nearest or (bi/tri)linear interpolation, align_corners true or ' +
      'false (torch interpolate)',
    inferType: ([x], attrs) =>
      withSizes(checkResize(x, resizeAttrs(attrs), 'resize'), attrs.size as number[]),
    reference: ([x], attrs, type) => {
      const out = new Float64Array(product(type.dims.map((d) => d.size)));
      forEachResizeTap(x.type, resizeAttrs(attrs), (o, i, w) => (out[o] += w * x.data[i]));
      return out;
    },
    vjp: (b, n, g) => {
      const input = b
        .type(n.inputs[0])
        .dims.slice(2)
        .map((d) => d.size);
      return [b.add('resize_grad', [g], { ...n.attrs, input })];
    },
  },
  {
    name: 'resize_grad',
    kind: 'resize',
    doc: "gradient of 'resize' w.r.t. its input (attr `input`: the input's spatial sizes)",
    inferType: ([g], attrs) => {
      const s = spatialShape(g, 'resize_grad');
      const x = withSizes(s, attrs.input as number[]);
      checkResize(x, resizeAttrs(attrs), 'resize_grad');
      return x;
    },
    reference: ([g], attrs, type) => {
      const out = new Float64Array(product(type.dims.map((d) => d.size)));
      forEachResizeTap(type, resizeAttrs(attrs), (o, i, w) => (out[i] += w * g.data[o]));
      return out;
    },
  },
];
