// General convolution, 2-D and 3-D, with stride, zero padding, dilation and groups
// (torch.nn.functional.conv2d/3d semantics), and its two backward ops. The input gradient is also the
// transposed convolution (conv_transpose). Tensors are [N,C,H,W] or [N,C,D,H,W]; weights [O,I,KH,KW] or
// [O,I,KD,KH,KW] with I = C / groups. The stride-1 2-D case (isPlainConv2d) is lowered to codegen's tiled
// kernels, the rest to its direct ones; the ops and their float64 semantics are the same.
import type { Attrs, TensorType } from '../ir/types.ts';
import { ShapeError, formatType } from '../ir/types.ts';
import type { OpDef } from './op.ts';
import { product, unflatten } from './spatial.ts';

export interface ConvGeometryNd {
  n: number;
  ci: number;
  co: number;
  groups: number;
  /** Spatial dim names (H,W or D,H,W), input and output sizes along them. */
  spatial: string[];
  input: number[];
  output: number[];
  kernel: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
}

export interface ConvAttrs {
  stride: number[];
  pad: number[];
  dilation: number[];
  groups: number;
}

const SPATIAL = { 2: ['H', 'W'], 3: ['D', 'H', 'W'] } as Record<number, string[]>;

export function convAttrs(attrs: Attrs): ConvAttrs {
  return {
    stride: attrs.stride as number[],
    pad: attrs.pad as number[],
    dilation: attrs.dilation as number[],
    groups: attrs.groups as number,
  };
}

/** The weight type [O, I, K...] for `co` outputs, `ci / groups` inputs per group and kernel sizes. */
export function convWeightType(co: number, ciPerGroup: number, kernel: number[]): TensorType {
  const names = kernel.length === 3 ? ['KD', 'KH', 'KW'] : ['KH', 'KW'];
  const dims = [
    { name: 'O', size: co },
    { name: 'I', size: ciPerGroup },
    ...kernel.map((size, i) => ({ name: names[i], size })),
  ];
  return { dims, dtype: 'f32' };
}

function activationType(n: number, c: number, spatial: string[], sizes: number[]): TensorType {
  const dims = [
    { name: 'N', size: n },
    { name: 'C', size: c },
    ...spatial.map((name, i) => ({ name, size: sizes[i] })),
  ];
  return { dims, dtype: 'f32' };
}

function spatialOf(
  type: TensorType,
  op: string,
): { n: number; c: number; spatial: string[]; sizes: number[] } {
  const names = type.dims.map((d) => d.name);
  const rank = names.length - 2;
  const spatial = SPATIAL[rank];
  if (!spatial || names.join(',') !== ['N', 'C', ...spatial].join(',')) {
    throw new ShapeError(`'${op}' expects a tensor [N,C,H,W] or [N,C,D,H,W], found ${formatType(type)}`);
  }
  const sizes = type.dims.map((d) => d.size);
  return { n: sizes[0], c: sizes[1], spatial, sizes: sizes.slice(2) };
}

function checkAttrs(a: ConvAttrs, rank: number): void {
  const lists: [string, number[], number][] = [
    ['stride', a.stride, 1],
    ['dilation', a.dilation, 1],
    ['padding', a.pad, 0],
  ];
  for (const [what, values, min] of lists) {
    if (
      !Array.isArray(values) ||
      values.length !== rank ||
      values.some((v) => !Number.isInteger(v) || v < min)
    ) {
      throw new ShapeError(`conv ${what} must be ${rank} integers >= ${min}, got ${JSON.stringify(values)}`);
    }
  }
  if (!Number.isInteger(a.groups) || a.groups < 1)
    throw new ShapeError(`conv groups must be an integer >= 1, got ${a.groups}`);
}

