// The malformed corpus: every test/fixtures/malformed/NAME.seg goes through `segc check` in-process (runCheck
// in cli/check.ts, the code the command runs) and its stderr followed by `exit: N` must equal NAME.expected
// exactly.
//
// Regenerate the goldens after an intended change to a diagnostic:
//
//     UPDATE_GOLDEN=1 npx vitest run test/e2e/malformed.test.ts
//
// then read every changed golden (git diff) before committing it: each diagnostic must point at the right
// place and tell the user what to do. Cases whose diagnostic is still wrong live in
// test/fixtures/malformed-pending/ with the golden they should print; they are not run here. Move one into
// the corpus once `segc check` prints its golden. Helper modules the cases import live in
// test/fixtures/malformed/modules/ and are not cases themselves. Run from the repository root: diagnostics
// name files relative to the working directory (displayPath).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../cli/check.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const corpus = join(root, 'test/fixtures/malformed');
const update = process.env.UPDATE_GOLDEN === '1';

const files = readdirSync(corpus);
const cases = files
  .filter((f) => f.endsWith('.seg'))
  .map((f) => f.slice(0, -'.seg'.length))
  .sort();

/** What `segc check NAME.seg` prints on stderr, then its exit code; paths relative to the checkout. */
function check(name: string): string {
  const { stderr, exitCode } = runCheck([join(corpus, `${name}.seg`)]);
  return `${stderr.replaceAll(`${root}/`, '')}exit: ${exitCode}\n`;
}

describe('malformed corpus', () => {
  it('has at least 45 cases, each with a golden and no golden without a case', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    const goldens = files.filter((f) => f.endsWith('.expected')).map((f) => f.slice(0, -'.expected'.length));
    if (!update) expect(cases.filter((c) => !goldens.includes(c))).toEqual([]);
    expect(goldens.filter((g) => !cases.includes(g))).toEqual([]);
  });

  it.each(cases)('%s', (name) => {
    const actual = check(name);
    const golden = join(corpus, `${name}.expected`);
    if (update) writeFileSync(golden, actual);
    expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(actual).toBe(readFileSync(golden, 'utf8'));
    // Every case is malformed: it fails with at least one rendered diagnostic and never an internal error.
    expect(actual).toMatch(/\nexit: 1\n$/);
    expect(actual).toMatch(/^\S+:\d+:\d+: error SEG\d{4}: /);
    expect(actual).not.toContain('internal error');
  });
});
