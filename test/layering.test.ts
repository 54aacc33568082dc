// The phases import one way (ARCHITECTURE.md): diagnostics → grammar → compiler → runtime → cli; every phase
// may import diagnostics/; only tests and bench may reach into the float64 oracle.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => join(file, '..', m[1]));
}

const forbidden: Record<string, RegExp> = {
  diagnostics: /^(grammar\/|compiler\/|runtime\/|cli\/)/,
  grammar: /^(compiler\/|runtime\/|cli\/)/,
  compiler: /^(runtime\/|cli\/)/,
  runtime: /^(cli\/|compiler\/ir\/oracle)/,
};

describe('layering', () => {
  it.each(Object.keys(forbidden))('%s/ imports no later phase', (phase) => {
    const offending = sources(phase).flatMap((file) =>
      imports(file)
        .filter((target) => forbidden[phase].test(target))
        .map((target) => `${file} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('the float64 oracle is imported only by tests', () => {
    const users = ['diagnostics', 'grammar', 'compiler', 'runtime', 'cli']
      .flatMap(sources)
      .filter(
        (file) =>
          !file.endsWith('oracle.ts') && imports(file).some((t) => t.endsWith('compiler/ir/oracle.ts')),
      );
    expect(users).toEqual([]);
  });
});
