// The grammar phase entry point: source text → AST Module plus every lexer and parser Diagnostic (SEG1xxx).
// Always returns a module; after errors it is built from the recovered CST, skipping holes.
import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Module } from './ast.ts';
import { lexingErrorDiagnostic, parsingErrorDiagnostic, unterminatedStringDiagnostic } from './errors.ts';
import { segParser } from './parser.ts';
import { LineIndex } from './spans.ts';
import { buildAst } from './to-ast.ts';
import { SegLexer } from './tokens.ts';

export type * from './ast.ts';

export interface ParseResult {
  module: Module;
  diagnostics: Diagnostic[];
}

/** Parses one `.seg` source file; diagnostics are sorted by position. */
export function parseSource(text: string, file: string): ParseResult {
  const lines = new LineIndex(file, text);
  const lexed = SegLexer.tokenize(text);
  const diagnostics: Diagnostic[] = lexed.errors.map((error) => lexingErrorDiagnostic(error, lines));
  const unterminated = (lexed.groups.errors ?? []) as IToken[];
  diagnostics.push(...unterminated.map((token) => unterminatedStringDiagnostic(token, lines)));

  segParser.input = lexed.tokens;
  const cst = segParser.module();
  const lastToken = lexed.tokens[lexed.tokens.length - 1];
  diagnostics.push(...segParser.errors.map((error) => parsingErrorDiagnostic(error, lines, lastToken)));

  const docComments = (lexed.groups.docs ?? []) as IToken[];
  const built = buildAst(cst, lines, docComments, lexed.tokens);
  diagnostics.push(...built.diagnostics);
  diagnostics.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
  return { module: built.module, diagnostics };
}

export { formatSource, formatWidth, withoutSpans, type FormatResult } from './format.ts';
export { documentModule, type DocResult } from './doc.ts';
