// The two kinds of failure segc reports. A UserError is something the user or the machine got wrong (a .seg
// error, a missing or damaged file, bad data, no device, a bad option): the CLI prints it as a message (and
// its source line and caret when it has a span), never with a stack. An InternalError is a bug in segc
// itself: printed as such, with the stack. Anything else that reaches the CLI is treated as an InternalError.
import type { Diagnostic, Span } from './diagnostic.ts';
import type { MessageCode } from './messages.ts';
import { formatMessage } from './messages.ts';

export interface UserErrorOptions {
  /**
   * The diagnostic code (messages.ts) of a message made from its template (`userError`). The runtime's
   * messages written at the place (a damaged file, no device, bad data) have none: they print as
   * `segc: error: MESSAGE`.
   */
  code?: MessageCode;
  span?: Span;
  hint?: string;
  cause?: unknown;
}

/** Something the user or the machine got wrong: what went wrong and, where known, where and what to do. */
export class UserError extends Error {
  readonly code?: string;
  readonly span?: Span;
  readonly hint?: string;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    if (options.code) this.code = options.code;
    if (options.span) this.span = options.span;
    if (options.hint) this.hint = options.hint;
  }
}

/** A UserError whose message is the template of `code` filled with `args` (messages.ts). */
export function userError(
  code: MessageCode,
  args: Array<string | number>,
  options: Omit<UserErrorOptions, 'code'> = {},
): UserError {
  return new UserError(formatMessage(code, ...args), { ...options, code });
}

/**
 * User errors in .seg source: every diagnostic found (sorted as the phase reported them), with the text of
 * the files they point into so they render with their source line (`sources`, by absolute path; a file not
 * in it is rendered without its line).
 */
export class CompileError extends UserError {
  readonly #diagnostics: Diagnostic[];

  constructor(
    diagnostics: Diagnostic[],
    readonly sources: Map<string, string> = new Map(),
  ) {
    const first = diagnostics[0];
    super(diagnostics.map((d) => d.message).join('\n'), {
      code: first?.code as MessageCode | undefined,
      span: first?.span,
      hint: first?.hint,
    });
    this.name = 'CompileError';
    this.#diagnostics = diagnostics;
  }

  /** Every diagnostic, in the order reported. */
  get diagnostics(): Diagnostic[] {
    return this.#diagnostics;
  }
}

/** A broken invariant inside segc itself (never a user error). */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (this is a segc bug): ${message}`);
    this.name = 'InternalError';
  }
}
