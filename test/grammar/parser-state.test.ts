// One parse never changes the next: the parser is one reusable instance, so whatever a syntax error leaves
// behind (recovery caches, counters) must not make a later, correct file report errors.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../grammar/index.ts';

const stdlib = readdirSync('stdlib')
  .filter((name) => name.endsWith('.seg'))
  .map((name) => join('stdlib', name));
const malformed = 'test/fixtures/malformed';
const badFiles = readdirSync(malformed)
  .filter((name) => name.endsWith('.seg'))
  .map((name) => join(malformed, name));

const codes = (text: string, file: string) => parseSource(text, file).diagnostics.map((d) => d.code);

// The three programs of the report: a bad argument inside a call list, each parsed first in a process.
const reported = [
  'block down(x, c) = relu(conv(x, c, k = 3, pad 1, bias = false))\n',
  'fn f(x) = g(1 = 2, b = 3)\n',
  'fn f(x) = conv(x, 16, -k = 3)\n',
];

describe('parser state does not leak from one input to the next', () => {
  it.each(reported)('after %j the stdlib parses without errors', (bad) => {
    expect(codes(bad, 'bad.seg')).toEqual(['SEG1003']);
    for (const file of stdlib) {
      expect(codes(readFileSync(file, 'utf8'), file), file).toEqual([]);
    }
  });

  it('after every malformed corpus file the stdlib and the experiments parse without errors', () => {
    const clean = [...stdlib, 'experiments/quickstart.seg'];
    for (const bad of badFiles) {
      parseSource(readFileSync(bad, 'utf8'), bad);
      for (const file of clean) {
        expect(codes(readFileSync(file, 'utf8'), file), `${file} after ${bad}`).toEqual([]);
      }
    }
  });

  it('in one file, a bad call argument does not make a later slice inside a call an error', () => {
    const text = 'fn f(x) = g(1 = 2, b = 3)\nfn h(x) = zip(x[:-1], x)\nfn k(x) = sum[N, S](x)\n';
    const diagnostics = parseSource(text, 'bad.seg').diagnostics;
    // Was also SEG1004 and "Expected ')' but found ']'" on line 2, the stdlib's `zip(widths[:-1], skips)`.
    expect(diagnostics.map((d) => [d.code, d.span?.line])).toEqual([['SEG1003', 1]]);
  });

  it('the same bad file gives the same diagnostics the first and the tenth time', () => {
    const text = readFileSync(join(malformed, 'parse-several-errors.seg'), 'utf8');
    const first = parseSource(text, 'a.seg').diagnostics;
    for (let i = 0; i < 10; i++) parseSource(reported[i % 3], 'bad.seg');
    expect(parseSource(text, 'a.seg').diagnostics).toEqual(first);
  });
});
