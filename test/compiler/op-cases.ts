// One case per IR op: how to build a small graph around it, with odd sizes and random inputs.
import type { GraphBuilder } from '../../compiler/ir/builder.ts';
import type { Attrs } from '../../compiler/ir/types.ts';

export interface LeafSpec {
  name: string;
  dims: string[];
  sizes: number[];
  /**
   * 'positive' for log/sqrt domains, 'labels' for class indices (u8, some 255), 'small' for values near 0 of
   * both signs (|x| < 1e-3), 'mask' for 0/1 conditions, 'seed' for a whole-number random seed.
   */
  values?: 'normal' | 'positive' | 'labels' | 'small' | 'mask' | 'seed';
}

export interface OpCase {
  op: string;
  label?: string;
  leaves: LeafSpec[];
  attrs?: Attrs;
  /** Large cases exist for the GPU's split code paths; their vjp is already checked on a small case. */
  gpuOnly?: boolean;
}

const x3 = (values: LeafSpec['values'] = 'normal'): LeafSpec => ({
  name: 'x',
  dims: ['N', 'C', 'W'],
  sizes: [2, 3, 7],
  values,
});
const nchw = (name: string, c: number, h: number, w: number): LeafSpec => ({
  name,
  dims: ['N', 'C', 'H', 'W'],
  sizes: [2, c, h, w],
});
const ncdhw = (name: string, c: number, d: number, h: number, w: number): LeafSpec => ({
  name,
  dims: ['N', 'C', 'D', 'H', 'W'],
  sizes: [2, c, d, h, w],
});
/** The attributes of a plain 2-D convolution (stride 1, no dilation, one group) with padding `pad`. */
const plain = (pad: number) => ({ stride: [1, 1], pad: [pad, pad], dilation: [1, 1], groups: 1 });
const maxPool2 = { mode: 'max', kernel: [2, 2], stride: [2, 2], pad: [0, 0], count_pad: true };
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
    leaves: [
      x3(op === 'div' ? 'normal' : 'normal'),
      op === 'div' ? { ...perClass, values: 'positive' as const } : perClass,
    ],
  })),
  { op: 'expand', leaves: [perClass], attrs: { dims: ['N', 'C', 'W'], sizes: [2, 3, 7] } },
  { op: 'onehot', leaves: [labels], attrs: { dim: 'C', size: 3 } },
  { op: 'valid', leaves: [labels], attrs: { ignore: 255 } },
  { op: 'sum', label: 'sum over C', leaves: [x3()], attrs: { axes: ['C'] } },
  { op: 'sum', label: 'sum over N,W', leaves: [x3()], attrs: { axes: ['N', 'W'] } },
  {
    op: 'sum',
    label: 'sum of a large tensor',
    leaves: [nchw('x', 3, 19, 23)],
    attrs: { axes: ['N', 'H', 'W'] },
  },
  {
    op: 'sum',
    label: 'sum split into chunks',
    leaves: [nchw('x', 3, 80, 80)],
    attrs: { axes: ['N', 'H', 'W'] },
    gpuOnly: true,
  },
  {
    op: 'max',
    label: 'max split into chunks',
    leaves: [nchw('x', 1, 90, 90)],
    attrs: { axes: ['N', 'C', 'H', 'W'] },
    gpuOnly: true,
  },
  { op: 'max', leaves: [x3()], attrs: { axes: ['C'] } },
  { op: 'argmax', leaves: [x3()], attrs: { axes: ['C'] } },
  // Plain 2-D convolutions (stride 1, square kernels): the tiled kernels (1x1: the implicit GEMM on GPUs).
  {
    op: 'convolution',
    label: 'convolution 3x3 pad 1 (tiled)',
    leaves: [nchw('x', 3, 5, 7), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [4, 3, 3, 3] }],
    attrs: plain(1),
  },
  {
    op: 'convolution',
    label: 'convolution 3x3 pad 0 (tiled)',
    leaves: [nchw('x', 2, 6, 5), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [3, 2, 3, 3] }],
    attrs: plain(0),
  },
  {
    op: 'convolution',
    label: 'convolution 1x1 (a plain GEMM on GPUs)',
    leaves: [nchw('x', 3, 5, 7), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [2, 3, 1, 1] }],
    attrs: plain(0),
  },
  {
    op: 'convolution',
    label: 'convolution full tiles (tiled)',
    leaves: [nchw('x', 4, 8, 8), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [8, 4, 3, 3] }],
    attrs: plain(1),
  },
  ...convolutionCases(),
  ...poolingCases(),
  {
    op: 'channel_mix',
    label: 'channel_mix [N,C]',
    leaves: [
      { name: 'x', dims: ['N', 'C'], sizes: [3, 5] },
      { name: 'w', dims: ['O', 'I'], sizes: [4, 5] },
    ],
  },
  {
    op: 'channel_mix',
    label: 'channel_mix [N,C,H,W] transposed',
    leaves: [nchw('x', 4, 3, 5), { name: 'w', dims: ['O', 'I'], sizes: [4, 6] }],
    attrs: { transpose: true },
  },
  { op: 'channel_outer', leaves: [nchw('x', 3, 4, 5), nchw('g', 2, 4, 5)] },
  {
    op: 'pad',
    label: 'pad 2-D (and crop)',
    leaves: [nchw('x', 2, 4, 5)],
    attrs: { before: [1, -1], after: [2, 0], value: 0.5 },
  },
  {
    op: 'pad',
    label: 'pad 3-D',
    leaves: [ncdhw('x', 2, 2, 3, 2)],
    attrs: { before: [0, 1, 2], after: [1, 0, 1], value: 0 },
  },
  { op: 'group_sum', leaves: [{ name: 'x', dims: ['N', 'C', 'W'], sizes: [2, 6, 5] }], attrs: { groups: 3 } },
  {
    op: 'group_sum',
    label: 'group_sum of [N,C] in one group',
    leaves: [{ name: 'x', dims: ['N', 'C'], sizes: [3, 4] }],
    attrs: { groups: 1 },
  },
  {
    op: 'random_mask',
    leaves: [{ name: 's', dims: [], sizes: [], values: 'seed' }],
    attrs: { p: 0.3, salt: 17, dims: ['N', 'C', 'W'], sizes: [3, 5, 67] },
  },
  // The U-Net's 2 x 2 max pooling and x2 nearest upsampling: their dedicated kernels.
  {
    op: 'pool',
    label: 'pool max 2x2 stride 2 (window kernel)',
    leaves: [nchw('x', 3, 6, 8)],
    attrs: maxPool2,
  },
  {
    op: 'pool',
    label: 'pool max 2x2 stride 2 odd (window kernel)',
    leaves: [nchw('x', 2, 5, 7)],
    attrs: maxPool2,
  },
  {
    op: 'resize',
    label: 'resize nearest x2 (upsampling kernel)',
    leaves: [nchw('x', 3, 3, 4)],
    attrs: { mode: 'nearest', size: [6, 8], align_corners: false },
  },
  { op: 'concat', leaves: [nchw('a', 3, 4, 5), nchw('b', 2, 4, 5)] },
  { op: 'concat', label: 'concat 3-D', leaves: [ncdhw('a', 2, 3, 4, 5), ncdhw('b', 3, 3, 4, 5)] },
  { op: 'slice', label: 'slice 3-D', leaves: [ncdhw('x', 5, 2, 3, 4)], attrs: { start: 2, size: 2 } },
  { op: 'slice', leaves: [nchw('x', 5, 3, 4)], attrs: { start: 1, size: 3 } },
  {
    op: 'convolution_grad_input',
    label: 'convolution_grad_input 3x3 pad 1 (tiled)',
    leaves: [nchw('g', 4, 5, 7), { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: [4, 3, 3, 3] }],
    attrs: { ...plain(1), input: [5, 7] },
  },
  {
    op: 'convolution_grad_weight',
    label: 'convolution_grad_weight 3x3 pad 1 (tiled)',
    leaves: [nchw('x', 3, 5, 7), nchw('g', 4, 5, 7)],
    attrs: { ...plain(1), kernel: [3, 3] },
  },
  {
    op: 'convolution_grad_weight',
    label: 'convolution_grad_weight split into chunks (tiled)',
    leaves: [nchw('x', 4, 72, 72), nchw('g', 8, 72, 72)],
    attrs: { ...plain(1), kernel: [3, 3] },
  },
  {
    op: 'pool_grad',
    label: 'pool_grad max 2x2 stride 2 (window kernel)',
    leaves: [nchw('x', 3, 6, 8), nchw('g', 3, 3, 4)],
    attrs: maxPool2,
  },
  {
    op: 'resize_grad',
    label: 'resize_grad nearest x2 (upsampling kernel)',
    leaves: [nchw('g', 3, 6, 8)],
    attrs: { mode: 'nearest', size: [6, 8], align_corners: false, input: [3, 4] },
  },
];

