// docs/syntax-diagrams.html must match the grammar; regenerate with `npm run diagrams`.
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { expect, it } from 'vitest';
import { diagramsPath, generateDiagramsHtml } from '../../grammar/generate-diagrams.ts';
import { SegParser } from '../../grammar/parser.ts';

it('syntax-diagrams.html is up to date', () => {
  expect(readFileSync(diagramsPath, 'utf8')).toBe(generateDiagramsHtml());
});

it('syntax-diagrams.html draws every parser rule', () => {
  const html = generateDiagramsHtml();
  const rules = Object.keys(new SegParser().getGAstProductions());
  expect(rules.length).toBeGreaterThan(20);
  for (const rule of rules) {
    expect(html).toContain(`"name": "${rule}"`);
  }
});

it('syntax-diagrams.html loads nothing from the network (scripts and stylesheet are inlined)', () => {
  const html = readFileSync(diagramsPath, 'utf8');
  expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
  expect(html).not.toMatch(/<link[^>]*\shref\s*=/i);
  expect(html).not.toMatch(/url\(\s*['"]?(https?:)?\/\//i);
  expect(html).not.toContain('unpkg.com');
});

it("syntax-diagrams.html's own scripts draw a diagram per rule with no other file", () => {
  const html = readFileSync(diagramsPath, 'utf8');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const target = { innerHTML: '' };
  const document = {
    getElementById: (id: string) => (id === 'diagrams' ? target : null),
    getElementsByClassName: () => [],
    getElementsByTagName: () => [],
  };
  // A browser's global object is `window`, and the scripts find each other through it.
  const window = createContext({ document });
  window.window = window;
  for (const script of scripts) runInContext(script, window);
  const rules = Object.keys(new SegParser().getGAstProductions());
  const headers = [...target.innerHTML.matchAll(/<h2 class="diagramHeader">([^<]+)<\/h2>/g)].map((m) => m[1]);
  expect(headers).toEqual(rules);
  expect(target.innerHTML.match(/<svg /g)?.length).toBe(rules.length);
});
