// Spans map to the right 1-based line/column; tokens, precedence and the AST shape of expressions.
import { describe, expect, it } from 'vitest';
import { parseSource, type Expression } from '../../grammar/index.ts';
import { show } from './show-expression.ts';

function expression(text: string): Expression {
  const { module, diagnostics } = parseSource(`fn f() = ${text}`, 'e.seg');
  expect(diagnostics).toEqual([]);
  return module.definitions[0].expression!;
}

describe('spans', () => {
  const text = [
    '// header',
    'import std/losses { ce }',
    '',
    'loss mine(z, y) {',
    '  let total = ce(z, y)',
    '  return total',
    '}',
    '',
  ].join('\n');
  const { module } = parseSource(text, 'spans.seg');

  it('maps an identifier in a multi-line file to its line and column', () => {
    const body = module.definitions[0].body!;
    const ret = body[1];
    expect(ret.kind).toBe('return');
    if (ret.kind !== 'return') return;
    const start = text.indexOf('total\n}');
    expect(ret.value.span).toEqual({ file: 'spans.seg', start, end: start + 5, line: 6, col: 10 });
    expect(text.slice(ret.value.span.start, ret.value.span.end)).toBe('total');
  });

  it('covers whole nodes, from their first to their last character', () => {
    const definition = module.definitions[0];
    const definitionText = text.slice(text.indexOf('loss mine'), -1);
    expect(text.slice(definition.span.start, definition.span.end)).toBe(definitionText);
    expect(definition.span).toMatchObject({ line: 4, col: 1 });
    expect(definition.name.span).toMatchObject({ line: 4, col: 6 });
    const imported = module.imports[0];
    expect(text.slice(imported.span.start, imported.span.end)).toBe('import std/losses { ce }');
    expect(imported.names[0].span).toMatchObject({ line: 2, col: 21 });
  });

  it('gives binary expressions an operator span', () => {
    const e = expression('a +\n  b * c');
    expect(e.kind === 'binary' && e.operatorSpan).toMatchObject({ line: 1, col: 12 });
    expect(e.span).toMatchObject({ start: 9, end: 20 });
  });
});

describe('expressions', () => {
  it('follows the precedence table', () => {
    expect(show(expression('a or b and not c == d + e * -f ^ g ^ h'))).toBe(
      '(or a (and b (not (== c (+ d (* e (- (^ f (^ g h)))))))))',
    );
    expect(show(expression('-a ^ 2 - b / c / d'))).toBe('(- (- (^ a 2)) (/ (/ b c) d))');
    expect(show(expression('(a + b) * c'))).toBe('(* (+ a b) c)');
    expect(show(expression('a <= b != (c > d)'))).toBe('(!= (<= a b) (> c d))');
  });

  it('parses postfix chains, slices and axis calls', () => {
    expect(show(expression('xs[1:3] + xs[:] + xs[2:] + w[y].z'))).toBe(
      '(+ (+ (+ xs[1:3] xs[:]) xs[2:]) w[y].z)',
    );
    expect(show(expression('mean[N,C](x) + max[C](z)[0]'))).toBe('(+ mean[N,C](x) max[C](z)[0])');
  });

  it('reads literals', () => {
    const list = expression('[64, 1.0, 1e-3, .5, "a\\"b", true, false]');
    expect(list.kind === 'list' && list.elements).toMatchObject([
      { kind: 'number', value: 64, isInteger: true },
      { kind: 'number', value: 1, isInteger: false },
      { kind: 'number', value: 0.001, isInteger: false },
      { kind: 'number', value: 0.5, isInteger: false },
      { kind: 'string', value: 'a"b' },
      { kind: 'boolean', value: true },
      { kind: 'boolean', value: false },
    ]);
  });

  it('keeps identifiers that start with keywords, and soft keywords as names', () => {
    expect(show(expression('format + lettuce + fork + iffy + notable + import_x'))).toBe(
      '(+ (+ (+ (+ (+ format lettuce) fork) iffy) notable) import_x)',
    );
    expect(show(expression('unet(in = 3, loss = net, block = fn)'))).toBe('unet(in=3 loss=net block=fn)');
  });
});

describe('statements and doc comments', () => {
  it('parses if / else if / else and attaches only adjacent doc comments', () => {
    const text = [
      '/// Not attached: an import follows.',
      'import "./mine.seg" { a }',
      '// a plain comment',
      '/// First line.',
      '///Second line.',
      'block b(x, n: int = 2) {',
      '  if n > 1 { x = f(x) } else if n == 1 { return x } else { let y = x }',
      '  return x',
      '}',
      '/// The experiment.',
      'experiment e { train { epochs = 1 batch = 2 } }',
    ].join('\n');
    const { module, diagnostics } = parseSource(text, 'doc.seg');
    expect(diagnostics).toEqual([]);
    expect(module.imports[0].path).toBe('./mine.seg');
    expect(module.definitions[0].doc).toBe('First line.\nSecond line.');
    expect(module.experiments[0].doc).toBe('The experiment.');
    const statement = module.definitions[0].body![0];
    expect(statement.kind).toBe('if');
    if (statement.kind !== 'if') return;
    expect(statement.then.map((s) => s.kind)).toEqual(['assign']);
    expect(statement.else?.[0]).toMatchObject({ kind: 'if', else: [{ kind: 'let' }] });
    const section = module.experiments[0].items[0];
    const keys = section.kind === 'section' ? section.settings.map((s) => s.key[0].name) : [];
    expect(keys).toEqual(['epochs', 'batch']);
  });
});