/** Adds the case's leaves to the builder: labels as u8 inputs, the rest as f32 weights (differentiable). */
export function buildLeaves(b: GraphBuilder, leaves: LeafSpec[]): number[] {
  return leaves.map((leaf) =>
    leaf.values === 'labels'
      ? b.add('input', [], { name: leaf.name, dims: leaf.dims, sizes: leaf.sizes, dtype: 'u8' })
      : b.add('weight', [], { name: leaf.name, dims: leaf.dims, sizes: leaf.sizes }),
  );
}

/** General convolutions: stride, padding, dilation, groups, 2-D and 3-D, each op of the family. */
function convolutionCases(): OpCase[] {
  const act = (name: string, c: number, spatial: number[]): LeafSpec => ({
    name,
    dims: ['N', 'C', ...(spatial.length === 3 ? ['D', 'H', 'W'] : ['H', 'W'])],
    sizes: [2, c, ...spatial],
  });
  const weight = (o: number, i: number, kernel: number[]): LeafSpec => ({
    name: 'w',
    dims: ['O', 'I', ...(kernel.length === 3 ? ['KD', 'KH', 'KW'] : ['KH', 'KW'])],
    sizes: [o, i, ...kernel],
  });
  const configs = [
    {
      label: '2-D stride 2 pad 3 (a ResNet stem)',
      x: [3, 9, 11],
      w: [4, 3, 3, 3],
      stride: [2, 2],
      pad: [1, 1],
      dilation: [1, 1],
      groups: 1,
      out: [5, 6],
    },
    {
      label: '2-D stride 2x1, dilation 2, groups 2',
      x: [4, 9, 8],
      w: [6, 2, 3, 2],
      stride: [2, 1],
      pad: [2, 0],
      dilation: [2, 2],
      groups: 2,
      out: [5, 6],
    },
    {
      label: '2-D depthwise 1x1 stride 3',
      x: [3, 7, 8],
      w: [3, 1, 1, 1],
      stride: [3, 3],
      pad: [0, 0],
      dilation: [1, 1],
      groups: 3,
      out: [3, 3],
    },
    {
      label: '3-D stride 2 pad 1',
      x: [2, 5, 4, 6],
      w: [3, 2, 3, 3, 3],
      stride: [2, 2, 2],
      pad: [1, 1, 1],
      dilation: [1, 1, 1],
      groups: 1,
      out: [3, 2, 3],
    },
  ];
  return configs.flatMap((c) => {
    const attrs = { stride: c.stride, pad: c.pad, dilation: c.dilation, groups: c.groups };
    const [ci, ...spatial] = c.x;
    const [co, , ...kernel] = c.w;
    return [
      {
        op: 'convolution',
        label: `convolution ${c.label}`,
        leaves: [act('x', ci, spatial), weight(co, c.w[1], kernel)],
        attrs,
      },
      {
        op: 'convolution_grad_input',
        label: `convolution_grad_input ${c.label}`,
        leaves: [act('g', co, c.out), weight(co, c.w[1], kernel)],
        attrs: { ...attrs, input: spatial },
      },
      {
        op: 'convolution_grad_weight',
        label: `convolution_grad_weight ${c.label}`,
        leaves: [act('x', ci, spatial), act('g', co, c.out)],
        attrs: { ...attrs, kernel },
      },
    ];
  });
}

