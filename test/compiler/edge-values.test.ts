// Values at the edges: numbers beyond f32 in WGSL, NaN/infinite/-0 constants under CSE, and `--set` values.
import { describe, expect, it } from 'vitest';
import { f32Literal } from '../../compiler/codegen/wgsl.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { parseOverride } from '../../compiler/config/run.ts';

describe('edge values', () => {
  it('writes numbers beyond the f32 range as f32 infinities (a literal there would not compile)', () => {
    expect(f32Literal(1e39)).toBe('bitcast<f32>(0x7f800000u)');
    expect(f32Literal(-1e39)).toBe('bitcast<f32>(0xff800000u)');
    expect(f32Literal(3e38)).toBe('3e+38');
  });

  it('keeps NaN, the infinities, 0 and -0 apart as constants', () => {
    const b = new GraphBuilder();
    const ids = [NaN, Infinity, -Infinity, 0, -0].map((v) => b.constant(v));
    expect(new Set(ids).size).toBe(5);
    expect(b.node(b.binary('div', b.constant(1), b.constant(0))).attrs.value).toBe(Infinity);
    expect(Number.isNaN(b.node(b.unary('sqrt', b.constant(-1))).attrs.value)).toBe(true);
  });

  it('parses --set values: decimal numbers, booleans, quoted strings, names', () => {
    expect(parseOverride('3e-3')).toBe(3e-3);
    expect(parseOverride('-2.5')).toBe(-2.5);
    expect(parseOverride('true')).toBe(true);
    expect(parseOverride('"data/x"')).toBe('data/x');
    expect(parseOverride('miou')).toEqual({ symbol: 'miou' });
    expect(parseOverride('val.loss')).toEqual({ symbol: 'val.loss' });
    // Number() would read these as 16 and 1: they are not decimal numbers.
    expect(parseOverride('0x10')).toBe('0x10');
    expect(parseOverride('0b1')).toBe('0b1');
    expect(parseOverride('[32, 48]')).toEqual([32, 48]);
    expect(parseOverride('[]')).toEqual([]);
    expect(parseOverride('[32, x]')).toBe('[32, x]');
  });

  it('lets --set replace an option the file gives by position', () => {
    const text = [
      'import std/losses { ce }',
      'import std/nets { unet }',
      'experiment positional {',
      '  data = shapes(size = [8, 8], classes = 3, train = 4, val = 2)',
      '  model = unet(in = 3, classes = 3, widths = [2, 4])',
      '  loss = ce(logits, y)',
      '  optimizer = adam(1e-2)',
      '  train { epochs = 1, batch = 2 }',
      '}',
    ].join('\n');
    expect(compileExperiment('positional.seg', { text }).config.optimizer.lr).toBe(1e-2);
    expect(
      compileExperiment('positional.seg', { text, overrides: { 'optimizer.lr': 3e-3 } }).config.optimizer.lr,
    ).toBe(3e-3);
    // A list setting from the command line: the image size.
    expect(
      compileExperiment('positional.seg', { text, overrides: { 'data.size': [16, 24] } }).config.data.size,
    ).toEqual([16, 24]);
  });
});
