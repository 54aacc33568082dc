// Malformed inputs: each yields exactly the expected rendered diagnostics (header, source line, caret), and
// still returns a partial module built from the recovered CST.
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../grammar/index.ts';
import { renderDiagnostic } from '../../diagnostics/index.ts';

function rendered(text: string): string[] {
  return parseSource(text, 'bad.seg').diagnostics.map((d) => renderDiagnostic(d, text));
}

describe('syntax errors', () => {
  it('reports a missing expression at the end of the file', () => {
    expect(rendered('loss f(x) = x +\n')).toEqual([
      [
        'bad.seg:1:16: error SEG1003: Expected an expression but found the end of the file.',
        '  loss f(x) = x +',
        '                 ^',
      ].join('\n'),
    ]);
  });

  it('reports a missing closing parenthesis on the next line, where it was opened, and keeps the rest', () => {
    const text = 'experiment e {\n  data = shapes(size = [64, 64]\n  model = unet()\n}\n';
    expect(rendered(text)).toEqual([
      [
        "bad.seg:3:3: error SEG1003: Expected ')' but found 'model'.",
        '    model = unet()',
        '    ^~~~~',
        "  hint: the '(' at line 2, column 16 is not closed",
      ].join('\n'),
    ]);
    expect(parseSource(text, 'bad.seg').module.experiments.map((e) => e.name.name)).toEqual(['e']);
  });

  it('reports a missing comma in an import list', () => {
    expect(rendered('import std/losses { ce proportion }\n')).toEqual([
      [
        "bad.seg:1:24: error SEG1003: Expected '}' but found 'proportion'.",
        '  import std/losses { ce proportion }',
        '                         ^~~~~~~~~~',
      ].join('\n'),
    ]);
  });

  it('reports an unexpected character and the stray token after it', () => {
    expect(rendered('fn f(x) = x # 2\n')).toEqual([
      ["bad.seg:1:13: error SEG1001: Unexpected character '#'.", '  fn f(x) = x # 2', '              ^'].join(
        '\n',
      ),
      [
        "bad.seg:1:15: error SEG1003: Expected an import, a definition or an experiment but found '2'.",
        '  fn f(x) = x # 2',
        '                ^',
      ].join('\n'),
    ]);
  });

  it('reports an unterminated string', () => {
    expect(rendered('fn f(x) = x + "abc\n')).toEqual([
      [
        'bad.seg:1:14: error SEG1003: Expected an expression but found the end of the file.',
        '  fn f(x) = x + "abc',
        '               ^',
      ].join('\n'),
      [
        'bad.seg:1:15: error SEG1002: Unterminated string literal.',
        '  fn f(x) = x + "abc',
        '                ^~~~',
      ].join('\n'),
    ]);
  });

  it('reports several indices outside an axis call, and calls of non-names', () => {
    const text = 'net n(x) {\n  let y = x[1, 2]\n  return xs[0](y)\n}\n';
    expect(rendered(text)).toEqual([
      [
        "bad.seg:2:11: error SEG1004: Only an axis call like 'sum[N,S](x)' may list several indices.",
        '    let y = x[1, 2]',
        '            ^~~~~~~',
      ].join('\n'),
      [
        "bad.seg:3:10: error SEG1005: Only a name can be called, but 'xs[0]' is not a name.",
        '    return xs[0](y)',
        '           ^~~~~',
      ].join('\n'),
    ]);
  });

  it('recovers after a broken statement and keeps later definitions', () => {
    const text = 'fn f(x) {\n  x = \n  return x\n}\nfn g(y) = y\n';
    expect(rendered(text)).toEqual([
      [
        "bad.seg:3:3: error SEG1003: Expected an expression but found 'return'.",
        '    return x',
        '    ^~~~~~',
      ].join('\n'),
    ]);
    expect(parseSource(text, 'bad.seg').module.definitions.map((d) => d.name.name)).toEqual(['f', 'g']);
  });

  it('reports a stray closing brace at the top level and parses what follows', () => {
    const text = '}\nfn ok(a) = a\n';
    expect(rendered(text)).toEqual([
      [
        "bad.seg:1:1: error SEG1003: Expected an import, a definition or an experiment but found '}'.",
        '  }',
        '  ^',
      ].join('\n'),
    ]);
    expect(parseSource(text, 'bad.seg').module.definitions.map((d) => d.name.name)).toEqual(['ok']);
  });

  it('never throws on truncated inputs', () => {
    const source = [
      'net unet(x: image[N,C,H,W], w = [1, 2]) {',
      '  for (a, b) in zip(w[:-1], w) { x = f[C](x) }',
      '  if not a { return -x ^ 2 } else { y = [1, "s", x.y, x[1:]] }',
      '}',
      'experiment e { param p = 1 data = d(a = 1) { train augment = [] } train { epochs = 1 } }',
    ].join('\n');
    for (let end = 0; end <= source.length; end++) {
      const { module, diagnostics } = parseSource(source.slice(0, end), 'cut.seg');
      expect(module.kind).toBe('module');
      for (const d of diagnostics) {
        expect(d.code).toMatch(/^SEG1\d{3}$/);
        expect(d.message).toMatch(/\.$/);
      }
    }
  });
});

describe('renderDiagnostic', () => {
  it('renders a hint and works without source text', () => {
    const span = { file: 'a.seg', start: 4, end: 7, line: 1, col: 5 };
    const d = { code: 'SEG2001', category: 'error' as const, message: "Unknown name 'sofmax'.", span };
    expect(renderDiagnostic({ ...d, hint: "Did you mean 'softmax'?" }, 'x = sofmax(z)')).toBe(
      [
        "a.seg:1:5: error SEG2001: Unknown name 'sofmax'.",
        '  x = sofmax(z)',
        '      ^~~',
        "  hint: Did you mean 'softmax'?",
      ].join('\n'),
    );
    expect(renderDiagnostic(d, undefined)).toBe("a.seg:1:5: error SEG2001: Unknown name 'sofmax'.");
  });
});