/** Geometry from the input type, the weight type and the attributes; output sizes as torch computes them. */
export function convGeometryNd(
  x: TensorType,
  weight: TensorType,
  attrs: ConvAttrs,
  op = 'conv',
): ConvGeometryNd {
  const { n, c, spatial, sizes } = spatialOf(x, op);
  checkAttrs(attrs, spatial.length);
  const w = weight.dims.map((d) => d.size);
  if (w.length !== spatial.length + 2)
    throw new ShapeError(
      `a ${spatial.length}-D conv weight needs ${spatial.length + 2} dims, found ${formatType(weight)}`,
    );
  const [co, ciPerGroup, ...kernel] = w;
  if (co < 1 || kernel.some((k) => k < 1))
    throw new ShapeError(`a conv needs at least one output channel and a kernel of size >= 1`);
  const { groups } = attrs;
  if (c % groups !== 0 || co % groups !== 0) {
    throw new ShapeError(
      `conv groups ${groups} must divide the input channels (${c}) and output channels (${co})`,
    );
  }
  if (ciPerGroup !== c / groups)
    throw new ShapeError(
      `conv input has ${c} channels in ${groups} groups, but the weight expects ${ciPerGroup} per group`,
    );
  const output = sizes.map(
    (size, d) =>
      Math.floor((size + 2 * attrs.pad[d] - attrs.dilation[d] * (kernel[d] - 1) - 1) / attrs.stride[d]) + 1,
  );
  if (output.some((size) => size < 1)) {
    throw new ShapeError(
      `conv kernel ${kernel.join('x')} (dilation ${attrs.dilation.join('x')}, padding ` +
        `${attrs.pad.join('x')}) does not fit ${sizes.join('x')}`,
    );
  }
  return { n, ci: c, co, spatial, input: sizes, output, kernel, ...attrs };
}

/**
 * Output sizes of a transposed convolution (torch conv_transposeNd):
 * (in - 1)·stride − 2·pad + dilation·(k − 1) + output_padding + 1. It is the input gradient of the
 * convolution that maps those sizes back to `input`.
 */
export function transposedSizes(
  input: number[],
  kernel: number[],
  attrs: ConvAttrs,
  outputPadding: number[],
): number[] {
  return input.map((size, d) => {
    if (!(outputPadding[d] >= 0 && outputPadding[d] < Math.max(attrs.stride[d], attrs.dilation[d]))) {
      throw new ShapeError(
        `conv_transpose output_padding must be below the stride or dilation, got ${outputPadding.join('x')}`,
      );
    }
    const out =
      (size - 1) * attrs.stride[d] -
      2 * attrs.pad[d] +
      attrs.dilation[d] * (kernel[d] - 1) +
      outputPadding[d] +
      1;
    if (out < 1)
      throw new ShapeError(
        `conv_transpose of size ${size} with padding ${attrs.pad[d]} gives an output of size ${out}`,
      );
    return out;
  });
}

/** Visits every (output, input, weight) flat index triple of the convolution (the oracle's definition). */
export function forEachTapNd(
  g: ConvGeometryNd,
  visit: (out: number, input: number, weight: number) => void,
): void {
  const inVolume = product(g.input);
  const outVolume = product(g.output);
  const taps = product(g.kernel);
  const cig = g.ci / g.groups;
  const cog = g.co / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.co; o++) {
      const group = Math.floor(o / cog);
      for (let p = 0; p < outVolume; p++) {
        const position = unflatten(p, g.output);
        for (let tap = 0; tap < taps; tap++) {
          const k = unflatten(tap, g.kernel);
          let inFlat = 0;
          let inside = true;
          for (let d = 0; d < position.length; d++) {
            const at = position[d] * g.stride[d] - g.pad[d] + k[d] * g.dilation[d];
            if (at < 0 || at >= g.input[d]) inside = false;
            inFlat = inFlat * g.input[d] + at;
          }
          if (!inside) continue;
          for (let i = 0; i < cig; i++) {
            const ic = group * cig + i;
            visit(
              (n * g.co + o) * outVolume + p,
              (n * g.ci + ic) * inVolume + inFlat,
              (o * cig + i) * taps + tap,
            );
          }
        }
      }
    }
}

/**
 * Whether a convolution (or either of its gradients) of kernel sizes `kernel` is the U-Net case: 2-D, a
 * square kernel, equal padding, stride 1, no dilation, one group. Codegen lowers these to its tiled kernels.
 */
export function isPlainConv2d(attrs: Attrs, kernel: number[]): boolean {
  const a = convAttrs(attrs);
  return (
    kernel.length === 2 &&
    kernel[0] === kernel[1] &&
    a.pad.length === 2 &&
    a.pad[0] === a.pad[1] &&
    [...a.stride, ...a.dilation, a.groups].every((v) => v === 1)
  );
}

/**
 * Whether a convolution takes codegen's direct kernels (one thread per output): 3-D ones and depthwise ones
 * (groups > 1 with one input channel per group). The other 2-D ones take the tiled kernels (isPlainConv2d)
 * or implicit GEMMs.
 */
export function isDirectConv(attrs: Attrs, kernel: number[], ciPerGroup: number): boolean {
  return kernel.length !== 2 || ((attrs.groups as number) > 1 && ciPerGroup === 1);
}

/** The kernel sizes of a convolution node: from its weight (forward, input gradient) or its `kernel` attr. */
export function convKernelSizes(op: string, attrs: Attrs, inputs: TensorType[]): number[] {
  if (op === 'convolution_grad_weight') return attrs.kernel as number[];
  return inputs[1].dims.slice(2).map((d) => d.size);
}

