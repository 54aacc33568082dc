// segc fmt's formatter: on every .seg file of the repository it is idempotent and keeps the AST and every
// comment; hand-written cases pin the canonical style (spacing, comments, breaks, option blocks, bodies).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSource, parseSource } from '../../grammar/index.ts';
import { SegLexer } from '../../grammar/tokens.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function segFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? segFiles(path) : path.endsWith('.seg') ? [path] : [];
  });
}

/** The AST without source positions, which formatting may change. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null || typeof value !== 'object') return value;
  const kept = Object.entries(value).filter(([key]) => key !== 'span' && key !== 'operatorSpan');
  return Object.fromEntries(kept.map(([key, inner]) => [key, shape(inner)]));
}

/** Every `//` and `///` comment in order, trailing spaces aside (string literals skipped). */
function comments(text: string): string[] {
  const matches = [...text.matchAll(/"(?:[^"\\\n]|\\.)*"|(\/\/[^\n\r]*)/g)];
  return matches.flatMap((m) => (m[1] ? [m[1].trimEnd()] : []));
}

/** Formats text that must parse; fails the test otherwise. */
function format(text: string): string {
  const result = formatSource(text, 'case.seg');
  expect(result.diagnostics).toEqual([]);
  return result.text as string;
}

const lines = (...rows: string[]) => `${rows.join('\n')}\n`;

describe('segc fmt on the repository', () => {
  const files = ['stdlib', 'experiments', 'test/fixtures'].flatMap((dir) => segFiles(join(root, dir)));
  const parses = (file: string) => parseSource(readFileSync(file, 'utf8'), file).diagnostics.length === 0;
  const parsing = files.filter(parses);

  it('finds the .seg files (and skips the ones with syntax errors)', () => {
    expect(parsing.length).toBeGreaterThan(40);
    expect(parsing).not.toContain(join(root, 'test/fixtures/cli/syntax-error.seg'));
  });

  it.each(parsing.map((file) => relative(root, file)))('%s: idempotent, same AST, same comments', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const once = formatSource(text, file).text as string;
    expect(formatSource(once, file).text).toBe(once);
    const before = parseSource(text, file);
    const after = parseSource(once, file);
    expect(after.diagnostics).toEqual([]);
    expect(shape(after.module)).toEqual(shape(before.module));
    expect(comments(once)).toEqual(comments(text));
    const longCode = once.split('\n').filter((l) => l.length > 110 && !l.trimStart().startsWith('//'));
    expect(longCode).toEqual([]);
  });

  it('experiments/quickstart.seg is a fixed point (the house style)', () => {
    const text = readFileSync(join(root, 'experiments/quickstart.seg'), 'utf8');
    expect(formatSource(text, 'quickstart.seg').text).toBe(text);
  });

  it('keeps every definition and experiment of stdlib/ and experiments/ written within 110 columns as it is', () => {
    for (const file of [...segFiles(join(root, 'stdlib')), ...segFiles(join(root, 'experiments'))]) {
      const text = readFileSync(file, 'utf8');
      const formatted = formatSource(text, file).text as string;
      const { definitions, experiments } = parseSource(text, file).module;
      for (const item of [...definitions, ...experiments]) {
        const written = text.slice(item.span.start, item.span.end);
        if (written.split('\n').every((l) => l.length <= 110)) expect(formatted).toContain(written);
      }
    }
  });
});

describe('segc fmt on scrambled layouts', () => {
  // Each gap between tokens becomes spaces, newlines, blank lines, a tab or a comment (trailing or own-line,
  // `//` or `///`), from a fixed-seed generator: the formatter must still keep AST and comments, and be
  // stable.
  const gaps = [
    ' ',
    ' ',
    '\n',
    '  \n\n   ',
    '\t',
    ' // trailing\n',
    '\n// own line\n',
    '\n/// doc\n',
    ' /// t\n',
  ];
  const files = ['experiments/quickstart.seg', 'stdlib/nets.seg', 'test/fixtures/grammar/unet.seg'];

  it.each(files)('%s, 20 scramblings', (file) => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const tokens = SegLexer.tokenize(readFileSync(join(root, file), 'utf8')).tokens;
    for (let trial = 0; trial < 20; trial++) {
      const text = tokens.map((token) => token.image + gaps[Math.floor(random() * gaps.length)]).join('');
      const once = format(text);
      expect(format(once)).toBe(once);
      expect(shape(parseSource(once, file).module)).toEqual(shape(parseSource(text, file).module));
      expect(comments(once)).toEqual(comments(text));
    }
  });
});

