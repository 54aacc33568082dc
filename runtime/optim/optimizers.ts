// The optimizers' per-step uniforms: what the update kernels (compiler/codegen/updates/) read that changes
// from step to step, so a training step is one command buffer and never recompiles.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { OptimizerPlan } from '../../compiler/index.ts';
import { APPLY_UNIFORM, decayUniform, lrUniform, updateUniforms } from '../../compiler/index.ts';

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

type Own = (settings: OptimizerPlan['settings'], t: number) => Record<string, number>;

/**
 * Each optimizer's uniforms besides the groups' rates, at its step t (1-based): possibly more than its plan
 * reads (SGD without momentum has no `sgd.first`); makeOptimizer keeps those the plan declares.
 */
const OWN: Record<string, Own> = {
  sgd: (_s, t) => ({ 'sgd.first': t === 1 ? 1 : 0 }),
  adam: (s, t) => adamBias(s, t),
  adamw: (s, t) => adamBias(s, t),
};

function adamBias(s: OptimizerPlan['settings'], t: number): Record<string, number> {
  return { 'adam.bias1': 1 - Number(s.beta1) ** t, 'adam.bias2': Math.sqrt(1 - Number(s.beta2) ** t) };
}

export const OPTIMIZERS = Object.keys(OWN);

export function makeOptimizer(plan: OptimizerPlan): Optimizer {
  const own = OWN[plan.name];
  if (!own) throw new InternalError(`No optimizer '${plan.name}'.`);
  const k = plan.accumulate ?? 1;
  // Exactly the uniforms the update kernels read (updateUniforms, as generatePlan declares them): the
  // executor refuses a name its plan lacks.
  const declared = updateUniforms(plan);
  return {
    uniforms(iteration, groups) {
      const t = Math.max(1, Math.ceil(iteration / k));
      const all: Record<string, number> = { step: iteration, ...own(plan.settings, t) };
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
