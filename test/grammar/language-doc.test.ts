// docs/language.md: every ```seg block parses without diagnostics, every ```seg-error block has at least one,
// and the reference names every keyword token (grammar/tokens.ts) and every built-in
// (compiler/stage/builtins.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { Lexer } from 'chevrotain';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../compiler/stage/builtins.ts';
import { parseSource } from '../../grammar/index.ts';
import { allTokens, Identifier } from '../../grammar/tokens.ts';

const docUrl = new URL('../../docs/language.md', import.meta.url);
const doc = readFileSync(docUrl, 'utf8');

interface CodeBlock {
  language: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** Fenced code blocks (``` at the start of a line) with their info string. */
function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: { language: string; line: number; lines: string[] } | undefined;
  markdown.split('\n').forEach((text, i) => {
    const fence = /^```\s*([\w-]*)\s*$/.exec(text);
    if (open === undefined && fence) {
      open = { language: fence[1], line: i + 1, lines: [] };
    } else if (open !== undefined && /^```\s*$/.test(text)) {
      blocks.push({ language: open.language, code: open.lines.join('\n'), line: open.line });
      open = undefined;
    } else {
      open?.lines.push(text);
    }
  });
  expect(open, 'an unclosed code fence').toBeUndefined();
  return blocks;
}

/** The section of the document under the `## title` heading. */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}`);
  expect(start, `section '${title}'`).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

const blocks = codeBlocks(doc);
const label = (block: CodeBlock) => `docs/language.md:${block.line}`;

describe('docs/language.md code blocks', () => {
  const valid = blocks.filter((b) => b.language === 'seg');
  const invalid = blocks.filter((b) => b.language === 'seg-error');

  it('has examples of both kinds', () => {
    expect(valid.length).toBeGreaterThanOrEqual(15);
    expect(invalid.length).toBeGreaterThanOrEqual(3);
  });

  it.each(valid.map((b) => [label(b), b] as const))('```seg at %s parses without diagnostics', (_, block) => {
    const { module, diagnostics } = parseSource(block.code, label(block));
    expect(diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`)).toEqual([]);
    const items = module.imports.length + module.definitions.length + module.experiments.length;
    expect(items, 'an example that declares nothing').toBeGreaterThan(0);
  });

  it.each(invalid.map((b) => [label(b), b] as const))('```seg-error at %s has a diagnostic', (_, block) => {
    expect(parseSource(block.code, label(block)).diagnostics.length).toBeGreaterThan(0);
  });

  it('uses no other seg-like fence', () => {
    const languages = new Set(blocks.map((b) => b.language));
    for (const language of languages) {
      expect(['seg', 'seg-error', ''].includes(language) || !language.startsWith('seg'), language).toBe(true);
    }
  });
});

describe('docs/language.md coverage', () => {
  it('lists every keyword token of grammar/tokens.ts in the lexical structure', () => {
    const lexical = section('Lexical structure');
    const keywords = allTokens.filter(
      (t) => t !== Identifier && t.PATTERN !== Lexer.NA && [t.LONGER_ALT ?? []].flat().includes(Identifier),
    );
    expect(keywords.length).toBeGreaterThanOrEqual(18);
    for (const token of keywords) {
      expect(lexical, `keyword ${token.name}`).toContain(`\`${(token.PATTERN as RegExp).source}\``);
    }
  });

  it('documents every built-in of compiler/stage/builtins.ts in the built-ins table', () => {
    const table = section('Built-in functions');
    for (const name of builtins.keys()) {
      expect(table, `built-in '${name}'`).toMatch(new RegExp(`^\\|[^|\\n]*\`${name}\``, 'm'));
    }
  });

  it('documents every segc command', () => {
    const folder = new URL('../../cli/', import.meta.url);
    const cli = readdirSync(folder)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => readFileSync(new URL(name, folder), 'utf8'))
      .join('\n');
    const commands = [...cli.matchAll(/\.command\('(\w+)'\)/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const table = section('The command line');
    for (const command of commands) {
      expect(table, `segc ${command}`).toContain(`| \`segc ${command} `);
    }
  });
});
