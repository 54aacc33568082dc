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
 * WGSL: whether the f32 `x` is NaN or infinite, from its bits (compilers may assume IEEE specials away, so
 * `x != x` and comparisons with infinity are not reliable).
 */
export const notFinite = (x: string) => `(bitcast<u32>(${x}) & 0x7f800000u) == 0x7f800000u`;

/**
 * The guard buffer of a training plan holds the step of the first non-finite value (0: none) and what it
 * was: the loss, a gradient, or a weight after its update.
 */
export const LOSS = 1;
export const GRADIENT = 2;
export const UPDATE = 3;

/** WGSL: records `step` and `cause` in the guard and ends the thread (this element is not written). */
export const stopUpdates = (guard: string, step: string, cause: number) =>
  `${guard}[0] = ${step}; ${guard}[1] = ${cause}.0; return;`;

/**
 * torch.optim.Adam (L2 weight decay added to the gradient): bindings p, g, m, v, then the non-finite flag
 * (b4); `stepSize` is lr / (1 - beta1^t), `bias2` is sqrt(1 - beta2^t), both uniform reads so the schedule
 * never recompiles. A non-finite gradient or new weight records the step (`step`, a uniform read) in the
 * flag, as a non-finite loss does (guardKernel); once it is set no weight changes any more, so the run can be
 * diagnosed from the weights that produced it.
 */
export function adamKernel(
  count: number,
  s: AdamSettings,
  stepSize: string,
  bias2: string,
  step: string,
): KernelBody {
  const body = [
    ...threadEntry('t', count),
    `  if (b4[0] != 0.0) { return; }`,
    `  let p = b0[t];`,
    `  let g = b1[t] + ${f32Literal(s.weightDecay)} * p;`,
    `  if (${notFinite('g')}) { ${stopUpdates('b4', step, GRADIENT)} }`,
    `  let m = ${f32Literal(s.beta1)} * b2[t] + ${f32Literal(1 - s.beta1)} * g;`,
    `  let v = ${f32Literal(s.beta2)} * b3[t] + ${f32Literal(1 - s.beta2)} * g * g;`,
    `  let next = p - ${stepSize} * m / (sqrt(v) / ${bias2} + ${f32Literal(s.eps)});`,
    `  if (${notFinite('next')}) { ${stopUpdates('b4', step, UPDATE)} }`,
    `  b2[t] = m;`,
    `  b3[t] = v;`,
    `  b0[t] = next;`,
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
 * Records the step (a uniform read) of the first non-finite loss into the flag, with cause LOSS: bindings
 * loss (b0), flag (b1).
 */
export function guardKernel(step: string): KernelBody {
  const body = [
    ...threadEntry('t', 1),
    `  if (${notFinite('b0[0]')} && b1[0] == 0.0) { b1[0] = ${step}; b1[1] = ${LOSS}.0; }`,
    `}`,
  ];
  return { body: body.join('\n'), workgroup: WORKGROUP, dispatch: [1, 1, 1] };
}