/** General pooling and resizing, 2-D and 3-D, each op and its gradient. */
function poolingCases(): OpCase[] {
  const act = (name: string, c: number, spatial: number[]): LeafSpec => ({
    name,
    dims: ['N', 'C', ...(spatial.length === 3 ? ['D', 'H', 'W'] : ['H', 'W'])],
    sizes: [2, c, ...spatial],
  });
  const pools = [
    {
      label: 'max 3x3 stride 2 pad 1 (a ResNet stem)',
      x: [2, 9, 8],
      out: [5, 4],
      attrs: { mode: 'max', kernel: [3, 3], stride: [2, 2], pad: [1, 1], count_pad: true },
    },
    {
      label: 'avg 2x3 stride 1x2 pad 1 (padding counted)',
      x: [3, 5, 7],
      out: [6, 4],
      attrs: { mode: 'avg', kernel: [2, 3], stride: [1, 2], pad: [1, 1], count_pad: true },
    },
    {
      label: 'avg 3x3 stride 2 pad 1 (padding not counted)',
      x: [2, 7, 6],
      out: [4, 3],
      attrs: { mode: 'avg', kernel: [3, 3], stride: [2, 2], pad: [1, 1], count_pad: false },
    },
    {
      label: '3-D max 2x2x2',
      x: [2, 4, 5, 4],
      out: [2, 2, 2],
      attrs: { mode: 'max', kernel: [2, 2, 2], stride: [2, 2, 2], pad: [0, 0, 0], count_pad: true },
    },
  ];
  const resizes = [
    {
      label: 'bilinear x2 align_corners false',
      x: [2, 3, 4],
      attrs: { mode: 'linear', size: [6, 8], align_corners: false },
    },
    {
      label: 'bilinear to 5x7 align_corners true',
      x: [2, 3, 4],
      attrs: { mode: 'linear', size: [5, 7], align_corners: true },
    },
    {
      label: 'bilinear down 7x9 to 3x4',
      x: [2, 7, 9],
      attrs: { mode: 'linear', size: [3, 4], align_corners: false },
    },
    {
      label: 'nearest 3x4 to 7x6',
      x: [2, 3, 4],
      attrs: { mode: 'nearest', size: [7, 6], align_corners: false },
    },
    {
      label: 'nearest 26x3 to 22x5 (float32 source rule)',
      x: [1, 26, 3],
      attrs: { mode: 'nearest', size: [22, 5], align_corners: false },
    },
    {
      label: 'trilinear x2',
      x: [2, 2, 3, 2],
      attrs: { mode: 'linear', size: [4, 6, 4], align_corners: false },
    },
  ];
  return [
    ...pools.flatMap((p) => [
      { op: 'pool', label: `pool ${p.label}`, leaves: [act('x', p.x[0], p.x.slice(1))], attrs: p.attrs },
      {
        op: 'pool_grad',
        label: `pool_grad ${p.label}`,
        leaves: [act('x', p.x[0], p.x.slice(1)), act('g', p.x[0], p.out)],
        attrs: p.attrs,
      },
    ]),
    ...resizes.flatMap((r) => [
      { op: 'resize', label: `resize ${r.label}`, leaves: [act('x', r.x[0], r.x.slice(1))], attrs: r.attrs },
      {
        op: 'resize_grad',
        label: `resize_grad ${r.label}`,
        leaves: [act('g', r.x[0], r.attrs.size)],
        attrs: { ...r.attrs, input: r.x.slice(1) },
      },
    ]),
  ];
}