const size = (type: TensorType) => product(type.dims.map((d) => d.size));

export const convolutionOps: OpDef[] = [
  {
    name: 'convolution',
    kind: 'conv',
    doc:
      'cross-correlation of x [N,C,S] with w [O,I,K...]: stride, zero padding, dilation and ' +
      'groups (torch conv2d/3d)',
    inferType: ([x, w], attrs) => {
      const g = convGeometryNd(x, w, convAttrs(attrs), 'convolution');
      return activationType(g.n, g.co, g.spatial, g.output);
    },
    reference: ([x, w], attrs, type) => {
      const out = new Float64Array(size(type));
      forEachTapNd(
        convGeometryNd(x.type, w.type, convAttrs(attrs)),
        (o, i, k) => (out[o] += x.data[i] * w.data[k]),
      );
      return out;
    },
    vjp: (b, n, g) => {
      const [x, w] = n.inputs;
      const input = b
        .type(x)
        .dims.slice(2)
        .map((d) => d.size);
      const kernel = b
        .type(w)
        .dims.slice(2)
        .map((d) => d.size);
      return [
        b.add('convolution_grad_input', [g, w], { ...n.attrs, input }),
        b.add('convolution_grad_weight', [x, g], { ...n.attrs, kernel }),
      ];
    },
  },
  {
    name: 'convolution_grad_input',
    kind: 'conv',
    doc:
      "gradient of 'convolution' w.r.t. its input (attr `input`: the input's spatial sizes); " +
      'also the transposed conv',
    inferType: ([g, w], attrs) => {
      const { n, spatial } = spatialOf(g, 'convolution_grad_input');
      const ci = w.dims[1].size * (attrs.groups as number);
      const input = attrs.input as number[];
      if (!Array.isArray(input) || input.some((v) => !Number.isInteger(v) || v < 1)) {
        throw new ShapeError(`'convolution_grad_input' needs input sizes >= 1, got ${JSON.stringify(input)}`);
      }
      const x = activationType(n, ci, spatial, input);
      const geometry = convGeometryNd(x, w, convAttrs(attrs), 'convolution_grad_input');
      if (
        geometry.output.join(',') !==
          g.dims
            .slice(2)
            .map((d) => d.size)
            .join(',') ||
        geometry.co !== g.dims[1].size
      ) {
        throw new ShapeError(
          `'convolution_grad_input' of ${formatType(g)} does not fit an input ${formatType(x)}`,
        );
      }
      return x;
    },
    reference: ([g, w], attrs, type) => {
      const out = new Float64Array(size(type));
      forEachTapNd(
        convGeometryNd(type, w.type, convAttrs(attrs)),
        (o, i, k) => (out[i] += g.data[o] * w.data[k]),
      );
      return out;
    },
    // As an op of its own (the transposed convolution), its gradients are a convolution and a weight
    // gradient.
    vjp: (b, n, gy) => {
      const [g, w] = n.inputs;
      const kernel = b
        .type(w)
        .dims.slice(2)
        .map((d) => d.size);
      const attrs = {
        stride: n.attrs.stride,
        pad: n.attrs.pad,
        dilation: n.attrs.dilation,
        groups: n.attrs.groups,
      };
      return [
        b.add('convolution', [gy, w], attrs),
        b.add('convolution_grad_weight', [gy, g], { ...attrs, kernel }),
      ];
    },
  },
  {
    name: 'convolution_grad_weight',
    kind: 'conv',
    doc:
      "gradient of 'convolution' w.r.t. its weight (attr `kernel`: the kernel sizes), from the " +
      'input and the output gradient',
    inferType: ([x, g], attrs) => {
      const groups = attrs.groups as number;
      const w = convWeightType(g.dims[1].size, x.dims[1].size / groups, attrs.kernel as number[]);
      const geometry = convGeometryNd(x, w, convAttrs(attrs), 'convolution_grad_weight');
      if (
        geometry.output.join(',') !==
        g.dims
          .slice(2)
          .map((d) => d.size)
          .join(',')
      ) {
        throw new ShapeError(
          `'convolution_grad_weight': ${formatType(g)} is not the output of ${formatType(x)}`,
        );
      }
      return w;
    },
    reference: ([x, g], attrs, type) => {
      const out = new Float64Array(size(type));
      forEachTapNd(
        convGeometryNd(x.type, type, convAttrs(attrs)),
        (o, i, k) => (out[k] += g.data[o] * x.data[i]),
      );
      return out;
    },
  },
];
