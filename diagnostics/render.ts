// Diagnostic → text: `file:line:col: error SEGnnnn: message`, the source line, a caret/tilde line, a hint.
import { isAbsolute, relative } from 'node:path';
import type { Diagnostic } from './diagnostic.ts';

/** A file path as a user would type it: relative to the working directory when the file is below it. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const local = relative(process.cwd(), file);
  return local.startsWith('..') || isAbsolute(local) ? file : local;
}

/** Source lines longer than this are shown as the part around the caret. */
const SHOWN_COLUMNS = 200;

/** Renders one diagnostic; without source text only the header (and hint) lines are produced. */
export function renderDiagnostic(d: Diagnostic, sourceText: string | undefined): string {
  const where = d.span ? `${displayPath(d.span.file)}:${d.span.line}:${d.span.col}: ` : '';
  const lines = [`${where}${d.category} ${d.code}: ${d.message}`];
  if (d.span && sourceText !== undefined) {
    const lineStart = startOfLine(sourceText, d.span.start);
    const lineEnd = endOfLine(sourceText, lineStart);
    const sourceLine = sourceText.slice(lineStart, lineEnd);
    const column = Math.min(Math.max(d.span.start - lineStart, 0), sourceLine.length);
    // A line longer than SHOWN_COLUMNS (a generated or hostile file) is shown around the caret, elided by
    // '...': printing it whole would repeat megabytes per diagnostic.
    const from = sourceLine.length > SHOWN_COLUMNS ? Math.max(0, column - SHOWN_COLUMNS / 2) : 0;
    const to = Math.min(sourceLine.length, from + SHOWN_COLUMNS);
    const before = from > 0 ? '...' : '';
    const shown = `${before}${sourceLine.slice(from, to)}${to < sourceLine.length ? '...' : ''}`;
    const width = Math.max(1, Math.min(d.span.end, lineStart + to) - d.span.start);
    // Keep tabs from the source line so the caret lines up under tab-indented text.
    const padding = `${before}${sourceLine.slice(from, column)}`.replace(/[^\t]/g, ' ');
    lines.push(`  ${shown}`);
    lines.push(`  ${padding}^${'~'.repeat(width - 1)}`);
  }
  if (d.hint) {
    lines.push(`  hint: ${d.hint}`);
  }
  return lines.join('\n');
}

/** Renders several diagnostics, separated by blank lines. */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sourceText: string | undefined,
): string {
  return diagnostics.map((d) => renderDiagnostic(d, sourceText)).join('\n\n');
}

function startOfLine(text: string, offset: number): number {
  const clamped = Math.min(Math.max(offset, 0), text.length);
  if (clamped === 0) {
    return 0;
  }
  return text.lastIndexOf('\n', clamped - 1) + 1;
}

function endOfLine(text: string, lineStart: number): number {
  const newline = text.indexOf('\n', lineStart);
  const end = newline === -1 ? text.length : newline;
  return end > lineStart && text[end - 1] === '\r' ? end - 1 : end;
}