describe('segc fmt canonical style', () => {
  it('spaces operators, arguments and lists; dims and axes without spaces; parentheses kept once', () => {
    const messy = lines(
      'import std/losses{ce ,proportion}',
      'fn  f( a:logits[ N , C , S ],b=1 ,c : [C]= 2)=a+b*c',
      'fn g(x)=sum[ N , S ]( x )/ -x ^ 2 ^ -1',
      'fn h(xs , i)= xs[ i ]+xs[ : -1 ][0]+xs[1:]+xs[ : ] + val.loss + ( ( x ) )',
      'fn k(a,b)=not a==b and a<=b or(a>b)',
      'fn m(x) = - -x + f(x, k=3, s="a  b")',
    );
    expect(format(messy)).toBe(
      lines(
        'import std/losses { ce, proportion }',
        'fn f(a: logits[N,C,S], b = 1, c: [C] = 2) = a + b * c',
        'fn g(x) = sum[N,S](x) / -x ^ 2 ^ -1',
        'fn h(xs, i) = xs[i] + xs[:-1][0] + xs[1:] + xs[:] + val.loss + (x)',
        'fn k(a, b) = not a == b and a <= b or (a > b)',
        'fn m(x) = - -x + f(x, k = 3, s = "a  b")',
      ),
    );
  });

  it('keeps doc, line and trailing comments in place; blank lines collapse to one', () => {
    const source = lines(
      '// File header.',
      '',
      '',
      '/// The doc of f,',
      '/// over two lines.',
      'fn f(x) = x   // trailing after f',
      '// Between f and g.',
      'fn g(x) {',
      '',
      '  // First in the body.',
      '  let y = x  // trailing after let',
      '',
      '',
      '  // After a blank line.',
      '      return y',
      '  // Last in the body.',
      '',
      '}',
      '/// Doc of the experiment.',
      'experiment e {',
      '  model = unet(in = 3, // the image channels',
      '               classes = 2)',
      '  train { epochs = 5 } // trailing after a section',
      '}',
      '// End of file.',
    );
    expect(format(source)).toBe(
      lines(
        '// File header.',
        '',
        '/// The doc of f,',
        '/// over two lines.',
        'fn f(x) = x // trailing after f',
        '',
        '// Between f and g.',
        'fn g(x) {',
        '  // First in the body.',
        '  let y = x // trailing after let',
        '',
        '  // After a blank line.',
        '  return y',
        '  // Last in the body.',
        '}',
        '',
        '/// Doc of the experiment.',
        'experiment e {',
        '  model = unet(in = 3, // the image channels',
        '               classes = 2)',
        '  train { epochs = 5 } // trailing after a section',
        '}',
        '',
        '// End of file.',
      ),
    );
    const parsed = parseSource(source, 'case.seg').module;
    expect(parsed.definitions[0].doc).toBe('The doc of f,\nover two lines.');
    expect(parsed.experiments[0].doc).toBe('Doc of the experiment.');
  });

  it('a comment inside an expression stays between the same tokens', () => {
    const source = lines('fn f(x) = g(x, // why x', '  // and why 2', '  2) + 1');
    const expected = lines('fn f(x) = g(x, // why x', '            // and why 2', '            2) + 1');
    expect(format(source)).toBe(expected);
    const chain = lines('fn f(x) = a + // why a', '  b * c');
    expect(format(chain)).toBe(lines('fn f(x) = a + // why a', '    b * c'));
  });

  it('breaks definitions after `=`, fills calls under the `(` and chains on lines led by an operator', () => {
    const l1 = 'mean(abs(proportion(softmax[C](T * z), y) - proportion(onehot(y), y)))';
    const header = 'loss long_header(prediction: logits[N,C,S], labels_of_pixels: labels[N,S], alpha = 1.0,';
    const products = 'first_long_function_name(a, b) * second_long_function_name(a, b)';
    const returned = 'first_long_function_name(x, 1) * second_long_function_name(x, 2)';
    const data =
      'data = shapes(size = [64, 64], classes = 3, foreground = 0.05, train = 256, val = 64, ' + 'seed = 7,';
    const loss =
      'ce(logits, y) + alpha * mean(abs(proportion(softmax[C](T * logits), y) - proportion(onehot(y), y)))';
    const source = lines(
      `loss ce_l1(z: logits[N,C,S], y: labels[N,S], alpha = 1.0, T = 1.0) = ce(z, y) + alpha * ${l1}`,
      `${header} temperature = 1.0, smooth = 0.5) = ce(prediction, labels_of_pixels)`,
      `fn chain(a, b) = ${products} + third_long_function_name(a, b) - fourth(a)`,
      'net n(x) {',
      `  return ${returned} + third_long_function_name(x, 3, 4, 5, 6)`,
      '}',
      'experiment e {',
      `  ${data} name = "a long name")`,
      `  loss = ${loss} + 1`,
      '}',
    );
    expect(format(source)).toBe(
      lines(
        'loss ce_l1(z: logits[N,C,S], y: labels[N,S], alpha = 1.0, T = 1.0) =',
        `  ce(z, y) + alpha * ${l1}`,
        `${header} temperature = 1.0,`,
        '                 smooth = 0.5) =',
        '  ce(prediction, labels_of_pixels)',
        'fn chain(a, b) =',
        `  ${products} + third_long_function_name(a, b)`,
        '    - fourth(a)',
        '',
        'net n(x) {',
        `  return ${returned}`,
        '    + third_long_function_name(x, 3, 4, 5, 6)',
        '}',
        '',
        'experiment e {',
        `  ${data}`,
        '                name = "a long name")',
        `  loss = ${loss}`,
        '    + 1',
        '}',
      ),
    );
  });

  it('option blocks: one line with commas when so written and short, else a setting a line', () => {
    const options = 'train augment = [hflip(0.5)], eval augment = [normalize(imagenet), to_tensor()]';
    const source = lines(
      'experiment e {',
      `  data = retinal_lesions(root = "data/retinal", size = [512, 512]) { ${options} }`,
      '  other = folder(root = "x") {',
      '    train augment = [hflip(0.5)]',
      '    eval augment = [normalize(imagenet)],',
      '  }',
      '  train{epochs=5 batch=16,seed=1,}',
      '  eval {',
      '    every = 1 }',
      '  test {}, param alpha = 1.0,',
      '}',
    );
    expect(format(source)).toBe(
      lines(
        'experiment e {',
        '  data = retinal_lesions(root = "data/retinal", size = [512, 512]) {',
        '    train augment = [hflip(0.5)]',
        '    eval augment = [normalize(imagenet), to_tensor()]',
        '  }',
        '  other = folder(root = "x") {',
        '    train augment = [hflip(0.5)]',
        '    eval augment = [normalize(imagenet)]',
        '  }',
        '  train { epochs = 5, batch = 16, seed = 1 }',
        '  eval {',
        '    every = 1',
        '  }',
        '  test {}',
        '  param alpha = 1.0',
        '}',
      ),
    );
  });

  it('for, if and let bodies: a statement a line, `} else if c {` and `} else {` on the closing line', () => {
    const source = lines(
      'net unet(x: image[N,Cin,H,W], classes: int, widths = [64, 128]) {',
      '  let skips = []',
      '  for w in widths[:-1] { x = conv(x, w)',
      '    skips = skips + [x] }',
      '  for (w,s) in reversed(zip(widths[:-1], skips)) { x = concat[C](x, s) }',
      '  if classes == 1 { return sigmoid(x) } else if classes == 2 {',
      '    let y = x',
      '    return y } else { return x }',
      '}',
    );
    expect(format(source)).toBe(
      lines(
        'net unet(x: image[N,Cin,H,W], classes: int, widths = [64, 128]) {',
        '  let skips = []',
        '  for w in widths[:-1] {',
        '    x = conv(x, w)',
        '    skips = skips + [x]',
        '  }',
        '  for (w, s) in reversed(zip(widths[:-1], skips)) {',
        '    x = concat[C](x, s)',
        '  }',
        '  if classes == 1 {',
        '    return sigmoid(x)',
        '  } else if classes == 2 {',
        '    let y = x',
        '    return y',
        '  } else {',
        '    return x',
        '  }',
        '}',
      ),
    );
  });

  it('a long import list fills lines inside its braces', () => {
    const names = 'ce, proportion, soft_dice, focal, focal_l1, focal_kl, focal_dice, focal_log_dice, tversky';
    expect(format(`import std/losses { ${names}, gdice, focal_tversky }\n`)).toBe(
      lines('import std/losses {', `  ${names}, gdice,`, '  focal_tversky', '}'),
    );
  });

  it('normalises CRLF, tabs and trailing spaces; an empty file stays empty', () => {
    expect(format('fn f(x) =\r\n\tx  \r\n')).toBe('fn f(x) = x\n');
    expect(format('')).toBe('');
    expect(format('\n\n// only a comment   \n\n\n')).toBe('// only a comment\n');
  });

  it('does not format a file with syntax errors: the diagnostics are the parser’s', () => {
    const text = 'fn f(x) = (x +\n';
    const result = formatSource(text, 'bad.seg');
    expect(result.text).toBeUndefined();
    expect(result.diagnostics).toEqual(parseSource(text, 'bad.seg').diagnostics);
    expect(result.diagnostics.map((d) => d.code)).toContain('SEG1003');
  });
});
