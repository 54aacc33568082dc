// Shape rules reject impossible layer settings with a message instead of producing Infinity or negative
// sizes.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { ShapeError } from '../../compiler/ir/types.ts';

function image(b: GraphBuilder): number {
  return b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: [1, 2, 8, 8] });
}

describe('shape rules', () => {
  const maxPool = (k: number) => ({ mode: 'max', kernel: [k, k], stride: [k, k], pad: [0, 0] });
  it.each([
    ['pool', maxPool(0), 'pool kernel must be 2 integers >= 1, got [0,0]'],
    ['pool', maxPool(9), 'pool kernel 9x9 does not fit 8x8'],
    ['resize', { mode: 'nearest', size: [-1, 8] }, 'resize needs 2 output sizes >= 1, got [-1,8]'],
  ])('%s %j', (op, attrs, message) => {
    const b = new GraphBuilder();
    expect(() => b.add(op, [image(b)], attrs)).toThrow(new ShapeError(message));
  });

  it('convolution: no output channels, negative padding, channel mismatch', () => {
    const b = new GraphBuilder();
    const x = image(b);
    const weight = (o: number, i: number) =>
      b.add('weight', [], { name: `w${o}${i}`, dims: ['O', 'I', 'KH', 'KW'], sizes: [o, i, 3, 3] });
    const plain = (pad: number) => ({ stride: [1, 1], pad: [pad, pad], dilation: [1, 1], groups: 1 });
    expect(() => b.add('convolution', [x, weight(0, 2)], plain(1))).toThrow('at least one output channel');
    expect(() => b.add('convolution', [x, weight(4, 2)], plain(-1))).toThrow(
      'conv padding must be 2 integers >= 0, got [-1,-1]',
    );
    expect(() => b.add('convolution', [x, weight(4, 3)], plain(1))).toThrow(
      'conv input has 2 channels in 1 groups, but the weight expects 3 per group',
    );
  });

  it('broadcasting by name names both shapes', () => {
    const b = new GraphBuilder();
    const x = image(b);
    const y = b.add('weight', [], { name: 'y', dims: ['C'], sizes: [3] });
    expect(() => b.add('add', [x, y])).toThrow(
      "dimension 'C' is 2 in one operand and 3 in another (f32[N=1,C=2,H=8,W=8] and f32[C=3])",
    );
  });
});
