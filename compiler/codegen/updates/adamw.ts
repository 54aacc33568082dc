// torch.optim.AdamW: decoupled weight decay, then Adam's step.
import { moments, state, stepValues, uniforms } from './adam.ts';
import type { UpdateRule } from './rule.ts';

/** AdamW: p·(1 − lr·wd) first, then Adam's step on the plain gradient. */
export const adamw: UpdateRule = {
  name: 'adamw',
  state,
  uniforms,
  stepValues,
  lines: (io) => [`let decayed = p * (1.0 - ${io.lr} * ${io.wd});`, ...moments(io, 'g', 'decayed')],
};
