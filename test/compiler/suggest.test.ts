// "Did you mean": the closest name within a third of its length, nothing for far-off names.
import { describe, expect, it } from 'vitest';
import { suggest } from '../../compiler/diagnostics/index.ts';

describe('suggest', () => {
  const names = ['softmax', 'log_softmax', 'sum', 'mean', 'epochs', 'batch'];
  it.each([
    ['sofmax', "Did you mean 'softmax'?"],
    ['Softmax', "Did you mean 'softmax'?"],
    ['epcohs', "Did you mean 'epochs'?"],
    ['mea', "Did you mean 'mean'?"],
    ['log_sofmax', "Did you mean 'log_softmax'?"],
  ])('%s', (name, hint) => expect(suggest(name, names)).toBe(hint));

  it('stays silent when nothing is close', () => {
    expect(suggest('dice', names)).toBeUndefined();
    expect(suggest('x', names)).toBeUndefined();
  });
});
