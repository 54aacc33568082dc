// The style guide's formatting: every file prettier covers (.prettierrc.json; .prettierignore scopes it to the
// .ts/.mts/.mjs/.js sources) is formatted, and no .ts line of diagnostics/, grammar/, compiler/, runtime/ or cli/ is over 110
// columns (prettier leaves strings, template literals and comments as written). Fix with `npm run format`, then
// rewrap by hand what is still too long: comments, and strings split with `+` into the same text.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ignorePath = join(root, '.prettierignore');
const trees = [
  'diagnostics',
  'grammar',
  'compiler',
  'runtime',
  'jobs',
  'report',
  'cli',
  'bench',
  'test',
  'scripts',
  'bin',
];
const sourceFile = /\.(ts|mts|mjs|js)$/;
const MAX_COLUMNS = 110;
const lengthChecked = /^(diagnostics|grammar|compiler|runtime|jobs|report|cli)\/.*\.ts$/;

/**
 * Lines allowed over MAX_COLUMNS, as [file, pattern the line matches], each with the reason it cannot be
 * shorter. Keep it empty: a string splits into `'...' + '...'` with the same text.
 */
const allowedLongLines: [file: string, line: RegExp][] = [];

/** Source files under `dir` (relative to the root), skipping dependencies and hidden folders. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name.startsWith('.') ? [] : sources(path);
    return entry.isFile() && sourceFile.test(entry.name) ? [path] : [];
  });
}

/** The files `prettier --check .` checks: sources that .prettierignore leaves in, relative to the root. */
async function covered(): Promise<string[]> {
  const rootFiles = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isFile() && sourceFile.test(entry.name))
    .map((entry) => entry.name);
  const candidates = [...rootFiles, ...trees.flatMap(sources)];
  const infos = await Promise.all(
    candidates.map((file) => prettier.getFileInfo(join(root, file), { ignorePath })),
  );
  return candidates.filter((_, i) => !infos[i].ignored && infos[i].inferredParser !== null).sort();
}

const files = covered();

describe('code style', () => {
  it('covers the sources of every tree', async () => {
    const covering = await files;
    for (const tree of ['diagnostics', 'grammar', 'compiler', 'runtime', 'cli', 'test']) {
      expect(
        covering.some((file) => file.startsWith(`${tree}/`)),
        tree,
      ).toBe(true);
    }
    expect(covering).toContain('vitest.config.ts');
    expect(covering).not.toContain('grammar/cst.generated.d.ts');
  });

  it('every source is formatted by prettier (run `npm run format`)', async () => {
    const unformatted: string[] = [];
    for (const file of await files) {
      const path = join(root, file);
      const options = await prettier.resolveConfig(path, { editorconfig: true });
      if (!(await prettier.check(readFileSync(path, 'utf8'), { ...options, filepath: path })))
        unformatted.push(file);
    }
    expect(unformatted).toEqual([]);
  });

  it(`no line of diagnostics/, grammar/, compiler/, runtime/ or cli/ is over ${MAX_COLUMNS} columns`, async () => {
    const long: string[] = [];
    for (const file of (await files).filter((f) => lengthChecked.test(f))) {
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const allowed = allowedLongLines.some(([f, pattern]) => f === file && pattern.test(line));
          if (line.length > MAX_COLUMNS && !allowed) long.push(`${file}:${i + 1} (${line.length} columns)`);
        });
    }
    expect(long).toEqual([]);
  });
});
