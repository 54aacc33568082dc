// The learning-rate schedules, as pure functions of the epoch and iteration (and, for plateau, of the
// validation values seen): each gives the lr of every parameter group. The lr reaches the kernels as a
// uniform, so a schedule never recompiles.
import { InternalError } from '../../diagnostics/diagnostic.ts';

/** What every schedule is built from. */
export interface ScheduleContext {
  /** The learning rate of each parameter group. */
  base: number[];
  epochs: number;
  /** Training iterations per epoch. */
  iterations: number;
}

export interface Schedule {
  /** The lr of each group at iteration `iteration` (0-based, within the epoch) of epoch `epoch` (0-based). */
  lrs(epoch: number, iteration: number): number[];
  /** Told when epoch `epoch` ends, with the monitored validation value when it was evaluated. */
  endEpoch(epoch: number, monitored?: number): void;
  /** What a checkpoint keeps (JSON); restore() continues from it exactly. */
  state(): Record<string, unknown>;
  restore(state: Record<string, unknown>): void;
}

/** A schedule's settings as the catalogue gives them (defaults filled in); `then` is a nested schedule. */
export interface ScheduleSpec {
  name: string;
  [option: string]: unknown;
}

type Factory = (spec: ScheduleSpec, context: ScheduleContext) => Schedule;

/** A schedule whose lr depends on time alone: nothing to save. */
function stateless(lrs: Schedule['lrs']): Schedule {
  return { lrs, endEpoch: () => {}, state: () => ({}), restore: () => {} };
}

const constant: Factory = (_spec, { base }) => stateless(() => [...base]);

/** torch CosineAnnealingLR(T_max = epochs, eta_min = min) stepped per epoch (its closed form). */
const cosine: Factory = (spec, { base, epochs }) => {
  const min = Number(spec.min ?? 0);
  return stateless((epoch) =>
    base.map((b) => min + ((b - min) * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2),
  );
};

/** torch StepLR(step_size = size, gamma): ×gamma after every `size` epochs. */
const step: Factory = (spec, { base }) => {
  const size = Number(spec.size);
  const gamma = Number(spec.gamma);
  return stateless((epoch) => base.map((b) => b * gamma ** Math.floor(epoch / size)));
};

/**
 * Upstream's PolyLR (warmup 0): (base − min)·(1 − t/N)^power + min, t the 0-based step and N the steps of
 * the run, a step being an iteration (N = epochs × iterations per epoch) or an epoch; min once t ≥ N.
 */
const poly: Factory = (spec, { base, epochs, iterations }) => {
  const power = Number(spec.power);
  const min = Number(spec.min ?? 0);
  const perIteration = spec.per !== 'epoch';
  const total = perIteration ? epochs * iterations : epochs;
  return stateless((epoch, iteration) => {
    const t = perIteration ? epoch * iterations + iteration : epoch;
    const coefficient = t < total ? (1 - t / total) ** power : 0;
    return base.map((b) => (b - min) * coefficient + min);
  });
};

/**
 * Linear warmup over the first `iterations` iterations: the lr of `then` times (i + 1) / iterations at
 * iteration i (torch LinearLR(start_factor = 1/W, total_iters = W − 1), upstream PolyLR's warmup rule);
 * `then` keeps its own clock.
 */
const warmup: Factory = (spec, context) => {
  const span = Number(spec.iterations);
  const then = makeSchedule((spec.then as ScheduleSpec | undefined) ?? { name: 'constant' }, context);
  return {
    lrs: (epoch, iteration) => {
      const i = epoch * context.iterations + iteration;
      const factor = i < span ? (i + 1) / span : 1;
      return then.lrs(epoch, iteration).map((lr) => lr * factor);
    },
    endEpoch: (epoch, monitored) => then.endEpoch(epoch, monitored),
    state: () => then.state(),
    restore: (state) => then.restore(state),
  };
};

/**
 * torch ReduceLROnPlateau (threshold_mode 'rel', eps 1e-8): a value better than best·(1 ∓ threshold)
 * resets the count of bad epochs; past `patience` bad epochs every group's lr is multiplied by `factor`
 * (not below `min`; a change under 1e-8 is skipped) and `cooldown` epochs follow in which bad epochs are not
 * counted. Epochs without a validation value leave it as it is.
 */
const plateau: Factory = (spec, { base }) => {
  const max = spec.mode === 'max';
  const factor = Number(spec.factor);
  const patience = Number(spec.patience);
  const threshold = Number(spec.threshold ?? 1e-4);
  const cooldown = Number(spec.cooldown ?? 0);
  const min = Number(spec.min ?? 0);
  let s = { lrs: [...base], best: max ? -Infinity : Infinity, bad: 0, cooldown: 0 };
  const better = (a: number, best: number) => (max ? a > best * (threshold + 1) : a < best * (1 - threshold));
  return {
    lrs: () => [...s.lrs],
    endEpoch: (_epoch, value) => {
      if (value === undefined) return;
      if (better(value, s.best)) {
        s.best = value;
        s.bad = 0;
      } else s.bad++;
      if (s.cooldown > 0) {
        s.cooldown--;
        s.bad = 0;
      }
      if (s.bad > patience) {
        s.lrs = s.lrs.map((old) => {
          const next = Math.max(old * factor, min);
          return old - next > 1e-8 ? next : old;
        });
        s.cooldown = cooldown;
        s.bad = 0;
      }
    },
    // JSON has no infinity: the best is absent until a value was seen.
    state: () => ({
      lrs: s.lrs,
      bad: s.bad,
      cooldown: s.cooldown,
      ...(Number.isFinite(s.best) ? { best: s.best } : {}),
    }),
    restore: (state) => {
      const lrs = state.lrs as number[];
      s = {
        lrs: [...lrs],
        best: typeof state.best === 'number' ? state.best : max ? -Infinity : Infinity,
        bad: Number(state.bad),
        cooldown: Number(state.cooldown),
      };
    },
  };
};

export const SCHEDULES: Record<string, Factory> = { constant, cosine, step, poly, warmup, plateau };

export function makeSchedule(spec: ScheduleSpec, context: ScheduleContext): Schedule {
  const factory = SCHEDULES[spec.name];
  if (!factory) throw new InternalError(`No schedule '${spec.name}'.`);
  return factory(spec, context);
}
