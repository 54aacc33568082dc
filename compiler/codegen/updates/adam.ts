// torch.optim.Adam: weight decay as L2 in the gradient.
import { f32Literal } from '../wgsl.ts';
import type { OptimizerSettings, RuleIo, UpdateRule } from './rule.ts';

/**
 * The moments (as torch: m lerps towards g by 1 − beta1, v = beta2·v + (1 − beta2)·g²) and the step
 * p − lr / (1 − beta1^t) · m / (√v / √(1 − beta2^t) + eps), the bias corrections
 * `adam.bias1` = 1 − beta1^t and `adam.bias2` = √(1 − beta2^t) being uniforms so a step never recompiles.
 */
export function moments(io: RuleIo, gradient: string, weight: string): string[] {
  const { settings, state, uniform, lr } = io;
  const beta1 = Number(settings.beta1);
  const beta2 = Number(settings.beta2);
  return [
    `let m = ${state[0]}[t] + (${gradient} - ${state[0]}[t]) * ${f32Literal(1 - beta1)};`,
    `let v = ${state[1]}[t] * ${f32Literal(beta2)} + ${gradient} * ${gradient} * ${f32Literal(1 - beta2)};`,
    `${state[0]}[t] = m;`,
    `${state[1]}[t] = v;`,
    `let denominator = sqrt(v) / ${uniform('adam.bias2')} + ${f32Literal(Number(settings.eps))};`,
    `let next = ${weight} - (${lr} / ${uniform('adam.bias1')}) * m / denominator;`,
  ];
}

export const state = () => ['exp_avg', 'exp_avg_sq'];
export const uniforms = () => ['adam.bias1', 'adam.bias2'];
/** The bias corrections at step t: 1 − beta1^t and √(1 − beta2^t). */
export const stepValues = (settings: OptimizerSettings, t: number) => ({
  'adam.bias1': 1 - Number(settings.beta1) ** t,
  'adam.bias2': Math.sqrt(1 - Number(settings.beta2) ** t),
});

export const adam: UpdateRule = {
  name: 'adam',
  state,
  uniforms,
  stepValues,
  lines: (io) => [`let gd = g + ${io.wd} * p;`, ...moments(io, 'gd', 'p')],
};
