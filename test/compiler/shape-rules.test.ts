// Shape rules reject impossible layer settings with a message instead of producing Infinity or negative
// sizes.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { ShapeError } from '../../compiler/ir/types.ts';

function image(b: GraphBuilder): number {
  return b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: [1, 2, 8, 8] });
}

describe('shape rules', () => {
  it.each([
    ['maxpool2d', { size: 0 }, 'the maxpool window must be a positive int, not 0'],
    ['maxpool2d', { size: 9 }, 'maxpool window 9 is larger than 8x8'],
    ['upsample_nearest', { scale: -1 }, 'the upsampling scale must be a positive int, not -1'],
  ])('%s %j', (op, attrs, message) => {
    const b = new GraphBuilder();
    expect(() => b.add(op, [image(b)], attrs)).toThrow(new ShapeError(message));
  });

  it('conv: no output channels, negative padding, channel mismatch', () => {
    const b = new GraphBuilder();
    const x = image(b);
    const weight = (o: number, i: number) =>
      b.add('weight', [], { name: `w${o}${i}`, dims: ['O', 'I', 'KH', 'KW'], sizes: [o, i, 3, 3] });
    expect(() => b.add('conv2d', [x, weight(0, 2)], { pad: 1 })).toThrow('at least one output channel');
    expect(() => b.add('conv2d', [x, weight(4, 2)], { pad: -1 })).toThrow(
      'conv padding must be a non-negative int, not -1',
    );
    expect(() => b.add('conv2d', [x, weight(4, 3)], { pad: 1 })).toThrow(
      'conv input has 2 channels but the weight expects 3',
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
