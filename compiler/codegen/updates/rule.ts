// The frame every optimizer's update kernel shares: one thread per element of a weight, the loss guard, the
// gradient summed over accumulation steps and scaled by the clipping factor, then the rule's own lines.
import type { KernelBody } from '../kinds/elementwise.ts';
import { GRADIENT, UPDATE, notFinite, stopUpdates } from '../kinds/update.ts';
import { WORKGROUP, f32Literal, linearDispatch, threadEntry } from '../wgsl.ts';

/** An optimizer's settings that are compiled into its kernels (betas, momentum): numbers or flags. */
export type OptimizerSettings = Record<string, number | boolean>;

/**
 * What a rule's WGSL lines read: `p` (the weight), `g` (its gradient, averaged over the accumulation steps
 * and clipped), the group's learning rate `lr` and weight decay `wd` (uniform reads), its state tensors'
 * bindings (indexed by `t`). The lines end with `let next = ...;`, the new weight.
 */
export interface RuleIo {
  settings: OptimizerSettings;
  state: string[];
  uniform: (name: string) => string;
  lr: string;
  wd: string;
}

export interface UpdateRule {
  name: string;
  /** Per-weight state tensors (`optimizer:<weight>.<state>`, zero at the start, saved in the checkpoint). */
  state(settings: OptimizerSettings): string[];
  /** Uniforms the rule reads besides the group's learning rate and weight decay. */
  uniforms(settings: OptimizerSettings): string[];
  /**
   * Their values at optimizer step t (1-based; the runtime sends them each step, so a step never
   * recompiles): at least those `uniforms` names.
   */
  stepValues(settings: OptimizerSettings, t: number): Record<string, number>;
  lines(io: RuleIo): string[];
}

/** The buffers and uniforms around a rule: binding names from KernelContext.bind. */
export interface UpdateFrame {
  weight: string;
  gradient: string;
  /** The running gradient sum of accumulation (read_write), with the steps per update and `apply` read. */
  sum?: { binding: string; steps: number; apply: string };
  /** The non-finite flag (read_write): the step of the first non-finite loss, gradient or new weight. */
  guard: string;
  /** The step number (a uniform read), recorded in the flag. */
  step: string;
  /** The clipping factor (one value), when gradients are clipped. */
  scale?: string;
}

/**
 * The kernel of one weight: once the guard is set (a non-finite loss, gradient or new weight) nothing
 * changes; with accumulation the gradient is added to its sum and, on the step that applies the update, the
 * mean of the sum is used and the sum is cleared.
 */
export function updateKernel(
  count: number,
  rule: UpdateRule,
  io: RuleIo,
  frame: UpdateFrame,
  /** `count` as WGSL (KernelContext.size: weights of any size then share the kernel on the CPU adapter). */
  bound = `${count}u`,
): KernelBody {
  const { weight, gradient, sum, guard, scale, step } = frame;
  const lines = [...threadEntry('t', bound), `  if (${guard}[0] != 0.0) { return; }`];
  if (sum) {
    lines.push(
      `  let total = ${sum.binding}[t] + ${gradient}[t];`,
      `  if (${sum.apply} == 0.0) { ${sum.binding}[t] = total; return; }`,
      `  ${sum.binding}[t] = 0.0;`,
      `  var g = total * ${f32Literal(1 / sum.steps)};`,
    );
  } else {
    lines.push(`  var g = ${gradient}[t];`);
  }
  if (scale) lines.push(`  g = g * ${scale}[0];`);
  // A non-finite gradient or new weight stops the updates as a non-finite loss does (guardKernel).
  lines.push(
    `  if (${notFinite('g')}) { ${stopUpdates(guard, step, GRADIENT)} }`,
    `  let p = ${weight}[t];`,
    ...rule.lines(io).map((l) => `  ${l}`),
    `  if (${notFinite('next')}) { ${stopUpdates(guard, step, UPDATE)} }`,
    `  ${weight}[t] = next;`,
    `}`,
  );
  return {
    body: lines.join('\n'),
    workgroup: WORKGROUP,
    dispatch: linearDispatch(Math.ceil(count / WORKGROUP)),
  };
}
