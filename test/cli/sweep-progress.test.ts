// segc sweep's display: a live bar per active run on a terminal, with run lines above the bars; one line per
// run epoch otherwise.
import { describe, expect, it } from 'vitest';
import { sink } from '../helpers/streams.ts';
import { sweepDisplay } from '../../cli/sweep-progress.ts';
import type { SweepRun } from '../../jobs/expand.ts';
import type { EpochRecord } from '../../runtime/train/events.ts';

const run = (name: string): SweepRun => ({
  id: `${name}-1234abcd`,
  name,
  group: name,
  seed: 1,
  overrides: {},
});
const start = {
  type: 'start' as const,
  experiment: 'e',
  device: 'd',
  software: true,
  out: 'o',
  epochs: 2,
  steps: 3,
  first: 0,
};
const record: EpochRecord = {
  epoch: 1,
  lr: 1e-3,
  params: {},
  train: { loss: 1 },
  val: { values: { dice: 0.5 }, dicePerClass: [0.5], unpredicted: [] },
  seconds: 1,
};

describe('sweep display', () => {
  it('prints each run epoch as a line without a terminal', () => {
    const out = sink(false);
    const display = sweepDisplay(out, sink(false));
    display.onEvent(run('ce'), start);
    display.onEvent(run('ce'), { type: 'epoch', record, epochs: 2, metrics: ['dice'] });
    display.line('segc: ce done: dice 0.5000');
    expect(out.text).toBe('  ce: epoch 1/2  dice 0.5000\nsegc: ce done: dice 0.5000\n');
  });

  it('draws one bar per active run on a terminal', () => {
    const err = sink(true);
    const display = sweepDisplay(sink(false), err);
    display.onEvent(run('ce'), start);
    display.onEvent(run('ce_l1'), start);
    display.onEvent(run('ce'), { type: 'step', epoch: 1, step: 1, steps: 3, images: 2 });
    display.line('segc: ce_l1 done');
    expect(err.text).toContain('ce [');
    expect(err.text).toContain('ce_l1 [');
    expect(err.text).toContain('epoch 1/2 step 1/3');
    expect(err.text).toContain('segc: ce_l1 done');
    display.stop();
  });
});
