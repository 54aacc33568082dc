// The grammar phase entry point: source text → AST Module plus every lexer and parser Diagnostic (SEG1xxx).
// Always returns a module; after errors it is built from the recovered CST, skipping holes.
import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Module } from './ast.ts';
import { lexingErrorDiagnostic, parsingErrorDiagnostic, unterminatedStringDiagnostic } from './errors.ts';
import {
  expressionTooDeep,
  nestingDiagnostic,
  tooLargeDiagnostic,
  tooManyTokensDiagnostic,
} from './limit-checks.ts';
import { MAX_SOURCE_CHARS, MAX_TOKENS } from './limits.ts';
import { NestingTooDeep } from './nesting.ts';
import { segParser } from './parser.ts';
import { LineIndex } from './spans.ts';
import { buildAst } from './to-ast.ts';
import { SegLexer } from './tokens.ts';

export type * from './ast.ts';

export interface ParseResult {
  module: Module;
  diagnostics: Diagnostic[];
}

/**
 * Parses one `.seg` source file; diagnostics are sorted by position. A file past a limit of grammar/limits.ts
 * (size, nesting, expression depth) gives that one diagnostic and an empty module.
 */
export function parseSource(text: string, file: string): ParseResult {
  const lines = new LineIndex(file, text);
  const empty = (diagnostic: Diagnostic): ParseResult => {
    const span = lines.span(0, 0);
    const module: Module = { kind: 'module', file, imports: [], definitions: [], experiments: [], span };
    return { module, diagnostics: [diagnostic] };
  };
  if (text.length > MAX_SOURCE_CHARS) return empty(tooLargeDiagnostic(text, lines));
  const lexed = SegLexer.tokenize(text);
  if (lexed.tokens.length > MAX_TOKENS) return empty(tooManyTokensDiagnostic(lexed.tokens, lines));
  const diagnostics: Diagnostic[] = lexed.errors.map((error) => lexingErrorDiagnostic(error, lines));
  const unterminated = (lexed.groups.errors ?? []) as IToken[];
  diagnostics.push(...unterminated.map((token) => unterminatedStringDiagnostic(token, lines)));

  segParser.input = lexed.tokens;
  let cst;
  try {
    cst = segParser.module();
  } catch (error) {
    // A RangeError is the stack running out below the nesting limits (error recovery walks the grammar
    // recursively, deep inside a nested expression): the same diagnostic, at the token the parser reached.
    const tooDeep =
      error instanceof NestingTooDeep
        ? error
        : error instanceof RangeError
          ? new NestingTooDeep(segParser.nextToken(), 'rules')
          : undefined;
    if (tooDeep === undefined) throw error;
    segParser.reset();
    return empty(nestingDiagnostic(tooDeep, lines, lexed.tokens));
  }
  const lastToken = lexed.tokens[lexed.tokens.length - 1];
  diagnostics.push(...segParser.errors.map((error) => parsingErrorDiagnostic(error, lines, lastToken)));

  const docComments = (lexed.groups.docs ?? []) as IToken[];
  const built = buildAst(cst, lines, docComments, lexed.tokens);
  const deep = expressionTooDeep(built.module);
  if (deep !== undefined) return empty(deep);
  diagnostics.push(...built.diagnostics);
  diagnostics.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
  return { module: built.module, diagnostics };
}

export { formatSource, formatWidth, withoutSpans, type FormatResult } from './format.ts';
export { documentModule, type DocResult } from './doc.ts';
/** The lexer and the tokens that start a definition (resolve's checks of a module's top level). */
export {
  Block as BlockToken,
  Fn as FnToken,
  Identifier as IdentifierToken,
  Loss as LossToken,
  Net as NetToken,
  SegLexer,
} from './tokens.ts';
