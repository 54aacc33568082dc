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

// The errors carrying diagnostics live in errors.ts; InternalError and CompileError are re-exported here for
// the modules that import them with the diagnostic types.
export { CompileError, InternalError } from './errors.ts';
