// Learning-rate schedules against torch.optim.lr_scheduler (and upstream's PolyLR formula) over 100 epochs
// for two parameter groups (test/golden/generate_optim.py); ReduceLROnPlateau's decisions on a scripted
// sequence of validation values; a run resumed from a saved state in the middle gives the same sequence.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../../../runtime/optim/schedules.ts';
import { makeSchedule } from '../../../runtime/optim/schedules.ts';

interface Case {
  name: string;
  schedule: ScheduleSpec;
  lrs: number[][];
  /** Iterations per epoch when the golden holds one lr per iteration. */
  iterations?: number;
  /** The validation value at the end of each epoch (plateau). */
  values?: number[];
}

const golden = JSON.parse(readFileSync('test/golden/optim/schedules.json', 'utf8')) as {
  base: number[];
  epochs: number;
  cases: Case[];
};

/** The lrs of every step (iteration or epoch) of a run, resumed from its saved state after `resumeAt`. */
function sequence(c: Case, resumeAt?: number): number[][] {
  const iterations = c.iterations ?? 1;
  const context = { base: golden.base, epochs: golden.epochs, iterations };
  let schedule = makeSchedule(c.schedule, context);
  const out: number[][] = [];
  for (let epoch = 0; epoch < golden.epochs; epoch++) {
    if (epoch === resumeAt) {
      const saved = JSON.parse(JSON.stringify(schedule.state())) as Record<string, unknown>;
      schedule = makeSchedule(c.schedule, context);
      schedule.restore(saved);
    }
    for (let k = 0; k < iterations; k++) out.push(schedule.lrs(epoch, k));
    schedule.endEpoch(epoch, c.values?.[epoch]);
  }
  return out;
}

function largestRelative(ours: number[][], reference: number[][]): number {
  expect(ours.length).toBe(reference.length);
  let worst = 0;
  ours.forEach((row, i) =>
    row.forEach(
      (v, g) => (worst = Math.max(worst, Math.abs(v - reference[i][g]) / Math.abs(reference[i][g]))),
    ),
  );
  return worst;
}

describe('schedules against torch.optim.lr_scheduler', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      expect(largestRelative(sequence(c), c.lrs)).toBeLessThan(1e-12);
    });
  }

  it('plateau reduces on exactly the epochs torch reduces on', () => {
    for (const c of golden.cases.filter((x) => x.schedule.name === 'plateau')) {
      const reductions = (lrs: number[][]) =>
        lrs.flatMap((row, e) => (e > 0 && row[0] < lrs[e - 1][0] ? [e] : []));
      const torch = reductions(c.lrs);
      expect(torch.length, c.name).toBeGreaterThan(2);
      expect(reductions(sequence(c)), c.name).toEqual(torch);
    }
  });

  it('a schedule resumed in the middle continues the same sequence', () => {
    for (const c of golden.cases) {
      for (const at of [1, 37, 50, 99]) expect(sequence(c, at), `${c.name} at ${at}`).toEqual(sequence(c));
    }
  });
});
