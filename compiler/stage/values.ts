// Compile-time values of staging: numbers, lists, strings, tensors (IR nodes), callables and config objects.
import type { Definition, Span } from '../../grammar/index.ts';
import type { Diagnostic, MessageCode } from '../../diagnostics/index.ts';
import { CompileError, createDiagnostic } from '../../diagnostics/index.ts';
import type { ModuleScope } from '../resolve/index.ts';

export type Value =
  | { kind: 'number'; value: number; integer: boolean }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'list'; items: Value[] }
  | { kind: 'tensor'; node: number }
  | { kind: 'function'; def: Definition; scope: ModuleScope }
  | { kind: 'builtin'; name: string }
  | { kind: 'symbol'; name: string }
  | { kind: 'config'; name: string; args: Value[]; options: Record<string, Value>; span: Span }
  /**
   * The value of an expression whose error was already reported: whatever uses it stays silent (see
   * Stager.guard).
   */
  | { kind: 'poison' };

/** A keyword argument: its value, the span of its keyword and the span of its value. */
export interface NamedArgument {
  value: Value;
  span: Span;
  valueSpan?: Span;
}

export const POISON: Value = { kind: 'poison' };

export const number = (value: number, integer = Number.isInteger(value)): Value => ({
  kind: 'number',
  value,
  integer,
});

/**
 * User errors found while staging (one, or all a recovering Stager found); carries them up to the phase
 * boundary.
 */
export class StageError extends CompileError {
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    super(Array.isArray(diagnostics) ? diagnostics : [diagnostics]);
    this.name = 'StageError';
  }

  /** The first diagnostic. */
  get diagnostic(): Diagnostic {
    return this.diagnostics[0];
  }
}

/**
 * Thrown when a poison value reaches an operation: the error behind it is already reported, so nothing is
 * added.
 */
export class Poisoned extends Error {
  constructor() {
    super('a value whose error was already reported');
  }
}

export function fail(code: MessageCode, span: Span | undefined, ...args: Array<string | number>): never {
  throw new StageError(createDiagnostic(code, span, ...args));
}

/** Like fail, with a hint line (e.g. a suggestion) when there is one. */
export function failWithHint(
  hint: string | undefined,
  code: MessageCode,
  span: Span | undefined,
  ...args: Array<string | number>
): never {
  throw new StageError({ ...createDiagnostic(code, span, ...args), hint });
}

export function describeValue(value: Value): string {
  switch (value.kind) {
    case 'number':
      return value.integer ? 'an int' : 'a float';
    case 'tensor':
      return 'a tensor';
    case 'function':
      return `the ${value.def.defKind} '${value.def.name.name}'`;
    case 'builtin':
      return `the built-in '${value.name}'`;
    case 'config':
      return `'${value.name}(...)'`;
    default:
      return `a ${value.kind}`;
  }
}

/** `1 channel`, `3 channels`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
