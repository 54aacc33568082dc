// The VS Code TextMate grammar (editors/vscode/): valid JSON, regexes valid in JS and Oniguruma alike, every
// keyword token of grammar/tokens.ts and every built-in highlighted, and known words of stdlib and experiment
// files scoped.
import { readFileSync } from 'node:fs';
import type { TokenType } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../compiler/stage/builtins.ts';
import { Lexer } from 'chevrotain';
import { allTokens, Identifier } from '../../grammar/tokens.ts';
import { grammarRegexes, Tokenizer, type Grammar, type Rule, type Token } from './textmate-tokenizer.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const grammar = JSON.parse(read('editors/vscode/syntaxes/seg.tmLanguage.json')) as Grammar;

/**
 * Keyword tokens: a word pattern with Identifier as its longer alternative (see `keyword()` in tokens.ts).
 */
function keywordWords(): string[] {
  const isWord = (t: TokenType) => t.PATTERN instanceof RegExp && /^[A-Za-z_]\w*$/.test(t.PATTERN.source);
  const longerAlt = (t: TokenType) => [t.LONGER_ALT ?? []].flat().includes(Identifier);
  return allTokens
    .filter((t) => t !== Identifier && t.PATTERN !== Lexer.NA && (isWord(t) || longerAlt(t)))
    .map((t) => (t.PATTERN as RegExp).source);
}

/** Tokenises a whole file; lines[i] holds the tokens of line i. */
function tokenize(text: string): { lines: Token[][]; depth: number } {
  const tokenizer = new Tokenizer(grammar);
  const lines = text.split('\n').map((line) => tokenizer.tokenizeLine(line));
  return { lines, depth: tokenizer.depth };
}

/**
 * Scopes of `word` (its `nth` occurrence as a whole word) on a tokenised line; every character must agree.
 */
function scopesOf(tokens: Token[], word: string, nth = 0): string[] {
  const line = tokens.map((t) => t.text).join('');
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const edge = (c: string) => (/\w/.test(c) ? '\\b' : '');
  const matches = [
    ...line.matchAll(new RegExp(`${edge(word[0])}${escaped}${edge(word[word.length - 1])}`, 'g')),
  ];
  const at = matches[nth]?.index;
  if (at === undefined) throw new Error(`'${word}' (#${nth}) is not on line ${JSON.stringify(line)}`);
  const scopeAt = (i: number) =>
    tokens.find((t) => t.start <= i && i < t.start + t.text.length)!.scopes.join(' ');
  const first = scopeAt(at);
  for (let i = at; i < at + word.length; i++) {
    expect(scopeAt(i), `'${word}' is split into differently scoped parts`).toBe(first);
  }
  return first.split(' ');
}

/** The line of `lines` whose text contains `needle`. */
function lineWith(lines: Token[][], needle: string): Token[] {
  const found = lines.find((tokens) =>
    tokens
      .map((t) => t.text)
      .join('')
      .includes(needle),
  );
  if (!found) throw new Error(`no line contains ${JSON.stringify(needle)}`);
  return found;
}

const innermost = (scopes: string[]) => scopes[scopes.length - 1];

describe('the VS Code extension', () => {
  it('has a manifest contributing the seg language, its grammar and configuration', () => {
    const manifest = JSON.parse(read('editors/vscode/package.json'));
    expect(manifest.contributes.languages[0]).toMatchObject({ id: 'seg', extensions: ['.seg'] });
    const contributed = manifest.contributes.grammars[0];
    expect(contributed).toMatchObject({ language: 'seg', scopeName: 'source.seg' });
    expect(JSON.parse(read(`editors/vscode/${contributed.path}`)).scopeName).toBe('source.seg');
    const configuration = JSON.parse(
      read(`editors/vscode/${manifest.contributes.languages[0].configuration}`),
    );
    expect(configuration.comments.lineComment).toBe('//');
    expect(configuration.brackets).toEqual([
      ['{', '}'],
      ['[', ']'],
      ['(', ')'],
    ]);
  });
});

