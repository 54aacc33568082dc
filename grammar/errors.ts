// The parser's error message provider and the conversion of lexer/parser errors into SEG1xxx Diagnostics.
// Chevrotain calls the provider while parsing; index.ts turns each recorded error into a Diagnostic value.
import { EOF } from 'chevrotain';
import type { ILexingError, IParserErrorMessageProvider, IRecognitionException } from 'chevrotain';
import type { IToken, TokenType } from 'chevrotain';
import { createDiagnostic, formatMessage, quote } from '../diagnostics/messages.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { LineIndex } from './spans.ts';

const endOfFile = 'the end of the file';
// After the module rule only the end of the file may follow; say what else could have come instead.
const topLevel = 'an import, a definition or an experiment';

function describeToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) {
    return endOfFile;
  }
  return quote(token.image);
}

function describeTokenType(type: TokenType): string {
  if (type === EOF) {
    return topLevel;
  }
  return type.LABEL ?? quote(type.name);
}

/** "a, b or c" from the first token of each expected path, without duplicates. */
function describePaths(paths: TokenType[][]): string {
  const firsts = paths.filter((path) => path.length > 0).map((path) => describeTokenType(path[0]));
  const names = [...new Set(firsts)];
  if (names.length <= 1) {
    return names[0] ?? 'more input';
  }
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Builds every parser message from the diagnostics table: all are SEG1003. */
export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return formatMessage('SEG1003', describeTokenType(expected), describeToken(actual));
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return formatMessage('SEG1003', topLevel, describeToken(firstRedundant));
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    const expected = customUserDescription ?? describePaths(expectedPathsPerAlt.flat());
    return formatMessage('SEG1003', expected, describeToken(actual[0]));
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const expected = customUserDescription ?? describePaths(expectedIterationPaths);
    return formatMessage('SEG1003', expected, describeToken(actual[0]));
  },
};

/** One diagnostic per run of characters the lexer could not match. */
export function lexingErrorDiagnostic(error: ILexingError, lines: LineIndex): Diagnostic {
  const character = lines.text[error.offset] ?? '';
  const span = lines.span(error.offset, error.offset + Math.max(1, error.length));
  return createDiagnostic('SEG1001', span, quote(character));
}

export function unterminatedStringDiagnostic(token: IToken, lines: LineIndex): Diagnostic {
  return createDiagnostic('SEG1002', lines.tokenSpan(token));
}

/**
 * A parser error at its offending token; at the end of the file, just after the last token. A missing
 * closing bracket also names the line and column of its opening bracket when that is on another line.
 */
export function parsingErrorDiagnostic(
  error: IRecognitionException,
  lines: LineIndex,
  lastToken: IToken | undefined,
): Diagnostic {
  let span = lines.tokenSpan(error.token);
  if (span === undefined || error.token.tokenType === EOF) {
    const end = lastToken === undefined ? 0 : lastToken.startOffset + lastToken.image.length;
    span = lines.span(end, end);
  }
  const diagnostic: Diagnostic = { code: 'SEG1003', category: 'error', message: error.message, span };
  const closer = /^Expected '([)\]}])'/.exec(error.message)?.[1];
  const opened = closer === undefined ? undefined : unclosedOpening(lines.text, span.start, closer);
  const at = opened === undefined ? undefined : lines.span(opened, opened + 1);
  // On the error's own line the opening bracket is in the rendered line already.
  if (at !== undefined && at.line !== span.line)
    diagnostic.hint = `the '${OPENING[closer!]}' at line ${at.line}, column ${at.col} is not closed`;
  return diagnostic;
}

const OPENING: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * The offset of the innermost bracket still open at `end`, when `closer` would close it and nothing in the
 * whole file does (strings and comments skipped; a closer of another kind closes nothing); else undefined,
 * as when the bracket is closed later and the error is a stray token before it.
 */
function unclosedOpening(text: string, end: number, closer: string): number | undefined {
  const open: number[] = [];
  let innermost: number | undefined;
  for (let i = 0; i < text.length; i++) {
    if (i === end) innermost = open[open.length - 1];
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') {
      open.push(i);
    } else if (c === ')' || c === ']' || c === '}') {
      if (open.length > 0 && text[open[open.length - 1]] === OPENING[c]) open.pop();
    }
  }
  if (end >= text.length) innermost = open[open.length - 1];
  if (innermost === undefined || text[innermost] !== OPENING[closer]) return undefined;
  return open.includes(innermost) ? innermost : undefined;
}
