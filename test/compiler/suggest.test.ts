// "Did you mean": the closest name within a third of its length (a swap of two letters is one edit), nothing
// for far-off names.
import { describe, expect, it } from 'vitest';
import { suggest } from '../../diagnostics/index.ts';

describe('suggest', () => {
  const names = ['softmax', 'log_softmax', 'sum', 'mean', 'epochs', 'batch'];
  it.each([
    ['sofmax', "Did you mean 'softmax'?"],
    ['Softmax', "Did you mean 'softmax'?"],
    ['epcohs', "Did you mean 'epochs'?"],
    ['mea', "Did you mean 'mean'?"],
    ['log_sofmax', "Did you mean 'log_softmax'?"],
  ])('%s', (name, hint) => expect(suggest(name, names)).toBe(hint));

  it('counts a swap of two adjacent letters as one edit', () => {
    const nets = ['unet', 'fpn', 'conv_bn_relu'];
    expect(suggest('unte', nets)).toBe("Did you mean 'unet'?");
    expect(suggest('nuet', nets)).toBe("Did you mean 'unet'?");
    expect(suggest('fnp', nets)).toBe("Did you mean 'fpn'?");
    // Two swaps in a short name are too far.
    expect(suggest('nute', nets)).toBeUndefined();
    expect(suggest('optimiser', ['optimizer', 'schedule'])).toBe("Did you mean 'optimizer'?");
  });

  it('stays silent when nothing is close', () => {
    expect(suggest('dice', names)).toBeUndefined();
    expect(suggest('x', names)).toBeUndefined();
  });
});
