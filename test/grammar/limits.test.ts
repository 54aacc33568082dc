// The grammar's limits (grammar/limits.ts, docs/limits.md): a file past one gets one diagnostic where the
// limit is crossed, never a RangeError or an exhausted heap; a file just inside each limit parses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSource } from '../../grammar/index.ts';
import {
  MAX_EXPRESSION_DEPTH,
  MAX_NESTING,
  MAX_RULE_DEPTH,
  MAX_SOURCE_CHARS,
  MAX_TOKENS,
} from '../../grammar/limits.ts';

const loss = (expression: string) => `loss f(z) = ${expression}\n`;
const nested = (open: string, close: string, n: number) => `${open.repeat(n)}z${close.repeat(n)}`;

/** Code, line and column of each diagnostic. */
function where(text: string): Array<[string, number, number]> {
  return parseSource(text, 'hostile.seg').diagnostics.map((d) => [d.code, d.span!.line, d.span!.col]);
}

describe('grammar limits', () => {
  // `loss f(z) = ` is 12 characters: the n-th opening bracket is at column 12 + n.
  it.each([
    ['parentheses', '(', ')'],
    ['calls', 'abs(', ')'],
    ['lists', '[', ']'],
  ])(
    '%s: 140 levels are SEG1007 at the bracket past the limit; the limit itself parses',
    (_, open, close) => {
      const col = 12 + (MAX_NESTING + 1) * open.length;
      expect(where(loss(nested(open, close, 140)))).toEqual([['SEG1007', 1, col]]);
      expect(where(loss(nested(open, close, MAX_NESTING - 1)))).toEqual([]);
    },
  );

  it('5,000 nested blocks and a 3,000-long else-if chain are SEG1007', () => {
    const blocks = `fn g(x) {\n${'if true { '.repeat(5000)}return x${' }'.repeat(5000)}\n}\n`;
    expect(where(blocks).map((d) => d[0])).toEqual(['SEG1007']);
    const elseIfs = (n: number) =>
      `fn g(x) {\n  if false { return x }${' else if false { return x }'.repeat(n)}\n  return x\n}\n`;
    expect(where(elseIfs(3000)).map((d) => d[0])).toEqual(['SEG1007']);
    expect(where(elseIfs(40))).toEqual([]);
  });

  it("chains of '-', 'not' and '^' that open no bracket stop at the rule limit", () => {
    for (const chain of ['- '.repeat(5000) + 'z', 'not '.repeat(5000) + 'z', 'z ^ '.repeat(3000) + 'z']) {
      const message = parseSource(loss(chain), 'hostile.seg').diagnostics.map((d) => d.message);
      expect(message).toEqual([expect.stringContaining(`more than ${MAX_RULE_DEPTH} grammar rules`)]);
    }
  });

  it('a loss of 3,000 + terms is SEG1008 at a term past the depth limit; 200 terms parse', () => {
    const terms = (n: number) => Array.from({ length: n }, () => 'z').join(' + ');
    // Left-associative: the '+' at depth 200 from the top is the 2,800th; its right term (0-based 2,800,
    // at column 13 + 4 * 2800) lies at depth 201.
    const col = 13 + 4 * (3000 - MAX_EXPRESSION_DEPTH);
    expect(where(loss(terms(3000)))).toEqual([['SEG1008', 1, col]]);
    expect(where(loss(terms(MAX_EXPRESSION_DEPTH)))).toEqual([]);
  });

  it('a 13 MB file is SEG1006 at the first character past the limit, without lexing it', () => {
    const line = `// ${'x'.repeat(100)}\n`;
    const text = loss('z') + line.repeat(130_000);
    const diagnostics = parseSource(text, 'hostile.seg').diagnostics;
    expect(diagnostics.map((d) => [d.code, d.span!.start])).toEqual([['SEG1006', MAX_SOURCE_CHARS]]);
    expect(diagnostics[0].message).toContain(`${text.length} characters`);
  });

  it('a file of more tokens than the limit is SEG1009 at the first token past it', () => {
    const items = Array.from({ length: MAX_TOKENS }, () => '1').join(',');
    const text = loss(`len([${items}])`);
    const diagnostics = parseSource(text, 'hostile.seg').diagnostics;
    expect(diagnostics.map((d) => d.code)).toEqual(['SEG1009']);
    // `loss f ( z ) = len ( [` are tokens 0-8; then each item and comma is one character and one token.
    expect(diagnostics[0].span!.start).toBe(text.indexOf('[') + 1 + MAX_TOKENS - 9);
  });

  it('after a file past a limit the next parse is unaffected', () => {
    parseSource(loss(nested('(', ')', 140)), 'hostile.seg');
    expect(where(loss('abs((z))'))).toEqual([]);
  });
});

describe('docs/limits.md', () => {
  it('states the value of every limit', async () => {
    const grammar = await import('../../grammar/limits.ts');
    const stage = await import('../../compiler/stage/limits.ts');
    const text = readFileSync('docs/limits.md', 'utf8');
    const values = Object.entries({ ...grammar, ...stage }).filter(([name]) => name.startsWith('MAX_'));
    expect(values.length).toBeGreaterThanOrEqual(13);
    for (const [name, value] of values) {
      expect(text, name).toContain(`| ${(value as number).toLocaleString('en-US')} `);
    }
  });
});
