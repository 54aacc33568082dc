// Mutation fuzzing of the whole front end (parse, resolve, check, stage, plan): random token-level edits of the
// experiments and fixtures must give diagnostics or success, never an exception.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../runtime/data/random.ts';
import { ExperimentError, compileExperiment } from '../../runtime/compile.ts';

const files = ['experiments/quickstart.seg', 'test/fixtures/experiments/tiny.seg', 'test/fixtures/experiments/nan.seg'];
const vocabulary = ['(', ')', '[', ']', '{', '}', ',', '=', '+', '-', '*', '/', '^', ':', '.', 'let', 'for', 'in',
  'return', 'if', 'param', 'loss', 'net', 'x', 'C', 'S', 'N', 'logits', 'y', 'unet', 'ce', 'sum', 'softmax',
  'onehot', '0', '1', '-1', '2.5', '1e-3', '"s"', 'true', 'widths', 'train', 'epochs'];

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

describe('front-end mutation fuzzing', () => {
  it.each(files)('%s: 300 mutants give diagnostics or a plan, never an exception', (file) => {
    const source = readFileSync(file, 'utf8');
    let failures = 0;
    for (let seed = 0; seed < 300; seed++) {
      const text = mutate(source, seed * 7919 + file.length);
      try {
        compileExperiment(file, { text, target: 'cpu' });
      } catch (error) {
        if (!(error instanceof ExperimentError)) {
          throw new Error(`mutant ${seed} of ${file} threw ${String(error)}\n--- source ---\n${text}`);
        }
        expect(error.diagnostics.length).toBeGreaterThan(0);
        failures++;
      }
    }
    // Most mutants are broken programs; some still compile.
    expect(failures).toBeGreaterThan(100);
  });

  it.each(['stdlib/nets.seg', 'stdlib/losses.seg'])('%s: 300 mutants imported by quickstart never throw', (module) => {
    const path = resolve(module);
    const source = readFileSync(path, 'utf8');
    let failures = 0;
    for (let seed = 0; seed < 300; seed++) {
      const overlay = new Map([[path, mutate(source, seed * 104729 + module.length)]]);
      try {
        compileExperiment('experiments/quickstart.seg', { overlay, target: 'cpu' });
      } catch (error) {
        if (!(error instanceof ExperimentError)) {
          throw new Error(`mutant ${seed} of ${module} threw ${String(error)}\n--- source ---\n${overlay.get(path)}`);
        }
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(100);
  });
});
