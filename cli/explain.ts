// `segc check --explain`: after a clean check, what an experiment computes in words: its loss terms, and the
// signature and `///` documentation of every definition it uses (its net, its losses and what they call),
// module by module.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { documentModule } from '../grammar/index.ts';
import type { ModuleScope } from '../compiler/index.ts';
import { resolveModules } from '../compiler/index.ts';
import { stageExperiment } from '../compiler/index.ts';
import { unavailable } from '../compiler/index.ts';
import { readExperiment } from '../compiler/index.ts';

/** Names a piece of AST calls or mentions (call callees and plain names), anywhere inside it. */
function mentioned(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) mentioned(item, into);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record.kind === 'call') into.add((record.callee as { name: string }).name);
  if (record.kind === 'name' && typeof record.name === 'string') into.add(record.name);
  for (const [key, value] of Object.entries(record)) if (key !== 'span') mentioned(value, into);
}

/** The definitions (by module file) reachable from an experiment, following calls through their bodies. */
function usedDefinitions(scope: ModuleScope, roots: Set<string>): Map<string, Set<string>> {
  const byFile = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const visit = (name: string, from: ModuleScope) => {
    const found = from.definitions.get(name);
    if (!found) return;
    const key = `${found.scope.file}:${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    byFile.set(found.scope.file, (byFile.get(found.scope.file) ?? new Set()).add(found.def.name.name));
    const inner = new Set<string>();
    mentioned(found.def, inner);
    for (const next of inner) visit(next, found.scope);
  };
  for (const name of roots) visit(name, scope);
  return byFile;
}

export function explainFile(file: string): string {
  const resolved = resolveModules(file);
  const experiment = resolved.entry.module.experiments[0];
  const roots = new Set<string>();
  mentioned(experiment ?? resolved.entry.module.definitions, roots);
  const lines: string[] = [];
  if (experiment) {
    const read = readExperiment(resolved.entry);
    if (read.spec && unavailable(read.spec).length === 0) {
      const staged = stageExperiment(file, { check: true });
      const [, ...terms] = staged.train.terms;
      lines.push(
        `experiment ${experiment.name.name}: the loss` +
          (terms.length > 0 ? ` is reported with its terms ${terms.join(', ')}.` : ' has no named terms.'),
        '',
      );
    }
  } else {
    for (const d of resolved.entry.module.definitions) roots.add(d.name.name);
  }
  for (const [path, names] of usedDefinitions(resolved.entry, roots)) {
    const text = resolved.sources.get(path) ?? readFileSync(path, 'utf8');
    const doc = documentModule(text, path, relative(process.cwd(), path), names);
    if (doc.markdown) lines.push(doc.markdown);
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
