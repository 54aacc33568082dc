// One schema: a value `segc check` accepts never fails `segc run`. Every range boundary of the options of
// `shapes` (read from its catalogue entry, so a new option or range is walked too) goes through `segc check`
// (checkFile) and, when accepted, through a run's configuration (readRunConfig) and its dataset generation
// (datasetSplits, what the Trainer calls); a refused value is a diagnostic, never an exception from the run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFile, resolve } from '../../compiler/index.ts';
import type { Type } from '../../compiler/config/index.ts';
import { findEntry, isBetter, metricDirection, readRunConfig, entries } from '../../compiler/config/index.ts';
import { readExperiment } from '../../compiler/stage/index.ts';
import { CompileError } from '../../diagnostics/index.ts';
import { datasetSplits } from '../../runtime/train/evaluate.ts';

const dir = mkdtempSync(join(tmpdir(), 'segc-ranges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values at and just beyond each bound of a numeric type (none for an unbounded one). */
function boundaries(type: Type): unknown[] {
  if (type.kind === 'int') {
    return [
      ...(type.min === undefined ? [] : [type.min - 1, type.min]),
      ...(type.max === undefined ? [] : [type.max, type.max + 1]),
    ];
  }
  if (type.kind === 'number') {
    const values: number[] = [];
    if (type.min !== undefined) values.push(type.min - 1e-6, type.min);
    if (type.above !== undefined) values.push(type.above, type.above + 1e-6);
    if (type.max !== undefined) values.push(type.max, type.max + 1e-6);
    if (type.below !== undefined) values.push(type.below - 1e-6, type.below);
    return values;
  }
  if (type.kind === 'list') {
    const item = boundaries(type.of);
    const length = type.length ?? 2;
    const lengths = type.length === undefined ? [] : [length - 1, length + 1];
    return [
      ...item.map((v) => Array.from({ length }, () => v)),
      ...lengths.map((n) => Array.from({ length: n }, () => 8)),
    ];
  }
  return [];
}

/** A tiny experiment on shapes with `options` (one training and one validation image unless given). */
function experiment(options: Record<string, unknown>): string {
  const given: Record<string, unknown> = { train: 1, val: 1, ...options };
  const classes = typeof given.classes === 'number' && Number.isInteger(given.classes) ? given.classes : 3;
  const text = Object.entries(given)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  return [
    'import std/losses { ce }',
    'net flat(x: image[N,C,H,W], classes: int = 3) = conv(x, classes, 1)',
    'experiment ranges {',
    `  data = shapes(${text})`,
    `  model = flat(classes = ${Math.max(classes, 1)})`,
    '  loss = ce(logits, y)',
    '  optimizer = adam(lr = 1e-3)',
    '  train { epochs = 1, batch = 1, seed = 1 }',
    '}',
    '',
  ].join('\n');
}

const shapes = findEntry('dataset', 'shapes')!;
const cases = shapes.params.flatMap((p) => boundaries(p.type).map((value) => [p.name, value] as const));

describe("the catalogue's ranges of shapes are the only ones", () => {
  it('walks a boundary of every bounded option', () => {
    const walked = new Set(cases.map(([name]) => name));
    expect([...walked].sort()).toEqual(['classes', 'foreground', 'size', 'train', 'val']);
  });

  it.each(cases)('%s = %j: segc check accepts it exactly when a run generates the data', (name, value) => {
    const file = join(dir, `${name}-${JSON.stringify(value).replace(/\W+/g, '_')}.seg`);
    writeFileSync(file, experiment({ [name]: value }));
    let accepted = true;
    try {
      checkFile(file);
    } catch (error) {
      expect(error).toBeInstanceOf(CompileError);
      const text = (error as CompileError).diagnostics.map((d) => `${d.code} ${d.message}`).join('\n');
      expect(text).toMatch(new RegExp(`SEG5004 Option '${name}' of 'shapes' must be`));
      accepted = false;
    }
    const spec = readExperiment(resolve(file).entry).spec!;
    const { config, diagnostics } = readRunConfig(spec);
    expect(config !== undefined, diagnostics.map((d) => d.message).join('\n')).toBe(accepted);
    if (!config) return;
    const splits = datasetSplits(config);
    const [height, width] = config.data.size;
    expect(splits.train.labels.length).toBe(config.data.train * height * width);
    expect(splits.val.labels.length).toBe(config.data.val * height * width);
    expect(splits.train.labels.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(config.data.classes);
  });
});

describe("a metric's direction is its catalogue entry's", () => {
  it('every metric says which way is better', () => {
    expect(entries('metric').filter((m) => m.better === undefined)).toEqual([]);
  });

  it('lower is better for the proportion error and losses, higher for Dice', () => {
    expect([
      metricDirection('proportion_error'),
      metricDirection('val.loss'),
      metricDirection('dice'),
    ]).toEqual(['lower', 'lower', 'higher']);
    expect([
      isBetter('proportion_error', 0.1, 0.2),
      isBetter('dice', 0.1, 0.2),
      isBetter('miou', 0.3, 0.3),
    ]).toEqual([true, false, false]);
  });
});
