// Hostile programs through `segc check` in-process (runCheck): each crossed a limit of staging
// (compiler/stage/limits.ts, docs/limits.md) and crashed the process (RangeError, heap out of memory) before
// the limits existed; each is now one diagnostic at the expression that crossed the limit. A program just
// inside a limit checks cleanly, so the limits are not in the way of real programs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../cli/check.ts';
import {
  MAX_CALL_DEPTH,
  MAX_ELEMENTWISE_CHAIN,
  MAX_LIST_ITEMS,
  MAX_LOOP_ITERATIONS,
  MAX_STEPS,
  MAX_STRING_CHARS,
} from '../../compiler/stage/limits.ts';

const dir = mkdtempSync(join(tmpdir(), 'segc-hostile-'));
let count = 0;

/** An experiment with `defs` before it and `loss`; its line 7 is the loss line when `defs` is one line. */
function check(loss: string, defs = ''): string {
  const text = [
    'import std/losses { ce }',
    'import std/nets { unet }',
    defs,
    'experiment tiny {',
    '  data = shapes(size = [8, 8], classes = 3, foreground = 0.2, train = 4, val = 2, seed = 3)',
    '  model = unet(in = 3, classes = 3, widths = [2, 4])',
    `  loss = ${loss}`,
    '  optimizer = adam(lr = 1e-3)',
    '  train { epochs = 1, batch = 2, seed = 1 }',
    '}',
    '',
  ].join('\n');
  const file = join(dir, `case${count++}.seg`);
  writeFileSync(file, text);
  const { stderr, exitCode } = runCheck([file]);
  return `${stderr.replaceAll(`${dir}/`, '')}exit: ${exitCode}`;
}

/** The `error SEGxxxx: message` part of each diagnostic line, with the line number of the case. */
function errors(output: string): string[] {
  return [...output.matchAll(/^case\d+\.seg:(\d+):\d+: error (SEG\d{4}): (.*)$/gm)].map(
    ([, line, code, message]) => `${line} ${code} ${message}`,
  );
}

const body = (statements: string[]) => `fn g(x) {\n${statements.map((s) => `  ${s}`).join('\n')}\n}`;

describe('staging limits', () => {
  it('len(range(1000000000)) is SEG4005 at the count; range at the limit checks', () => {
    expect(errors(check('ce(logits, y) * len(range(1000000000))'))).toEqual([
      `7 SEG4005 This makes a list of 1000000000 items, more than the ${MAX_LIST_ITEMS} allowed.`,
    ]);
    expect(check(`ce(logits, y) * len(range(${MAX_LIST_ITEMS}))`)).toBe('exit: 0');
  });

  it('a list doubled 40 times is SEG4005 at the + that crosses the limit', () => {
    const doubled = body(['let a = [1]', ...Array(40).fill('a = a + a'), 'return len(a)']);
    const crossing = Math.ceil(Math.log2(MAX_LIST_ITEMS + 1));
    // `fn g(x) {` is line 3, `let a` line 4: the k-th doubling (making 2^k items) is line 4 + k.
    expect(errors(check('ce(logits, y) * g(1)', doubled))).toEqual([
      `${4 + crossing} SEG4005 This makes a list of ${2 ** crossing} items, ` +
        `more than the ${MAX_LIST_ITEMS} allowed.`,
    ]);
  });

  it('a string doubled 40 times is SEG4005', () => {
    const doubled = body(['let a = "ab"', ...Array(40).fill('a = a + a'), 'return 1']);
    const crossing = Math.ceil(Math.log2(MAX_STRING_CHARS / 2 + 1));
    expect(errors(check('ce(logits, y) * g(1)', doubled))).toEqual([
      `${4 + crossing} SEG4005 This makes a string of ${2 ** (crossing + 1)} characters, ` +
        `more than the ${MAX_STRING_CHARS} allowed.`,
    ]);
  });

  it('nested loops of 10^8 iterations are SEG4006 at the inner loop', () => {
    const loops = body([
      'let a = 0',
      'for i in range(10000) {',
      '  for j in range(10000) {',
      '    a = a + 1',
      '  }',
      '}',
      'return a',
    ]);
    expect(errors(check('ce(logits, y) * g(1)', loops))).toEqual([
      `6 SEG4006 Loops run more than ${MAX_LOOP_ITERATIONS} times in all while staging.`,
    ]);
  });

  it('a 2,000-deep call chain is SEG4007 at the call one too deep; the limit itself checks', () => {
    const chain = (n: number) =>
      [...Array.from({ length: n }, (_, i) => `fn f${i}(x) = f${i + 1}(x)`), `fn f${n}(x) = x`].join('\n');
    // f0 is called from the loss; the call in f{MAX_CALL_DEPTH - 1} (its line 3 + MAX_CALL_DEPTH - 1) is one
    // too many.
    expect(errors(check('f0(ce(logits, y))', chain(2000)))).toEqual([
      `${3 + MAX_CALL_DEPTH - 1} SEG4007 Calls of definitions nest more than ${MAX_CALL_DEPTH} deep here.`,
    ]);
    expect(check('f0(ce(logits, y))', chain(MAX_CALL_DEPTH - 2))).toBe('exit: 0');
  });

  it('calls that fan out 2^30 times are SEG4009', () => {
    const fan = [
      ...Array.from({ length: 30 }, (_, i) => `fn f${i}(x) = f${i + 1}(x) + f${i + 1}(x)`),
      'fn f30(x) = x',
    ].join('\n');
    const found = errors(check('ce(logits, y) * f0(1)', fan));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^\\d+ SEG4009 Staging takes more than ${MAX_STEPS} steps`));
  });

  it('a loop adding to a tensor 3,000 times is SEG4008 (an elementwise chain); 300 times checks', () => {
    const loop = (n: number) =>
      body(['let a = mean(x)', `for i in range(${n}) {`, '  a = a + mean(x) * 0.5', '}', 'return a']);
    const found = errors(check('g(logits) + ce(logits, y)', loop(3000)));
    expect(found).toEqual([
      `6 SEG4008 The program builds more than ${MAX_ELEMENTWISE_CHAIN} elementwise operations in one chain.`,
    ]);
    expect(check('g(logits) + ce(logits, y)', loop(300))).toBe('exit: 0');
  });

  it('a loss of 3,000 + terms and 140 nested parentheses are diagnostics, not stack overflows', () => {
    const terms = Array(3000).fill('ce(logits, y)').join(' + ');
    expect(errors(check(terms)).map((e) => e.split(' ').slice(0, 2).join(' '))).toEqual(['7 SEG1008']);
    const parens = `ce(logits, y) * ${'('.repeat(140)}1${')'.repeat(140)}`;
    expect(errors(check(parens)).map((e) => e.split(' ').slice(0, 2).join(' '))).toEqual(['7 SEG1007']);
  });
});
