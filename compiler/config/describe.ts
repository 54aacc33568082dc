// How the checker's messages (and docs/catalogue.md) put types and values into words: family names,
// describeType, and a value as the user wrote it.
import type { Family, Type } from './types.ts';
import type { Setting } from './types.ts';

export const FAMILY_TEXT: Record<Family, { one: string; many: string; example: string }> = {
  dataset: { one: 'dataset', many: 'datasets', example: 'shapes(size = [64, 64])' },
  transform: { one: 'transform', many: 'transforms', example: 'hflip(0.5)' },
  optimizer: { one: 'optimizer', many: 'optimizers', example: 'adam(lr = 1e-3)' },
  group: { one: 'parameter group', many: 'parameter groups', example: 'group(prefix = "enc.", lr = 1e-4)' },
  schedule: { one: 'schedule', many: 'schedules', example: 'cosine(min = 1e-5)' },
  metric: { one: 'metric', many: 'metrics', example: 'dice' },
  stats: { one: 'statistics', many: 'statistics', example: 'imagenet (import std/augment { imagenet })' },
};

/**
 * Describes a type for messages: "a whole number >= 1", "a list of 2 whole numbers >= 1 ([height, width])".
 */
export function describeType(type: Type): string {
  switch (type.kind) {
    case 'int':
      return `a whole number${bounds(type.min, undefined, type.max, undefined)}`;
    case 'number':
      return `a number${bounds(type.min, type.above, type.max, type.below)}`;
    case 'string':
      return type.values ? `one of ${type.values.map((v) => JSON.stringify(v)).join(', ')}` : 'a string';
    case 'bool':
      return 'true or false';
    case 'symbol':
      return type.what ?? (type.values ? `one of ${type.values.join(', ')}` : 'a name');
    case 'list': {
      if (type.of.kind === 'symbol' && type.of.values)
        return `a list of names among ${type.of.values.join(', ')}`;
      if (type.of.kind === 'entry') {
        const family = FAMILY_TEXT[type.of.family];
        return `a list of ${family.many}, as in [${family.example}]`;
      }
      const of = describeType(type.of).replace(/^an? /, '');
      const items = type.length ? `${type.length} ${plural(of)}` : plural(of);
      return type.what ? `${type.what} (${items.replace(/^(\d+) /, '$1 ')})` : `a list of ${items}`;
    }
    case 'entry':
      return `${article(FAMILY_TEXT[type.family].one)} such as ${FAMILY_TEXT[type.family].example}`;
    case 'either':
      return type.of.map(describeType).join(' or ');
  }
}

function bounds(min?: number, above?: number, max?: number, below?: number): string {
  const lo =
    min !== undefined ? { n: min, open: false } : above !== undefined ? { n: above, open: true } : undefined;
  const hi =
    max !== undefined ? { n: max, open: false } : below !== undefined ? { n: below, open: true } : undefined;
  if (lo && hi && !lo.open && !hi.open) return ` from ${lo.n} to ${hi.n}`;
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.n}, ${hi.n}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '>='} ${lo.n}`;
  if (hi) return ` ${hi.open ? '<' : '<='} ${hi.n}`;
  return '';
}

export const article = (word: string) =>
  /^[aeiou]/.test(word) && word !== 'statistics' ? `an ${word}` : word === 'statistics' ? word : `a ${word}`;
const plural = (noun: string) =>
  noun.replace(/^(whole number|number|string|name|list)/, '$1s').replace(/^(true or false)$/, 'booleans');

/** A value as the user wrote it, for messages. */
export function show(value: Setting, symbol: boolean): string {
  if (typeof value === 'string') return symbol ? `the name '${value}'` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => (typeof v === 'object' ? '...' : typeof v === 'string' ? v : String(v)));
    const text = `[${items.join(', ')}]`;
    return text.length <= 40 ? text : 'a list';
  }
  return `'${value.name}(...)'`;
}
