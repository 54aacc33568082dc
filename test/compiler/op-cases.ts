// One case per IR op: how to build a small graph around it, with odd sizes and random inputs.
import type { GraphBuilder } from '../../compiler/ir/builder.ts';
import type { Attrs } from '../../compiler/ir/types.ts';

export interface LeafSpec {
  name: string;
  dims: string[];
  sizes: number[];
  /**
   * 'positive' for log/sqrt domains, 'labels' for class indices (u8, some 255), 'small' for values near 0 of both
   * signs (|x| < 1e-3), 'mask' for 0/1 conditions.
   */
  values?: 'normal' | 'positive' | 'labels' | 'small' | 'mask';
}

export interface OpCase {
  op: string;
  label?: string;
  leaves: LeafSpec[];
  attrs?: Attrs;
  /** Large cases exist for the GPU's split code paths; their vjp is already checked on a small case. */
  gpuOnly?: boolean;
}

const x3 = (values: LeafSpec['values'] = 'normal'): LeafSpec => ({ name: 'x', dims: ['N', 'C', 'W'], sizes: [2, 3, 7], values });
const nchw = (name: string, c: number, h: number, w: number): LeafSpec => ({
  name,
  dims: ['N', 'C', 'H', 'W'],
  sizes: [2, c, h, w],
});
const perClass: LeafSpec = { name: 'b', dims: ['C'], sizes: [3] };
const labels: LeafSpec = { name: 'y', dims: ['N', 'W'], sizes: [2, 7], values: 'labels' };

export const opCases: OpCase[] = [
  ...['neg', 'exp', 'abs', 'sign', 'relu', 'stop_gradient'].map((op) => ({ op, leaves: [x3()] })),
  ...['log', 'sqrt', 'rsqrt', 'log1p'].map((op) => ({ op, leaves: [x3('positive')] })),
  { op: 'tanh', leaves: [x3()] },
  { op: 'log1p', label: 'log1p of small and negative values', leaves: [{ ...x3(), values: 'small' }] },
  { op: 'where', leaves: [{ ...x3(), name: 'c', values: 'mask' }, x3(), perClass] },
  { op: 'pow', label: 'pow 3 (negative bases)', leaves: [x3()], attrs: { exponent: 3 } },
  { op: 'pow', label: 'pow 2', leaves: [x3()], attrs: { exponent: 2 } },
  { op: 'pow', label: 'pow 0.75', leaves: [x3('positive')], attrs: { exponent: 0.75 } },
  { op: 'pow', label: 'pow -2', leaves: [x3('positive')], attrs: { exponent: -2 } },
  { op: 'leaky_relu', leaves: [x3()], attrs: { slope: 0.1 } },
  { op: 'clamp', leaves: [x3()], attrs: { min: -0.5, max: 0.7 } },
  ...['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'eq'].map((op) => ({
    op,
    leaves: [x3(op === 'div' ? 'normal' : 'normal'), op === 'div' ? { ...perClass, values: 'positive' as const } : perClass],
  })),
  { op: 'expand', leaves: [perClass], attrs: { dims: ['N', 'C', 'W'], sizes: [2, 3, 7] } },
  { op: 'onehot', leaves: [labels], attrs: { dim: 'C', size: 3 } },
  { op: 'valid', leaves: [labels], attrs: { ignore: 255 } },
  { op: 'sum', label: 'sum over C', leaves: [x3()], attrs: { axes: ['C'] } },
  { op: 'sum', label: 'sum over N,W', leaves: [x3()], attrs: { axes: ['N', 'W'] } },
  { op: 'sum', label: 'sum of a large tensor', leaves: [nchw('x', 3, 19, 23)], attrs: { axes: ['N', 'H', 'W'] } },
  { op: 'sum', label: 'sum split into chunks', leaves: [nchw('x', 3, 80, 80)], attrs: { axes: ['N', 'H', 'W'] }, gpuOnly: true },
  { op: 'max', label: 'max split into chunks', leaves: [nchw('x', 1, 90, 90)], attrs: { axes: ['N', 'C', 'H', 'W'] }, gpuOnly: true },
  { op: 'max', leaves: [x3()], attrs: { axes: ['C'] } },
  { op: 'argmax', leaves: [x3()], attrs: { axes: ['C'] } },
  { op: 'conv2d', label: 'conv2d 3x3 pad 1', leaves: [nchw('x', 3, 5, 7), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [4, 3, 3, 3] }], attrs: { pad: 1 } },
  { op: 'conv2d', label: 'conv2d 3x3 pad 0', leaves: [nchw('x', 2, 6, 5), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [3, 2, 3, 3] }], attrs: { pad: 0 } },
  { op: 'conv2d', label: 'conv2d 1x1', leaves: [nchw('x', 3, 5, 7), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [2, 3, 1, 1] }], attrs: { pad: 0 } },
  { op: 'conv2d', label: 'conv2d full tiles', leaves: [nchw('x', 4, 8, 8), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [8, 4, 3, 3] }], attrs: { pad: 1 } },
  { op: 'maxpool2d', leaves: [nchw('x', 3, 6, 8)], attrs: { size: 2 } },
  { op: 'maxpool2d', label: 'maxpool2d odd', leaves: [nchw('x', 2, 5, 7)], attrs: { size: 2 } },
  { op: 'upsample_nearest', leaves: [nchw('x', 3, 3, 4)], attrs: { scale: 2 } },
  { op: 'concat', leaves: [nchw('a', 3, 4, 5), nchw('b', 2, 4, 5)] },
  { op: 'slice', leaves: [nchw('x', 5, 3, 4)], attrs: { start: 1, size: 3 } },
  { op: 'conv2d_grad_input', leaves: [nchw('g', 4, 5, 7), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [4, 3, 3, 3] }], attrs: { pad: 1, height: 5, width: 7 } },
  { op: 'conv2d_grad_weight', leaves: [nchw('x', 3, 5, 7), nchw('g', 4, 5, 7)], attrs: { pad: 1, kernel: 3 } },
  { op: 'conv2d_grad_weight', label: 'conv2d_grad_weight split into chunks', leaves: [nchw('x', 4, 72, 72), nchw('g', 8, 72, 72)], attrs: { pad: 1, kernel: 3 } },
  { op: 'maxpool2d_grad', leaves: [nchw('x', 3, 6, 8), nchw('g', 3, 3, 4)], attrs: { size: 2 } },
  { op: 'upsample_nearest_grad', leaves: [nchw('g', 3, 6, 8)], attrs: { scale: 2 } },
];

/** Adds the case's leaves to the builder: labels as u8 inputs, the rest as f32 weights (differentiable). */
export function buildLeaves(b: GraphBuilder, leaves: LeafSpec[]): number[] {
  return leaves.map((leaf) =>
    leaf.values === 'labels'
      ? b.add('input', [], { name: leaf.name, dims: leaf.dims, sizes: leaf.sizes, dtype: 'u8' })
      : b.add('weight', [], { name: leaf.name, dims: leaf.dims, sizes: leaf.sizes }),
  );
}
