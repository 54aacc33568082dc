// Diagnostics as values: a code, a message and a source span; phases return arrays, never throw for user
// errors.

/** A half-open range of source text, with 1-based line/column of its start. */
export interface Span {
  file: string;
  /** 0-based character offsets, end exclusive. */
  start: number;
  end: number;
  line: number;
  col: number;
}

export type Category = 'error' | 'warning';

export interface Diagnostic {
  code: string; // SEGnnnn, see messages.ts
  category: Category;
  message: string;
  span?: Span;
  hint?: string;
}

/** A broken invariant inside segc itself (never a user error). */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (this is a segc bug): ${message}`);
  }
}

/** Thrown by phases that cannot continue past user errors; carries every diagnostic found so far. */
export class CompileError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('\n'));
  }
}
