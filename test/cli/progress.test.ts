// segc run's rendering of Trainer events: lines on stdout (warnings on stderr) when stderr is no terminal; a
// progress bar on stderr that shows steps, the running loss terms and images/s when it is.
import { describe, expect, it } from 'vitest';
import { sink } from '../helpers/streams.ts';
import { progressRenderer } from '../../cli/progress.ts';
import type { EpochRecord, TrainerEvent } from '../../runtime/train/events.ts';

const record: EpochRecord = {
  epoch: 1,
  lr: 3e-3,
  params: {},
  train: { loss: 0.5, ce: 0.25 },
  val: { values: { dice: 0.75 }, dicePerClass: [0.75], unpredicted: [] },
  seconds: 2,
};
const events: TrainerEvent[] = [
  {
    type: 'start',
    experiment: 'e',
    device: 'lavapipe',
    software: true,
    out: 'runs/e',
    epochs: 2,
    steps: 2,
    first: 0,
  },
  { type: 'step', epoch: 1, step: 1, steps: 2, images: 4 },
  { type: 'step', epoch: 1, step: 2, steps: 2, images: 4, terms: { loss: 0.5, ce: 0.25 } },
  { type: 'epoch', record, epochs: 2, metrics: ['dice'] },
  { type: 'warning', message: 'class 1 is never predicted' },
];

describe('segc run progress', () => {
  it('prints the epoch lines on stdout and warnings on stderr without a terminal', () => {
    const out = sink(false);
    const err = sink(false);
    const progress = progressRenderer({ out, err });
    expect(progress.live).toBe(false);
    events.forEach(progress.listener);
    expect(out.text).toBe(
      'segc: e on lavapipe (software), output in runs/e\n' +
        'epoch 1/2  lr 3.00e-3  loss 0.5000  ce 0.2500  | val dice 0.7500  (2.0 s)\n',
    );
    expect(err.text).toBe('segc: warning: class 1 is never predicted\n');
  });

  it('draws a bar with the step, the running terms and images/s on a terminal', () => {
    const out = sink(false);
    const err = sink(true);
    const progress = progressRenderer({ out, err });
    expect(progress.live).toBe(true);
    events.slice(0, 3).forEach(progress.listener);
    expect(err.text).toContain('epoch 1/2');
    expect(err.text).toContain('2/2 steps');
    expect(err.text).toContain('loss 0.5000  ce 0.2500');
    expect(err.text).toMatch(/[\d.]+ img\/s/);
    events.slice(3).forEach(progress.listener);
    expect(out.text).toContain('epoch 1/2  lr 3.00e-3  loss 0.5000');
    expect(err.text).toContain('segc: warning: class 1 is never predicted\n');
  });
});
