// The `sweep` section of an experiment: named loss variants, grids over params and settings, and seeds as
// replicates. Its runs are the product variants × grid × seeds (jobs/ expands and runs them); each run is the
// experiment with the variant's loss and the grid's values and seed as `--set` overrides.
//
//   sweep {
//     loss ce = ce(logits, y)
//     loss ce_l1 = ce(logits, y) + alpha * proportion_l1(logits, y, T)
//     grid alpha = [0.5, 1.0]
//     grid optimizer lr = [1e-3, 3e-3]
//     seeds = [1, 2, 3]
//   }
import type { Expression, Section, Span } from '../../grammar/index.ts';
import type { Diagnostic, MessageCode } from '../../diagnostics/index.ts';
import { createDiagnostic, quote } from '../../diagnostics/index.ts';
import type { Setting } from './settings.ts';

export interface SweepVariant {
  name: string;
  loss: Expression;
  span: Span;
}

export interface SweepAxis {
  /** The `--set` key: a param (`alpha`) or a section's or call's setting (`optimizer.lr`, `train.epochs`). */
  key: string;
  values: Setting[];
  span: Span;
}

export interface SweepSpec {
  variants: SweepVariant[];
  grid: SweepAxis[];
  /** `train.seed` of each replicate; absent: the experiment's own seed, one replicate. */
  seeds?: number[];
  span: Span;
}

/** The most runs one sweep may expand to (a typo in a grid should not queue a million runs). */
export const MAX_SWEEP_RUNS = 10_000;

/**
 * Reads a `sweep` section. `read` evaluates a setting's value (lists of numbers, names, strings) the way
 * every other setting is read.
 */
export function readSweep(
  section: Section,
  read: (expression: Expression, path: string) => Setting | undefined,
  diagnostics: Diagnostic[],
): SweepSpec {
  const sweep: SweepSpec = { variants: [], grid: [], span: section.span };
  const error = (span: Span, code: MessageCode, ...args: Array<string | number>) =>
    diagnostics.push(createDiagnostic(code, span, ...args));
  for (const item of section.settings) {
    const [head, ...rest] = item.key.map((k) => k.name);
    const span = item.key[0].span;
    if (item.options && item.options.length > 0) {
      error(span, 'SEG5060', quote(head));
      continue;
    }
    if (head === 'loss' && rest.length === 1) {
      const name = rest[0];
      if (sweep.variants.some((v) => v.name === name)) {
        error(item.key[1].span, 'SEG5061', quote(name));
        continue;
      }
      sweep.variants.push({ name, loss: item.value, span: item.key[1].span });
    } else if (head === 'grid' && rest.length >= 1) {
      const key = rest.join('.');
      if (sweep.grid.some((a) => a.key === key)) {
        error(item.key[1].span, 'SEG5062', quote(key));
        continue;
      }
      const value = read(item.value, `sweep.grid.${key}`);
      if (value === undefined) continue;
      if (!Array.isArray(value) || value.length === 0) {
        error(item.value.span, 'SEG5063', rest.join(' '));
        continue;
      }
      if (new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
        // Two equal values would be one run twice, trained at once into one folder.
        error(item.value.span, 'SEG5064', quote(key));
        continue;
      }
      sweep.grid.push({ key, values: value, span: item.key[1].span });
    } else if (head === 'seeds' && rest.length === 0) {
      const value = read(item.value, 'sweep.seeds');
      if (value === undefined) continue;
      const seeds = Array.isArray(value) ? value : [];
      if (seeds.length === 0 || !seeds.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 0)) {
        error(item.value.span, 'SEG5065');
        continue;
      }
      if (new Set(seeds).size !== seeds.length) {
        error(item.value.span, 'SEG5066');
        continue;
      }
      sweep.seeds = seeds as number[];
    } else {
      error(span, 'SEG5067', quote(item.key.map((k) => k.name).join(' ')));
    }
  }
  const runs =
    Math.max(1, sweep.variants.length) *
    sweep.grid.reduce((n, a) => n * a.values.length, 1) *
    (sweep.seeds?.length ?? 1);
  if (runs > MAX_SWEEP_RUNS) {
    error(section.name.span, 'SEG5068', runs, MAX_SWEEP_RUNS);
  }
  return sweep;
}
