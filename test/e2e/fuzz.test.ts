// Mutation fuzzing of the whole front end (parse, resolve, check, stage, plan): random token-level edits of
// the experiments and fixtures must give diagnostics or success, never an exception.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../runtime/data/random.ts';
import { compileExperiment, stageExperiment } from '../../compiler/index.ts';
import { CompileError } from '../../diagnostics/index.ts';
import { parseSource } from '../../grammar/index.ts';
import { fuzzSources, mutate as fuzzMutate, runFuzz } from '../../scripts/fuzz.ts';

const files = [
  'experiments/quickstart.seg',
  'test/fixtures/experiments/tiny.seg',
  'test/fixtures/experiments/nan.seg',
];
const vocabulary = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '=',
  '+',
  '-',
  '*',
  '/',
  '^',
  ':',
  '.',
  'let',
  'for',
  'in',
  'return',
  'if',
  'param',
  'loss',
  'net',
  'x',
  'C',
  'S',
  'N',
  'logits',
  'y',
  'unet',
  'ce',
  'sum',
  'softmax',
  'onehot',
  '0',
  '1',
  '-1',
  '2.5',
  '1e-3',
  '"s"',
  'true',
  'widths',
  'train',
  'epochs',
];

/** Splits into tokens and the whitespace between them, so edits keep the rest of the text intact. */
function tokens(text: string): string[] {
  return text.match(/\s+|[A-Za-z_][\w]*|\d+(\.\d+)?(e-?\d+)?|"[^"]*"|\/\/[^\n]*|./g) ?? [];
}

function mutate(text: string, seed: number): string {
  const random = createRandom(seed);
  const parts = tokens(text);
  const edits = 1 + random.int(3);
  for (let e = 0; e < edits; e++) {
    const at = random.int(parts.length);
    const word = vocabulary[random.int(vocabulary.length)];
    switch (random.int(4)) {
      case 0:
        parts.splice(at, 1);
        break;
      case 1:
        parts.splice(at, 0, word);
        break;
      case 2:
        parts[at] = word;
        break;
      default:
        parts.splice(at, 0, parts[random.int(parts.length)]);
    }
  }
  return parts.join('');
}

/** Compiles (or only checks) each mutant; anything but a diagnostic is a failure naming the mutant. */
function survive(
  label: string,
  count: number,
  salt: number,
  source: string,
  compile: (mutant: string) => void,
): number {
  let rejected = 0;
  for (let seed = 0; seed < count; seed++) {
    const mutant = mutate(source, seed * 7919 + salt);
    try {
      compile(mutant);
    } catch (error) {
      if (!(error instanceof CompileError)) {
        throw new Error(`mutant ${seed} of ${label} threw ${String(error)}\n--- source ---\n${mutant}`);
      }
      expect(error.diagnostics.length).toBeGreaterThan(0);
      rejected++;
    }
  }
  return rejected;
}

const modules = ['stdlib/nets.seg', 'stdlib/losses.seg'];

// Thousands of mutants through what `segc check` runs (parse, resolve, check, stage), a few hundred through
// the whole compiler (plans and WGSL too). Most mutants are broken programs; some still compile.
describe('front-end mutation fuzzing', () => {
  it.each(files)('%s: 600 mutants checked give diagnostics or success, never an exception', (file) => {
    const source = readFileSync(file, 'utf8');
    const rejected = survive(file, 600, file.length, source, (text) =>
      stageExperiment(file, { text, check: true }),
    );
    expect(rejected).toBeGreaterThan(200);
  });

  it.each(modules)('%s: 600 mutants imported by quickstart and checked never throw', (module) => {
    const path = resolve(module);
    const source = readFileSync(path, 'utf8');
    const check = (text: string) =>
      stageExperiment('experiments/quickstart.seg', { overlay: new Map([[path, text]]), check: true });
    expect(survive(module, 600, 104729 + module.length, source, check)).toBeGreaterThan(200);
  });

  it.each([...files, ...modules])('%s: 60 mutants compiled to plans and WGSL never throw', (file) => {
    const path = resolve(file);
    const source = readFileSync(path, 'utf8');
    const compile = modules.includes(file)
      ? (text: string) =>
          compileExperiment('experiments/quickstart.seg', { overlay: new Map([[path, text]]), target: 'cpu' })
      : (text: string) => compileExperiment(file, { text, target: 'cpu' });
    expect(survive(file, 60, 31 + file.length, source, compile)).toBeGreaterThan(10);
  });
});

// The harness of scripts/fuzz.ts on a fixed seed: mutants of the stdlib, the experiments and the malformed
// corpus (deletions, swaps, truncation, deep nesting, huge inputs, NUL and unicode) checked in-process with a
// fresh parse each (and the stdlib reparsed to catch leaked parser state), four also in fresh processes. No
// crash, hang, stack trace, false error in an untouched file or diagnostic without file:line:col.
describe('fuzzing harness sample', () => {
  it('200 mutants on seed 11, four in fresh segc check processes, without a failure', () => {
    const report = runFuzz({ count: 200, seed: 11, processes: 4, timeout: 60 });
    expect(report.details).toEqual([]);
    expect(report.mutants).toBe(200);
    expect(report.freshProcesses).toBe(4);
    // Most mutants are broken programs; the sample must exercise both outcomes.
    expect(report.rejected).toBeGreaterThan(100);
  }, 300_000);

  it('300 mutants parsed afresh each: every diagnostic has a place and the stdlib still parses clean', () => {
    const sources = fuzzSources();
    const stdlib = sources.filter((f) => f.includes('/stdlib/'));
    for (let n = 0; n < 300; n++) {
      const source = sources[(n * 7) % sources.length];
      const { text } = fuzzMutate(readFileSync(source, 'utf8'), 90_000 + n);
      const { diagnostics } = parseSource(text, 'mutant.seg');
      expect(diagnostics.filter((d) => !d.span || d.span.line < 1 || d.span.col < 1)).toEqual([]);
      if (n % 20 === 19) {
        for (const file of stdlib)
          expect(parseSource(readFileSync(file, 'utf8'), file).diagnostics).toEqual([]);
      }
    }
  }, 120_000);

  it('the mutations include every kind, and the same seed gives the same mutant', () => {
    const text = readFileSync('experiments/quickstart.seg', 'utf8');
    const kinds = new Set(Array.from({ length: 200 }, (_, seed) => fuzzMutate(text, seed).mutation));
    expect([...kinds].sort()).toEqual(
      ['delete', 'duplicate', 'huge', 'insert', 'nest', 'replace', 'strange', 'swap', 'truncate'].sort(),
    );
    expect(fuzzMutate(text, 5)).toEqual(fuzzMutate(text, 5));
  });
});
