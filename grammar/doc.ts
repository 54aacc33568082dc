// `segc doc`: .seg source → Markdown: each definition and experiment in source order, with its signature in
// canonical (formatted) syntax and its `///` doc comment.
import type * as ast from './ast.ts';
import type { Diagnostic } from '../diagnostics/index.ts';
import { formatWidth, ModulePrinter } from './format.ts';
import { SourceTokens } from './format-tokens.ts';
import { parseSource } from './index.ts';
import { render } from './layout.ts';

export interface DocResult {
  /** The Markdown; undefined when the source has syntax errors (then `diagnostics` says why). */
  markdown?: string;
  diagnostics: Diagnostic[];
}

/**
 * Documents one module under a `# title` heading: per definition or experiment a `## name` heading, its
 * signature in a ```seg block (a definition's header; an experiment's name and `param`s) and its doc text.
 * With `only`, just the items of those names (`segc check --explain`).
 */
export function documentModule(text: string, file: string, title: string, only?: Set<string>): DocResult {
  const parsed = parseSource(text, file);
  if (parsed.diagnostics.length > 0) return { diagnostics: parsed.diagnostics };
  const tokens = new SourceTokens(text, false);
  const printer = new ModulePrinter(tokens);
  const items: Array<ast.Definition | ast.Experiment> = [
    ...parsed.module.definitions,
    ...parsed.module.experiments,
  ].filter((item) => !only || only.has(item.name.name));
  items.sort((a, b) => a.span.start - b.span.start);
  const sections = items.map((item) => {
    const signature =
      item.kind === 'definition'
        ? definitionSignature(item, tokens, printer)
        : experimentSignature(item, tokens, printer);
    const doc = item.doc === undefined || item.doc.trim() === '' ? '' : `\n${item.doc.trim()}\n`;
    return `## ${item.name.name}\n\n\`\`\`seg\n${signature}\n\`\`\`\n${doc}`;
  });
  return { markdown: [`# ${title}\n`, ...sections].join('\n'), diagnostics: [] };
}

/** `loss ce_l1(z: logits[N,C,S], y: labels[N,S], alpha = 1.0, T = 1.0)`. */
function definitionSignature(d: ast.Definition, tokens: SourceTokens, printer: ModulePrinter): string {
  tokens.seek(d.span.start);
  return render(printer.definitionHeader(d), formatWidth);
}

/** `experiment quickstart` followed by its `param`s in braces, when it has any. */
function experimentSignature(x: ast.Experiment, tokens: SourceTokens, printer: ModulePrinter): string {
  const params = x.items.filter((item) => item.kind === 'param');
  const head = `experiment ${x.name.name}`;
  if (params.length === 0) return head;
  const lines = params.map((param) => {
    tokens.seek(param.span.start);
    return render(printer.experimentItem(param), formatWidth - 2).replaceAll('\n', '\n  ');
  });
  return `${head} {\n${lines.map((l) => `  ${l}`).join('\n')}\n}`;
}
