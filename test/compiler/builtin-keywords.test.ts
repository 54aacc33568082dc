// Every built-in rejects keyword arguments it does not take, with a suggestion when one is close.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExperimentError, compileExperiment } from '../../runtime/compile.ts';

const file = 'test/fixtures/experiments/tiny.seg';
const source = readFileSync(file, 'utf8');

function diagnostics(loss: string) {
  const text = source.replace(/^ {2}loss = .*$/m, `  loss = ${loss}`);
  try {
    compileExperiment(file, { text });
  } catch (error) {
    if (error instanceof ExperimentError) return error.diagnostics.map((d) => [d.message, d.hint]);
    throw error;
  }
  return [];
}

describe('built-in keyword arguments', () => {
  it.each([
    ['mean(softmax[C](logits, dim = 1))', "Unknown keyword argument 'dim' for 'softmax'.", undefined],
    ['mean(logits) + sum(valid(y, ignor = 3))', "Unknown keyword argument 'ignor' for 'valid'.", "Did you mean 'ignore'?"],
  ])('%s', (loss, message, hint) => {
    expect(diagnostics(loss)).toEqual([[message, hint]]);
  });

  it('accepts the keywords a built-in takes', () => {
    expect(diagnostics('mean(logits) + sum(valid(y, ignore = 3))')).toEqual([]);
  });
});
