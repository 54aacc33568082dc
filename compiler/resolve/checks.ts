// Checks of a module that need no staging: duplicate definitions, unknown type names in annotations, and the
// names of definitions lost to a syntax error (so an import of one is not also reported as missing).
import { tokenMatcher } from 'chevrotain';
import type { Definition, Module } from '../../grammar/index.ts';
import {
  BlockToken as Block,
  FnToken as Fn,
  IdentifierToken as Identifier,
  LossToken as Loss,
  NetToken as Net,
  SegLexer,
} from '../../grammar/index.ts';
import type { Diagnostic } from '../../diagnostics/index.ts';
import { createDiagnostic, quote, suggest } from '../../diagnostics/index.ts';

/**
 * Base names of type annotations: scalars, lists and the tensor kinds (a plain dim list `[C]` has no base).
 */
export const TYPE_NAMES = ['int', 'float', 'bool', 'string', 'list', 'logits', 'labels', 'masks', 'image'];

export function checkModule(module: Module): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, Definition>();
  for (const def of module.definitions) {
    const first = seen.get(def.name.name);
    if (first) {
      diagnostics.push(
        createDiagnostic('SEG2004', def.name.span, quote(def.name.name), 'defined', first.name.span.line),
      );
    } else {
      seen.set(def.name.name, def);
    }
    for (const param of def.params) {
      const base = param.type?.base;
      if (base && !TYPE_NAMES.includes(base.name)) {
        const hint =
          suggest(base.name, TYPE_NAMES) ??
          `Types are ${TYPE_NAMES.join(', ')}, or a dimension list such as [N,C,S].`;
        diagnostics.push({ ...createDiagnostic('SEG3005', base.span, quote(base.name)), hint });
      }
    }
  }
  return diagnostics;
}

/** Names of every `fn|loss|block|net NAME` header in the source, whether or not the definition parsed. */
export function definitionHeaders(source: string): Set<string> {
  const tokens = SegLexer.tokenize(source).tokens;
  const names = new Set<string>();
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (
      [Fn, Loss, Block, Net].includes(token.tokenType) &&
      next !== undefined &&
      tokenMatcher(next, Identifier)
    )
      names.add(next.image);
  });
  return names;
}
