// torch.optim.SGD: weight decay as L2 in the gradient, momentum with dampening, Nesterov.
import { f32Literal } from '../wgsl.ts';
import type { UpdateRule } from './rule.ts';

const momentumOf = (settings: Record<string, number | boolean>) => Number(settings.momentum ?? 0);

/**
 * d = g + wd·p; with momentum the buffer is d on the first step (`sgd.first` = 1) and momentum·buf +
 * (1 − dampening)·d after; Nesterov steps along d + momentum·buf, else along buf; p − lr·step.
 */
export const sgd: UpdateRule = {
  name: 'sgd',
  state: (s) => (momentumOf(s) > 0 ? ['momentum_buffer'] : []),
  uniforms: (s) => (momentumOf(s) > 0 ? ['sgd.first'] : []),
  // The momentum buffer starts as the first step's gradient.
  stepValues: (_s, t) => ({ 'sgd.first': t === 1 ? 1 : 0 }),
  lines: ({ settings, state, uniform, lr, wd }) => {
    const momentum = momentumOf(settings);
    const lines = [`let d = g + ${wd} * p;`];
    if (momentum > 0) {
      const m = f32Literal(momentum);
      const kept = f32Literal(1 - Number(settings.dampening ?? 0));
      lines.push(
        `let buf = select(${state[0]}[t] * ${m} + d * ${kept}, d, ${uniform('sgd.first')} != 0.0);`,
        `${state[0]}[t] = buf;`,
        settings.nesterov ? `let direction = d + ${m} * buf;` : `let direction = buf;`,
      );
    } else {
      lines.push(`let direction = d;`);
    }
    lines.push(`let next = p - ${lr} * direction;`);
    return lines;
  },
};
