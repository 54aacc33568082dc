// The lowering table picks a kernel from an op's attributes: plain 2-D convolutions take the register-tiled
// kernels, k x k stride-k max pooling and whole-number nearest upsampling their dedicated kernels, the rest
// the general ones. (test/compiler/ops.test.ts checks every one of them against the float64 oracle.)
import { describe, expect, it } from 'vitest';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import type { Attrs } from '../../compiler/ir/types.ts';
import { isPlainConv2d } from '../../compiler/ops/convolution.ts';
import { squareMaxPool, wholeUpsample } from '../../compiler/ops/pooling.ts';

const conv = (stride: number[], pad: number[], dilation = [1, 1], groups = 1) => ({
  stride,
  pad,
  dilation,
  groups,
});

/** The WGSL body (header comments dropped) of the kernel of `op` applied to an [2,4,8,8] tensor. */
function kernelOf(
  op: string,
  attrs: Attrs,
  weight?: number[],
  target: 'gpu' | 'cpu' = 'gpu',
): { kind: string; body: string } {
  const b = new GraphBuilder();
  const x = b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: [2, 4, 8, 8] });
  const inputs = [x];
  if (weight) inputs.push(b.add('weight', [], { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: weight }));
  b.output('out', b.add(op, inputs, attrs));
  const [kernel] = generatePlan(b.graph(), { name: 't', target }).kernels;
  const body = kernel.wgsl
    .split('\n')
    .filter((l) => !l.startsWith('// '))
    .join('\n');
  return { kind: kernel.kind, body };
}

describe('lowering choices', () => {
  it('a convolution is plain 2-D only with stride 1, no dilation, one group, a square kernel, equal padding', () => {
    expect(isPlainConv2d(conv([1, 1], [1, 1]), [3, 3])).toBe(true);
    expect(isPlainConv2d(conv([1, 1], [0, 0]), [1, 1])).toBe(true);
    expect(isPlainConv2d(conv([2, 2], [1, 1]), [3, 3])).toBe(false);
    expect(isPlainConv2d(conv([1, 1], [1, 1], [2, 2]), [3, 3])).toBe(false);
    expect(isPlainConv2d(conv([1, 1], [1, 1], [1, 1], 2), [3, 3])).toBe(false);
    expect(isPlainConv2d(conv([1, 1], [1, 1]), [3, 1])).toBe(false);
    expect(isPlainConv2d(conv([1, 1], [1, 0]), [3, 3])).toBe(false);
    expect(isPlainConv2d(conv([1, 1, 1], [1, 1, 1], [1, 1, 1]), [3, 3, 3])).toBe(false);
  });

  it('the stride-1 convolution takes the tiled kernel; the stride-2 one the implicit GEMM on GPUs, the direct one on the CPU adapter', () => {
    const tiled = kernelOf('convolution', conv([1, 1], [1, 1]), [4, 4, 3, 3]);
    const gemm = kernelOf('convolution', conv([2, 2], [1, 1]), [4, 4, 3, 3]);
    const direct = kernelOf('convolution', conv([2, 2], [1, 1]), [4, 4, 3, 3], 'cpu');
    expect([tiled.kind, gemm.kind, direct.kind]).toEqual(['conv', 'conv', 'conv']);
    expect(tiled.body).toContain('vec4<f32>');
    expect(gemm.body).toContain('var<workgroup> As');
    expect(direct.body).not.toContain('vec4<f32>');
    expect(direct.body).not.toContain('var<workgroup> As');
    expect(direct.body).toMatch(/op0 \* (2u|sizes)/);
  });

  it('max pooling with a k x k window and stride k (no padding) takes the window kernel', () => {
    const max = (k: number[], stride: number[], pad = [0, 0]) => ({ mode: 'max', kernel: k, stride, pad });
    expect(squareMaxPool(max([2, 2], [2, 2]))).toBe(2);
    expect(squareMaxPool(max([3, 3], [3, 3]))).toBe(3);
    expect(squareMaxPool(max([3, 3], [2, 2]))).toBeUndefined();
    expect(squareMaxPool(max([2, 2], [2, 2], [1, 1]))).toBeUndefined();
    expect(squareMaxPool({ ...max([2, 2], [2, 2]), mode: 'avg' })).toBeUndefined();
    expect(squareMaxPool(max([2, 2, 2], [2, 2, 2], [0, 0, 0]))).toBeUndefined();
    const window = kernelOf('pool', max([2, 2], [2, 2]));
    const general = kernelOf('pool', max([3, 3], [2, 2], [1, 1]));
    expect([window.kind, general.kind]).toEqual(['pool', 'pool']);
    expect(window.body).toContain('best_y');
    expect(general.body).not.toContain('best_y');
    expect(general.body).toContain('best_at');
  });

  it('a uniform that is a graph output is written by an elementwise kernel', () => {
    const b = new GraphBuilder();
    b.output('lr', b.add('uniform', [], { name: 'lr' }));
    const [kernel] = generatePlan(b.graph(), { name: 't' }).kernels;
    expect(kernel.usesUniforms).toBe(true);
    expect(kernel.wgsl).toContain('let v0 = u.s[0].x;');
  });

  it('nearest resizing by the same whole number along H and W takes the upsampling kernel', () => {
    const nearest = (size: number[]) => ({ mode: 'nearest', size, align_corners: false });
    expect(wholeUpsample([3, 4], nearest([6, 8]))).toBe(2);
    expect(wholeUpsample([3, 4], nearest([9, 12]))).toBe(3);
    expect(wholeUpsample([3, 4], nearest([3, 4]))).toBe(1);
    expect(wholeUpsample([3, 4], nearest([6, 12]))).toBeUndefined();
    expect(wholeUpsample([3, 4], nearest([7, 8]))).toBeUndefined();
    expect(wholeUpsample([3, 4], { ...nearest([6, 8]), mode: 'linear' })).toBeUndefined();
    expect(wholeUpsample([2, 3, 4], nearest([4, 6, 8]))).toBeUndefined();
    const whole = kernelOf('resize', nearest([16, 16]));
    const general = kernelOf('resize', nearest([12, 16]));
    expect([whole.kind, general.kind]).toEqual(['resize', 'resize']);
    expect(whole.body).toContain('c_y / 2u');
    expect(general.body).toContain('floor(');
    expect(whole.body).not.toContain('floor(');
  });
});
