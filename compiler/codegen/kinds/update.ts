// Step-end kernels outside the IR: the Adam update of a weight in place, and accumulation of reported values.
import type { KernelBody } from './elementwise.ts';
import { WORKGROUP, linearDispatch, f32Literal, threadEntry } from '../wgsl.ts';

export interface AdamSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * torch.optim.Adam (L2 weight decay added to the gradient): bindings p, g, m, v, then the non-finite flag
 * (b4); `stepSize` is lr / (1 - beta1^t), `bias2` is sqrt(1 - beta2^t), both uniform reads so the schedule
 * never recompiles. Once a step's loss was non-finite the flag is set and no weight changes any more, so the
 * run can be diagnosed from the weights that produced it.
 */
export function adamKernel(count: number, s: AdamSettings, stepSize: string, bias2: string): KernelBody {
  const body = [
    ...threadEntry('t', count),
    `  if (b4[0] != 0.0) { return; }`,
    `  let p = b0[t];`,
    `  let g = b1[t] + ${f32Literal(s.weightDecay)} * p;`,
    `  let m = ${f32Literal(s.beta1)} * b2[t] + ${f32Literal(1 - s.beta1)} * g;`,
    `  let v = ${f32Literal(s.beta2)} * b3[t] + ${f32Literal(1 - s.beta2)} * g * g;`,
    `  b2[t] = m;`,
    `  b3[t] = v;`,
    `  b0[t] = p - ${stepSize} * m / (sqrt(v) / ${bias2} + ${f32Literal(s.eps)});`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: linearDispatch(Math.ceil(count / WORKGROUP)) };
}

/** acc[offset + t] += value[t]: bindings value (b0), accumulator (b1). */
export function accumulateKernel(count: number, offset: number): KernelBody {
  const body = [...threadEntry('t', count), `  b1[${offset}u + t] = b1[${offset}u + t] + b0[t];`, `}`];
  return {
    body: body.join('\n'),
    workgroup: WORKGROUP,
    dispatch: linearDispatch(Math.ceil(count / WORKGROUP)),
  };
}

/**
 * Records the step (a uniform read) of the first non-finite loss into the flag: bindings loss (b0), flag
 * (b1).
 */
export function guardKernel(step: string): KernelBody {
  const body = [
    ...threadEntry('t', 1),
    `  let finite = (bitcast<u32>(b0[0]) & 0x7f800000u) != 0x7f800000u;`,
    `  if (!finite && b1[0] == 0.0) { b1[0] = ${step}; }`,
    `}`,
  ];
  return { body: body.join('\n'), workgroup: WORKGROUP, dispatch: [1, 1, 1] };
}
