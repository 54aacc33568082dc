// docs/syntax-diagrams.html must match the grammar; regenerate with `npm run diagrams`.
import { readFileSync } from 'node:fs';
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
