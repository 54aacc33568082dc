// Offsets → Spans: a line table for 1-based line/column lookup, plus token and join helpers.
import type { IToken } from 'chevrotain';
import type { Span } from '../diagnostics/diagnostic.ts';

/** Maps 0-based character offsets of one source text to Spans with 1-based line/column. */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '\n') {
        this.lineStarts.push(i + 1);
      }
    }
  }

  /** The span [start, end), with the line and column of `start`. */
  span(start: number, end: number): Span {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= start) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    return { file: this.file, start, end, line: low + 1, col: start - this.lineStarts[low] + 1 };
  }

  /** The span of a token, or undefined for a token invented by error recovery. */
  tokenSpan(token: IToken | undefined): Span | undefined {
    if (token === undefined || token.isInsertedInRecovery || Number.isNaN(token.startOffset)) {
      return undefined;
    }
    return this.span(token.startOffset, token.startOffset + token.image.length);
  }
}

/** The smallest span covering both spans (from the start of `first` to the end of `last`). */
export function joinSpans(first: Span, last: Span): Span {
  return { ...first, end: Math.max(first.end, last.end) };
}
