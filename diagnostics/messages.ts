// Every user-visible diagnostic message, keyed by code: 1xxx syntax, 2xxx names/imports, 3xxx types/dims,
// 4xxx staging/networks, 5xxx data/config, 6xxx runtime/GPU. Templates use {0}, {1}, ... placeholders.
import type { Category, Diagnostic, Span } from './diagnostic.ts';

export interface MessageEntry {
  category: Category;
  template: string;
}

export const messages = {
  // 1xxx syntax (grammar/)
  SEG1001: { category: 'error', template: 'Unexpected character {0}.' },
  SEG1002: { category: 'error', template: 'Unterminated string literal.' },
  SEG1003: { category: 'error', template: 'Expected {0} but found {1}.' },
  SEG1004: { category: 'error', template: "Only an axis call like 'sum[N,S](x)' may list several indices." },
  SEG1005: { category: 'error', template: 'Only a name can be called, but {0} is not a name.' },
  // Limits (docs/limits.md): each says which limit was crossed, at the place it was crossed.
  SEG1006: {
    category: 'error',
    template: 'The file has {0} characters, more than the {1} a .seg file may have.',
  },
  SEG1007: { category: 'error', template: 'Nested too deeply: {0}.' },
  SEG1008: {
    category: 'error',
    template:
      'Expression nested more than {0} levels deep (each operator, call, list or index is one): ' +
      "split it with 'let'.",
  },
  SEG1009: {
    category: 'error',
    template: 'The file has {0} tokens (names, numbers, operators), more than the {1} a .seg file may have.',
  },

  // 2xxx names and imports
  SEG2001: { category: 'error', template: 'Unknown name {0}.' },
  SEG2002: { category: 'error', template: 'Cannot find module {0}.' },
  SEG2003: { category: 'error', template: 'Module {0} has no definition {1}.' },
  SEG2004: { category: 'error', template: '{0} is already {1} on line {2}.' },

  // 3xxx types and dimensions
  SEG3001: { category: 'error', template: 'Shape mismatch in {0}: {1} and {2}.' },
  SEG3002: { category: 'error', template: '{0} has no dimension {1}.' },
  SEG3003: { category: 'error', template: 'Expected {0} but found {1}.' },
  SEG3004: { category: 'error', template: 'Shape error in {0}: {1}.' },
  SEG3005: { category: 'error', template: 'Unknown type {0}.' },

  // 4xxx staging and networks
  SEG4001: { category: 'error', template: 'Wrong number of arguments to {0}: expected {1}, found {2}.' },
  SEG4002: { category: 'error', template: 'Unknown keyword argument {0} for {1}.' },
  SEG4003: { category: 'error', template: 'Recursion through {0} is not allowed.' },
  SEG4004: { category: 'error', template: '{0}' },
  SEG4005: { category: 'error', template: 'This makes a {0} of {1} {2}, more than the {3} allowed.' },
  SEG4006: { category: 'error', template: 'Loops run more than {0} times in all while staging.' },
  SEG4007: { category: 'error', template: '{0} nest more than {1} deep here.' },
  SEG4008: { category: 'error', template: 'The program builds more than {0}.' },
  SEG4009: { category: 'error', template: 'Staging takes more than {0} steps (evaluated expressions).' },

  // 5xxx data and config
  SEG5001: { category: 'error', template: '{0}' },

  // 6xxx runtime and GPU
  SEG6001: { category: 'error', template: '{0}' },
  SEG6002: {
    category: 'error',
    template: '{0} needs {1}, more than one buffer may hold on this device: {3} is {2}{4}.',
  },
} as const satisfies Record<string, MessageEntry>;

export type MessageCode = keyof typeof messages;

/** Fills a code's template: `formatMessage('SEG2001', "'foo'")` → "Unknown name 'foo'.". */
export function formatMessage(code: MessageCode, ...args: Array<string | number>): string {
  return messages[code].template.replace(/\{(\d+)\}/g, (whole, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? whole : String(value);
  });
}

/** Quotes an entity for a message: `quote('x')` → "'x'". */
export function quote(text: string): string {
  return `'${text}'`;
}

/** Builds a Diagnostic value from a table entry. */
export function createDiagnostic(
  code: MessageCode,
  span: Span | undefined,
  ...args: Array<string | number>
): Diagnostic {
  return { code, category: messages[code].category, message: formatMessage(code, ...args), span };
}
