// The optimizers' per-step uniforms: what the update kernels (compiler/codegen/updates/) read that changes
// from step to step, so a training step is one command buffer and never recompiles.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { OptimizerPlan } from '../../compiler/index.ts';
import { APPLY_UNIFORM, UPDATES, decayUniform, lrUniform, updateUniforms } from '../../compiler/index.ts';

/** A parameter group's values at one step. */
export interface GroupRates {
  lr: number;
  weightDecay: number;
}

export interface Optimizer {
  /**
   * The uniforms of training iteration `iteration` (1-based, counting every batch): with accumulation over k
   * batches the update is applied on every k-th, and the optimizer's own step count is iteration / k.
   */
  uniforms(iteration: number, groups: GroupRates[]): Record<string, number>;
}

/** The optimizers this version runs: those with update kernels (compiler/codegen/updates/). */
export const OPTIMIZERS = Object.keys(UPDATES);

export function makeOptimizer(plan: OptimizerPlan): Optimizer {
  const rule = UPDATES[plan.name];
  if (!rule) throw new InternalError(`No optimizer '${plan.name}'.`);
  // The rule's own uniforms at its step t (possibly more than the plan reads: SGD without momentum has no
  // `sgd.first`); the loop below keeps those the plan declares.
  const own = (t: number) => rule.stepValues(plan.settings, t);
  const k = plan.accumulate ?? 1;
  // Exactly the uniforms the update kernels read (updateUniforms, as generatePlan declares them): the
  // executor refuses a name its plan lacks.
  const declared = updateUniforms(plan);
  return {
    uniforms(iteration, groups) {
      const t = Math.max(1, Math.ceil(iteration / k));
      const all: Record<string, number> = { step: iteration, ...own(t) };
      groups.forEach((g, i) => {
        all[lrUniform(i)] = g.lr;
        all[decayUniform(i)] = g.weightDecay;
      });
      if (k > 1) all[APPLY_UNIFORM] = iteration % k === 0 ? 1 : 0;
      const values: Record<string, number> = {};
      for (const name of declared) {
        if (all[name] === undefined) throw new InternalError(`Optimizer '${plan.name}' has no '${name}'.`);
        values[name] = all[name];
      }
      return values;
    },
  };
}
