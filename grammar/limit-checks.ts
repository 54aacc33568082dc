// The diagnostics of the grammar's limits (grammar/limits.ts, docs/limits.md): a file too large, brackets
// nested too deeply (the parser stops: nesting.ts) and an expression tree too deep for the later phases.
import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { createDiagnostic } from '../diagnostics/messages.ts';
import type { Expression, Module } from './ast.ts';
import { MAX_EXPRESSION_DEPTH, MAX_NESTING, MAX_RULE_DEPTH, MAX_SOURCE_CHARS, MAX_TOKENS } from './limits.ts';
import type { NestingTooDeep } from './nesting.ts';
import type { LineIndex } from './spans.ts';

/** At the first character past the limit. */
export function tooLargeDiagnostic(text: string, lines: LineIndex): Diagnostic {
  const span = lines.span(MAX_SOURCE_CHARS, MAX_SOURCE_CHARS + 1);
  return createDiagnostic('SEG1006', span, text.length, MAX_SOURCE_CHARS);
}

/** At the first token past the limit. */
export function tooManyTokensDiagnostic(tokens: IToken[], lines: LineIndex): Diagnostic {
  const span = lines.tokenSpan(tokens[MAX_TOKENS]) ?? lines.span(0, 0);
  return createDiagnostic('SEG1009', span, tokens.length, MAX_TOKENS);
}

/** At the token that opened one level too many (or the last token, if the parser ran past the end). */
export function nestingDiagnostic(error: NestingTooDeep, lines: LineIndex, tokens: IToken[]): Diagnostic {
  const token = Number.isNaN(error.token.startOffset) ? tokens[tokens.length - 1] : error.token;
  const span = lines.tokenSpan(token) ?? lines.span(0, 0);
  const what =
    error.limit === 'levels'
      ? `parentheses, brackets, calls, blocks and 'if's may nest at most ${MAX_NESTING} levels deep ` +
        `(an 'else if' is an 'if' inside the 'else')`
      : `more than ${MAX_RULE_DEPTH} grammar rules are open here (a long chain of '-', 'not' or '^'); ` +
        `split it with 'let'`;
  return createDiagnostic('SEG1007', span, what);
}

const EXPRESSION_KINDS = new Set<string>([
  'number',
  'string',
  'boolean',
  'name',
  'list',
  'binary',
  'unary',
  'call',
  'index',
  'member',
]);

/**
 * The first expression (in a depth-first walk) lying deeper than MAX_EXPRESSION_DEPTH expressions, as a
 * diagnostic; undefined when there is none. Walks with an explicit stack: the tree may be thousands deep.
 */
export function expressionTooDeep(module: Module): Diagnostic | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: module, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (Array.isArray(node)) {
      for (const item of node) stack.push({ node: item, depth });
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    const kind = (node as { kind?: unknown }).kind;
    if (typeof kind !== 'string') continue;
    const inner = EXPRESSION_KINDS.has(kind) ? depth + 1 : depth;
    if (inner > MAX_EXPRESSION_DEPTH) {
      const expression = node as Expression;
      const span = expression.kind === 'binary' ? expression.operatorSpan : expression.span;
      return createDiagnostic('SEG1008', span, MAX_EXPRESSION_DEPTH);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'span' && key !== 'operatorSpan' && value !== null && typeof value === 'object') {
        stack.push({ node: value, depth: inner });
      }
    }
  }
  return undefined;
}
