// Constant folding and identities on construction: hand-checked graphs.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.ts';

describe('GraphBuilder folding', () => {
  const leaf = (b: GraphBuilder) => b.add('weight', [], { name: 'x', dims: ['N', 'C'], sizes: [2, 3] });

  it('folds pointwise ops of constants into a constant', () => {
    const b = new GraphBuilder();
    const six = b.binary('mul', b.constant(2), b.constant(3));
    expect(b.node(six)).toMatchObject({ op: 'const', attrs: { value: 6 } });
    const one = b.unary('exp', b.binary('sub', b.constant(1.5), b.constant(1.5)));
    expect(b.node(one)).toMatchObject({ op: 'const', attrs: { value: 1 } });
    const clamped = b.add('clamp', [b.constant(4)], { min: 0, max: 1 });
    expect(b.node(clamped)).toMatchObject({ op: 'const', attrs: { value: 1 } });
  });

  it('keeps the shape of a constant expanded to a tensor (a zero gradient)', () => {
    const b = new GraphBuilder();
    const zeros = b.add('expand', [b.constant(0)], { dims: ['N', 'C'], sizes: [2, 3] });
    expect(b.node(zeros).op).toBe('expand');
    expect(b.type(zeros).dims.map((d) => d.size)).toEqual([2, 3]);
  });

  it('drops x * 1, 1 * x, x + 0, 0 + x, x - 0 and x / 1, but keeps x * 0 and 0 - x', () => {
    const b = new GraphBuilder();
    const x = leaf(b);
    for (const [op, a, c] of [
      ['mul', x, b.constant(1)],
      ['mul', b.constant(1), x],
      ['add', x, b.constant(0)],
      ['add', b.constant(0), x],
      ['sub', x, b.constant(0)],
      ['div', x, b.constant(1)],
    ] as const) {
      expect(b.binary(op, a, c)).toBe(x);
    }
    expect(b.node(b.binary('mul', x, b.constant(0))).op).toBe('mul');
    expect(b.node(b.binary('sub', b.constant(0), x)).op).toBe('sub');
  });

  it('keeps label arithmetic as floats', () => {
    const b = new GraphBuilder();
    const y = b.add('input', [], { name: 'y', dims: ['N'], sizes: [4], dtype: 'u8' });
    const times = b.binary('mul', y, b.constant(1));
    expect(times).not.toBe(y);
    expect(b.type(times).dtype).toBe('f32');
  });
});