describe('seg.tmLanguage.json', () => {
  const regexes = grammarRegexes(grammar);

  it('is valid JSON with scopeName source.seg', () => {
    expect(grammar.scopeName).toBe('source.seg');
    expect(regexes.length).toBeGreaterThan(20);
  });

  it('has regexes that compile as JS RegExps', () => {
    for (const { path, source } of regexes) {
      expect(() => new RegExp(source), path).not.toThrow();
    }
  });

  it('uses no Oniguruma-only or JS-only syntax, and only fixed-length lookbehinds', () => {
    // \A \z \Z \G \h \K, atomic groups, inline flags, possessive quantifiers; named groups differ in both.
    const forbidden = /\\[AzZGhHK]|\(\?>|\(\?[imx-]+[:)]|[*+?}]\+|\(\?<[A-Za-z]|\\[pP]\{|\\u[0-9a-fA-F]{4}/;
    for (const { path, source } of regexes) {
      expect(source, path).not.toMatch(forbidden);
      for (const lookbehind of source.matchAll(/\(\?<[=!]((?:\\.|[^()])*)\)/g)) {
        expect(lookbehind[1], `${path}: lookbehind of variable length`).not.toMatch(/(?<!\\)[*+?{]/);
      }
    }
  });

  it('resolves every include', () => {
    const includes = JSON.stringify(grammar).match(/"include":"#[^"]+"/g) ?? [];
    for (const include of includes) {
      const name = include.slice('"include":"#'.length, -1);
      expect(grammar.repository?.[name], include).toBeDefined();
    }
  });

  it('highlights every keyword token of grammar/tokens.ts with the keyword rule', () => {
    const words = keywordWords();
    expect(words).toEqual(
      expect.arrayContaining(['import', 'experiment', 'fn', 'loss', 'in', 'param', 'true', 'not']),
    );
    const rules = (grammar.repository?.keywords.patterns ?? []) as Rule[];
    const matches = (text: string, word: string) =>
      rules.some((rule) => {
        const found = new RegExp(rule.match!).exec(text);
        return found !== null && found.index === 0 && found[0] === word;
      });
    for (const word of words) {
      // Soft keywords are keywords only where a name follows (`loss ce(...)`, `for w in widths`).
      expect(matches(`${word} x`, word), `keyword '${word}'`).toBe(true);
      expect(matches(`${word}x`, word), `'${word}x' is a name`).toBe(false);
      expect(matches(`${word}_x`, word), `'${word}_x' is a name`).toBe(false);
    }
  });

  it('highlights every built-in function of compiler/stage/builtins.ts', () => {
    for (const name of builtins.keys()) {
      const { lines } = tokenize(`fn f(x) = ${name}(x) + ${name}[C](x)`);
      expect(scopesOf(lines[0], name, 0), name).toContain('support.function.builtin.seg');
      expect(scopesOf(lines[0], name, 1), name).toContain('support.function.builtin.seg');
    }
  });
});

// Definitions in the style of stdlib/losses.seg and stdlib/nets.seg, fixed here so that library edits keep
// this test.
const definitions = `// std/losses: the loss formulas of segc.

/// Cross-entropy over valid pixels.
loss ce(z: logits[N,C,S], y: labels[N,S], w: [C] = 1) {
  let v = valid(y)
  if size[C](z) == 1 {
    return sum(bce_with_logits(z, onehot(y)) * v) / sum(v)
  }
  let nll = -sum[C](onehot(y) * log_softmax[C](z))
  return sum(w[y] * v * nll) / sum(w[y] * v)
}

/// Elementwise binary cross-entropy with logits.
fn bce_with_logits(z, t) = max(z, 0) - z * t + log(1 + exp(-abs(z)))

/// Per-image class proportions over valid pixels.
fn proportion(p: [N,C,S], y: labels[N,S]) = (sum[S](p * valid(y)) + 1e-10) / (sum[S](valid(y)) + 1e-10)

loss ce_l1(z: logits[N,C,S], y: labels[N,S], alpha = 1.0,
           T = 1.0) =
  ce(z, y) + alpha * mean(abs(proportion(softmax[C](T * z), y) - proportion(onehot(y), y)))

block conv_bn_relu(x, c, k = 3) = relu(batchnorm(conv(x, c, k, pad = k / 2, bias = false)))

net unet(x: image[N,Cin,H,W], in: int = 3, classes: int = 2, widths = [64, 128, 256, 512]) {
  let skips = []
  for w in widths[:-1] {
    x = conv_bn_relu(conv_bn_relu(x, w), w)
    skips = skips + [x]
  }
  for (w, s) in reversed(zip(widths[:-1], skips)) {
    x = concat[C](upsample(x, 2), s)
  }
  return conv(x, classes, 1)
}`;

describe('tokenising definitions', () => {
  const { lines, depth } = tokenize(definitions);

  it('closes every begin/end rule by the end of the file', () => {
    expect(depth).toBe(1);
  });

  it('tells doc comments from line comments', () => {
    expect(innermost(scopesOf(lines[0], 'std'))).toBe('comment.line.double-slash.seg');
    const doc = lineWith(lines, '/// Cross-entropy over valid pixels');
    expect(scopesOf(doc, 'Cross')).toContain('comment.line.documentation.seg');
    expect(scopesOf(doc, '///')).toContain('punctuation.definition.comment.seg');
  });

  it('scopes definitions, their names, parameters and type annotations', () => {
    const ce = lineWith(lines, 'loss ce(z: logits[N,C,S]');
    expect(scopesOf(ce, 'loss')).toContain('storage.type.function.seg');
    expect(scopesOf(ce, 'ce')).toContain('entity.name.function.seg');
    expect(scopesOf(ce, 'z')).toContain('variable.parameter.seg');
    expect(scopesOf(ce, 'logits')).toContain('support.type.seg');
    expect(scopesOf(ce, 'labels')).toContain('support.type.seg');
    expect(innermost(scopesOf(ce, 'N'))).toBe('entity.name.type.dimension.seg');
    expect(innermost(scopesOf(ce, 'S', 1))).toBe('entity.name.type.dimension.seg');
    expect(innermost(scopesOf(ce, 'C', 1))).toBe('entity.name.type.dimension.seg'); // w: [C]
    expect(scopesOf(ce, '1')).toContain('constant.numeric.seg'); // w: [C] = 1
    const fn = lineWith(lines, 'fn bce_with_logits(z, t)');
    expect(scopesOf(fn, 'fn')).toContain('storage.type.function.seg');
    expect(scopesOf(fn, 'bce_with_logits')).toContain('entity.name.function.seg');
    const continued = lineWith(lines, 'T = 1.0) =');
    expect(scopesOf(continued, 'T')).toContain('variable.parameter.seg'); // parameter lists span lines
  });

  it('scopes statements, keywords and named-axis reductions', () => {
    const nll = lineWith(lines, 'let nll = -sum[C](onehot(y) * log_softmax[C](z))');
    expect(scopesOf(nll, 'let')).toContain('storage.type.let.seg');
    expect(scopesOf(nll, 'nll')).toContain('variable.other.readwrite.seg');
    expect(scopesOf(nll, 'sum')).toContain('support.function.builtin.seg');
    expect(innermost(scopesOf(nll, 'C'))).toBe('entity.name.type.dimension.seg');
    expect(scopesOf(nll, 'log_softmax')).toContain('support.function.builtin.seg');
    expect(scopesOf(nll, '*')).toContain('keyword.operator.arithmetic.seg');
    const ifSize = lineWith(lines, 'if size[C](z) == 1 {');
    expect(scopesOf(ifSize, 'if')).toContain('keyword.control.conditional.seg');
    expect(scopesOf(ifSize, '==')).toContain('keyword.operator.comparison.seg');
    expect(scopesOf(lineWith(lines, 'return sum(w[y] * v * nll)'), 'return')).toContain(
      'keyword.control.return.seg',
    );
    const proportion = lineWith(lines, 'fn proportion(p: [N,C,S]');
    expect(innermost(scopesOf(proportion, 'S', 2))).toBe('entity.name.type.dimension.seg'); // sum[S](...)
    expect(scopesOf(proportion, '1e-10')).toContain('constant.numeric.seg');
    const ceL1 = lineWith(lines, 'ce(z, y) + alpha * mean(abs(proportion(');
    expect(scopesOf(ceL1, 'proportion')).toContain('entity.name.function.call.seg');
    expect(scopesOf(ceL1, 'mean')).toContain('support.function.builtin.seg');
    expect(scopesOf(ceL1, 'alpha')).not.toContain('entity.name.function.call.seg');
  });

  it('scopes blocks, nets, for loops, slices and soft keywords used as names', () => {
    const block = lineWith(lines, 'block conv_bn_relu(x, c, k = 3)');
    expect(scopesOf(block, 'block')).toContain('storage.type.function.seg');
    expect(scopesOf(block, 'false')).toContain('constant.language.boolean.seg');
    expect(scopesOf(block, 'pad')).toContain('variable.parameter.keyword-argument.seg');
    const unet = lineWith(lines, 'net unet(x: image[N,Cin,H,W], in: int = 3');
    expect(scopesOf(unet, 'net')).toContain('storage.type.function.seg');
    expect(innermost(scopesOf(unet, 'Cin'))).toBe('entity.name.type.dimension.seg');
    expect(scopesOf(unet, 'in')).toContain('variable.parameter.seg');
    expect(scopesOf(unet, 'in')).not.toContain('keyword.control.loop.seg');
    expect(scopesOf(unet, 'int')).toContain('support.type.seg');
    const loop = lineWith(lines, 'for w in widths[:-1] {');
    expect(scopesOf(loop, 'for')).toContain('keyword.control.loop.seg');
    expect(scopesOf(loop, 'in')).toContain('keyword.control.loop.seg');
    expect(scopesOf(loop, ':')).toContain('punctuation.separator.colon.seg');
    expect(scopesOf(loop, '1')).toContain('constant.numeric.seg');
    const zip = lineWith(lines, 'for (w, s) in reversed(zip(widths[:-1], skips))');
    expect(scopesOf(zip, 'in')).toContain('keyword.control.loop.seg');
    expect(scopesOf(zip, 'reversed')).toContain('support.function.builtin.seg');
    const concat = lineWith(lines, 'x = concat[C](upsample(x, 2), s)');
    expect(scopesOf(concat, 'x')).toContain('variable.other.readwrite.seg');
    expect(innermost(scopesOf(concat, 'C'))).toBe('entity.name.type.dimension.seg');
  });
});

describe('tokenising the standard library', () => {
  for (const file of ['stdlib/losses.seg', 'stdlib/nets.seg']) {
    it(`scopes every doc comment, definition and let of ${file}`, () => {
      const text = read(file);
      const { lines, depth } = tokenize(text);
      expect(depth).toBe(1);
      text.split('\n').forEach((line, i) => {
        const doc = /^\s*\/\/\/(?!\/)\s*(\w+)/.exec(line);
        if (doc) expect(scopesOf(lines[i], doc[1]), line).toContain('comment.line.documentation.seg');
        const definition = /^(fn|loss|block|net)\s+(\w+)\(/.exec(line);
        if (definition) {
          expect(scopesOf(lines[i], definition[1]), line).toContain('storage.type.function.seg');
          expect(scopesOf(lines[i], definition[2]), line).toContain('entity.name.function.seg');
        }
        const binding = /^\s*let\s+(\w+)/.exec(line);
        if (binding) expect(scopesOf(lines[i], binding[1]), line).toContain('variable.other.readwrite.seg');
      });
    });
  }
});

describe('tokenising experiments', () => {
  it('scopes imports, experiments, params, settings and sections in a spec example', () => {
    const { lines, depth } = tokenize(read('test/fixtures/spec-examples/brain3d_ce-l1.seg'));
    expect(depth).toBe(1);
    const imports = lineWith(lines, 'import std/losses { ce_l1 }');
    expect(scopesOf(imports, 'import')).toContain('keyword.control.import.seg');
    expect(scopesOf(imports, 'std/losses')).toContain('entity.name.namespace.seg');
    const experiment = lineWith(lines, 'experiment brain3d {');
    expect(scopesOf(experiment, 'experiment')).toContain('storage.type.experiment.seg');
    expect(scopesOf(experiment, 'brain3d')).toContain('entity.name.type.experiment.seg');
    const data = lineWith(lines, 'data = nifti(images = "data/brain/*_t1.nii.gz"');
    expect(scopesOf(data, 'data')).toContain('variable.other.property.seg');
    expect(scopesOf(data, 'images')).toContain('variable.parameter.keyword-argument.seg');
    expect(scopesOf(data, 'brain')).toContain('string.quoted.double.seg');
    const augment = lineWith(lines, 'train augment = [flip(axes = [D, H, W], p = 0.5)');
    expect(scopesOf(augment, 'train augment')).toContain('variable.other.property.seg');
    const loss = lineWith(lines, 'loss = ce_l1(logits, y, alpha = 1.0, T = 10.0)');
    expect(scopesOf(loss, 'loss')).toContain('variable.other.property.seg'); // a setting, not the keyword
    expect(scopesOf(loss, 'loss')).not.toContain('storage.type.function.seg');
    expect(scopesOf(lineWith(lines, 'optimizer = adam(lr = 3e-4)'), '3e-4')).toContain(
      'constant.numeric.seg',
    );
    const train = lineWith(lines, 'train { epochs = 100, batch = 2 }');
    expect(scopesOf(train, 'train')).toContain('entity.name.section.seg');
    expect(scopesOf(train, 'epochs')).toContain('variable.other.property.seg');
  });

  it('scopes params, string imports and member access', () => {
    const source = [
      'import "./mine.seg" { tversky }',
      'experiment e {',
      '  param alpha = 1.0',
      '  schedule = plateau(monitor = val.loss)',
      '  eval { every = 1, metrics = [dice, miou], select = dice }',
      '}',
      '//// four slashes is a plain comment',
      'fn g(x) = "a \\" b" + x',
    ].join('\n');
    const { lines, depth } = tokenize(source);
    expect(depth).toBe(1);
    expect(scopesOf(lines[0], 'mine')).toContain('string.quoted.double.seg');
    expect(scopesOf(lines[0], '"', 0)).toContain('punctuation.definition.string.begin.seg');
    expect(scopesOf(lines[2], 'param')).toContain('storage.type.param.seg');
    expect(scopesOf(lines[2], 'alpha')).toContain('variable.other.constant.param.seg');
    expect(scopesOf(lines[3], 'loss')).toContain('variable.other.property.seg');
    expect(scopesOf(lines[3], '.')).toContain('punctuation.accessor.seg');
    expect(scopesOf(lines[4], 'select')).toContain('variable.other.property.seg');
    expect(scopesOf(lines[5], '}')).toContain('meta.experiment.seg');
    expect(innermost(scopesOf(lines[6], 'four'))).toBe('comment.line.double-slash.seg');
    expect(scopesOf(lines[7], '\\"')).toContain('constant.character.escape.seg');
    expect(scopesOf(lines[7], 'x', 1)).not.toContain('string.quoted.double.seg');
  });
});
