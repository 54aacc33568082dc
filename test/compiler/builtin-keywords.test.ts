// Every built-in rejects keyword arguments it does not take (with a suggestion when one is close), more
// positional arguments than it takes, and an argument given twice.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileExperiment } from '../../compiler/index.ts';
import { CompileError } from '../../diagnostics/index.ts';

const file = 'test/fixtures/experiments/tiny.seg';
const source = readFileSync(file, 'utf8');

function diagnostics(loss: string) {
  const text = source.replace(/^ {2}loss = .*$/m, `  loss = ${loss}`);
  try {
    compileExperiment(file, { text });
  } catch (error) {
    if (error instanceof CompileError) return error.diagnostics.map((d) => [d.message, d.hint]);
    throw error;
  }
  return [];
}

describe('built-in keyword arguments', () => {
  it.each([
    ['mean(softmax[C](logits, dim = 1))', "Unknown keyword argument 'dim' for 'softmax'.", undefined],
    [
      'mean(logits) + sum(valid(y, ignor = 3))',
      "Unknown keyword argument 'ignor' for 'valid'.",
      "Did you mean 'ignore'?",
    ],
    ['mean(exp(logits, 2))', "Wrong number of arguments to 'exp': expected 1, found 2.", undefined],
    [
      'mean(max(logits, 0, 1))',
      "Wrong number of arguments to 'max': expected at most 2, found 3.",
      undefined,
    ],
    [
      'mean(logits) + sum(valid(y, 3, ignore = 4))',
      "Argument 'ignore' of 'valid' is given both by position and by keyword.",
      undefined,
    ],
    [
      'mean(logits) + sum(valid(y, ignore = 3, ignore = 4))',
      "Keyword argument 'ignore' is given twice.",
      undefined,
    ],
  ])('%s', (loss, message, hint) => {
    expect(diagnostics(loss)).toEqual([[message, hint]]);
  });

  it('accepts the keywords a built-in takes', () => {
    expect(diagnostics('mean(logits) + sum(valid(y, ignore = 3))')).toEqual([]);
  });
});
