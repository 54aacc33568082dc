// The Trainer drives a run through events only: one tiny run's events in order, with the numbers the run
// folder holds (metrics.jsonl, summary.json), and nothing written to the terminal.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Trainer } from '../../../runtime/train/trainer.ts';
import type { TrainerEvent } from '../../../runtime/train/events.ts';

describe('Trainer', () => {
  it('emits start, steps, evaluation, epoch, checkpoint and end in order and writes no line itself', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'segc-trainer-')), 'run');
    const events: TrainerEvent[] = [];
    const write = vi.spyOn(process.stdout, 'write');
    const trainer = new Trainer('test/fixtures/experiments/tiny.seg', { out, liveTerms: true });
    const summary = await trainer.on((e) => events.push(e)).run();
    expect(write).not.toHaveBeenCalled();
    write.mockRestore();
    // tiny: 4 training images in batches of 2 = 2 steps, one epoch. Its one epoch never predicts class 1:
    // the warning says so before the end.
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'compile',
      'compiled',
      'step',
      'step',
      'evaluation',
      'epoch',
      'checkpoint',
      'warning',
      'end',
    ]);
    // Compilation is timed apart from the epochs: the distinct kernels of both plans, in summary.json too.
    const compile = events[1] as Extract<TrainerEvent, { type: 'compile' }>;
    const compiled = events[2] as Extract<TrainerEvent, { type: 'compiled' }>;
    expect(compiled.kernels).toBe(compile.kernels);
    expect(compile.kernels).toBeGreaterThan(20);
    const { type: _, ...times } = compiled;
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).compile).toEqual(times);
    const logged = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8'));
    const toFirstStep = times.planSeconds + times.pipelineSeconds + times.firstStepSeconds;
    expect(logged.compile_seconds).toBeCloseTo(toFirstStep, 3);
    expect(logged.compile_seconds).toBeLessThanOrEqual(
      logged.seconds + times.planSeconds + times.pipelineSeconds,
    );
    const start = events[0] as Extract<TrainerEvent, { type: 'start' }>;
    expect([start.experiment, start.out, start.epochs, start.steps, start.first]).toEqual([
      'tiny',
      out,
      1,
      2,
      0,
    ]);
    const steps = events.filter((e) => e.type === 'step') as Extract<TrainerEvent, { type: 'step' }>[];
    expect(steps.map((s) => [s.epoch, s.step, s.steps, s.images])).toEqual([
      [1, 1, 2, 2],
      [1, 2, 2, 2],
    ]);
    // Live terms are read where the queue is waited for (every 8 steps and at the epoch's last step): the
    // running mean after the last step is the epoch's mean that metrics.jsonl records.
    expect(steps[0].terms).toBeUndefined();
    const line = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8'));
    expect(steps[1].terms!.loss).toBeCloseTo(line.loss, 6);
    expect(steps[1].terms!.ce).toBeCloseTo(line.ce, 6);
    const epoch = events[6] as Extract<TrainerEvent, { type: 'epoch' }>;
    expect(epoch.record.val!.values.dice).toBe(line.dice);
    const checkpoint = events[7] as Extract<TrainerEvent, { type: 'checkpoint' }>;
    expect(checkpoint.files).toEqual([
      'model.safetensors',
      'model-best.safetensors',
      'checkpoint.safetensors',
    ]);
    const saved = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(saved.final.values.dice).toBe(summary.final!.values.dice);
    expect((events[9] as Extract<TrainerEvent, { type: 'end' }>).summary).toBe(summary);
  });
});
