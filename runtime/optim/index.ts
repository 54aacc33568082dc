// The optimizer and schedule of a training run, as the Trainer drives them: the uniforms of each step (every
// group's scheduled lr and weight decay, the optimizer's own), the schedule told each epoch's validation, and
// the state a checkpoint keeps. Optimizers (optimizers.ts) and schedules (schedules.ts) register by the
// catalogue's names.
import { assignGroups } from '../../compiler/index.ts';
import type { WeightInfo } from '../../compiler/index.ts';
import type { OptimizerConfig, ScheduleSpec } from '../../compiler/index.ts';
import { optimizerPlanOf } from '../../compiler/index.ts';
import type { Optimizer } from './optimizers.ts';
import { makeOptimizer } from './optimizers.ts';
import type { Schedule } from './schedules.ts';
import { makeSchedule } from './schedules.ts';

export type { Optimizer } from './optimizers.ts';
export type { Schedule, ScheduleContext } from './schedules.ts';
export { OPTIMIZERS, makeOptimizer } from './optimizers.ts';
export { SCHEDULES, makeSchedule } from './schedules.ts';

/** What a run's rates come from: its RunConfig. */
export interface RunRates {
  optimizer: OptimizerConfig;
  schedule: ScheduleSpec;
  train: { epochs: number };
}

export class TrainingOptimizer {
  private readonly optimizer: Optimizer;
  private readonly schedule: Schedule;
  private readonly decays: number[];
  private readonly monitor?: string;

  /** `iterations`: training batches per epoch. */
  constructor(run: RunRates, weights: WeightInfo[], iterations: number) {
    const { optimizer, schedule } = run;
    const rates = assignGroups(weights, optimizer.groups, optimizer.freeze).rates(
      optimizer.lr,
      optimizer.weightDecay,
    );
    this.decays = rates.map((r) => r.weightDecay);
    this.optimizer = makeOptimizer(optimizerPlanOf(optimizer, weights));
    const base = rates.map((r) => r.lr);
    this.schedule = makeSchedule(schedule, { base, epochs: run.train.epochs, iterations });
    const plateau = schedule.name === 'plateau' ? schedule : (schedule.then as ScheduleSpec | undefined);
    if (plateau?.name === 'plateau') this.monitor = String(plateau.monitor).replace(/^val\./, '');
  }

  /** The uniforms of batch `iteration` (0-based) of epoch `epoch`, the run's `step`-th batch (1-based). */
  uniforms(epoch: number, iteration: number, step: number): Record<string, number> {
    const lrs = this.schedule.lrs(epoch, iteration);
    return this.optimizer.uniforms(
      step,
      lrs.map((lr, g) => ({ lr, weightDecay: this.decays[g] })),
    );
  }

  /** The lr of the optimizer's own group (the last) at the first batch of epoch `epoch`, for the record. */
  lr(epoch: number): number {
    return this.schedule.lrs(epoch, 0).at(-1)!;
  }

  /** Tells the schedule that epoch `epoch` ended, with the validation values when it was evaluated. */
  endEpoch(epoch: number, validation?: Record<string, number>): void {
    this.schedule.endEpoch(epoch, this.monitor ? validation?.[this.monitor] : undefined);
  }

  state(): Record<string, unknown> {
    return this.schedule.state();
  }

  restore(state: Record<string, unknown> | undefined): void {
    if (state) this.schedule.restore(state);
  }
}
