// Compile-time values of staging: numbers, lists, strings, tensors (IR nodes), callables and config objects.
import type { Definition, Span } from '../../grammar/index.ts';
import type { Diagnostic, MessageCode } from '../diagnostics/index.ts';
import { createDiagnostic } from '../diagnostics/index.ts';
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
  | { kind: 'config'; name: string; args: Value[]; options: Record<string, Value>; span: Span };

export const number = (value: number, integer = Number.isInteger(value)): Value => ({ kind: 'number', value, integer });

/** A user error found while staging; carries its diagnostic up to the phase boundary. */
export class StageError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function fail(code: MessageCode, span: Span | undefined, ...args: Array<string | number>): never {
  throw new StageError(createDiagnostic(code, span, ...args));
}

/** Like fail, with a hint line (e.g. a suggestion) when there is one. */
export function failWithHint(hint: string | undefined, code: MessageCode, span: Span | undefined, ...args: Array<string | number>): never {
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
