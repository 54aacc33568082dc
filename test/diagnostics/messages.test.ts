// The message table (diagnostics/messages.ts): every code has its own template, with words of its own (not a bare
// '{0}' for free text), every code is used by some phase, and docs/diagnostics.md lists each with its template.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMessage, messages } from '../../diagnostics/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';

const root = join(import.meta.dirname, '../..');
const codes = Object.keys(messages) as MessageCode[];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The text of every phase's sources but the table itself. */
const used = ['diagnostics', 'grammar', 'compiler', 'runtime', 'jobs', 'report', 'cli']
  .flatMap((dir) => sources(join(root, dir)))
  .filter((file) => !file.endsWith(join('diagnostics', 'messages.ts')))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');

describe('message table', () => {
  it('has words in every template besides its placeholders', () => {
    const bare = codes.filter((code) => !/[A-Za-z]{2}/.test(messages[code].template.replace(/\{\d+\}/g, '')));
    expect(bare).toEqual([]);
  });

  it('tells a bare template when it sees one', () => {
    const words = (template: string) => /[A-Za-z]{2}/.test(template.replace(/\{\d+\}/g, ''));
    expect([words('{0}'), words('{0}: {1}.'), words('{0} is not a net.')]).toEqual([false, false, true]);
  });

  it('numbers placeholders from {0} without gaps', () => {
    const gaps = codes.filter((code) => {
      const seen = new Set([...messages[code].template.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])));
      return [...seen].some((n) => !seen.has(n - 1) && n > 0);
    });
    expect(gaps).toEqual([]);
  });

  it('has no code that no phase uses (a code unused, as SEG6001 was, is a dead entry)', () => {
    expect(codes.filter((code) => !used.includes(`'${code}'`))).toEqual([]);
  });

  it('fills a template from its arguments', () => {
    expect(formatMessage('SEG5004', "Option 'lr' of 'adam'", 'a number > 0', -1)).toBe(
      "Option 'lr' of 'adam' must be a number > 0, got -1.",
    );
  });

  it('is listed in docs/diagnostics.md, each code with its template', () => {
    const doc = readFileSync(join(root, 'docs/diagnostics.md'), 'utf8');
    const missing = codes.filter(
      (code) => !doc.includes(`| ${code} | ${messages[code].template.replace(/\|/g, '\\|')} |`),
    );
    expect(missing).toEqual([]);
  });
});
