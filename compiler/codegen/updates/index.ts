// The optimizers' update kernels by name: each rule gives its state tensors, uniforms and WGSL lines
// (sgd.ts, adam.ts, adamw.ts); emitUpdates appends them, with clipping and accumulation, to a training plan.
// A new optimizer is one rule file, one line in UPDATES and its catalogue entry
// (compiler/config/training.ts).
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { WeightInfo } from '../../config/index.ts';
import { assignGroups } from '../../config/index.ts';
import type { OptimizerConfig } from '../../config/index.ts';
import type { KernelBody } from '../kinds/elementwise.ts';
import { adam } from './adam.ts';
import { adamw } from './adamw.ts';
import { clipScaleKernel, squaredNormKernel } from './clip.ts';
import type { OptimizerSettings, UpdateRule } from './rule.ts';
import { updateKernel } from './rule.ts';
import { sgd } from './sgd.ts';

export type { OptimizerSettings, UpdateRule } from './rule.ts';

export const UPDATES: Record<string, UpdateRule> = { adam, adamw, sgd };

/** The optimizer part of a training plan: what generatePlan appends after the backward pass. */
export interface OptimizerPlan {
  /** A name in UPDATES. */
  name: string;
  settings: OptimizerSettings;
  /** Parameter groups (each has its own `optimizer.lr.<g>` and `optimizer.weight_decay.<g>` uniforms). */
  groups: number;
  /** Group of each weight by name (0 when absent). */
  groupOf?: Record<string, number>;
  /** Weights that are never updated (and have no optimizer state). */
  frozen?: string[];
  /** Clip the global gradient norm of the updated weights to this value. */
  clip?: number;
  /** Apply the update every `accumulate` steps, with the mean of their gradients (default 1). */
  accumulate?: number;
}

/** The plan of a run's optimizer: its groups and frozen weights resolved against the model's weights. */
export function optimizerPlanOf(config: OptimizerConfig, weights: WeightInfo[]): OptimizerPlan {
  const assignment = assignGroups(weights, config.groups, config.freeze);
  return {
    name: config.name,
    settings: config.settings,
    groups: config.groups.length + 1,
    groupOf: assignment.groupOf,
    frozen: assignment.frozen,
    ...(config.clip === undefined ? {} : { clip: config.clip }),
    accumulate: config.accumulate,
  };
}

export const lrUniform = (group: number) => `optimizer.lr.${group}`;
export const decayUniform = (group: number) => `optimizer.weight_decay.${group}`;
/** 1 on the step that applies an accumulated update, else 0. */
export const APPLY_UNIFORM = 'optimizer.apply';

export function updateRule(name: string): UpdateRule {
  const rule = UPDATES[name];
  if (!rule) throw new InternalError(`No update kernels for optimizer '${name}'.`);
  return rule;
}

/** Every uniform the optimizer's kernels read (the guard's `step` included). */
export function updateUniforms(o: OptimizerPlan): string[] {
  const rule = updateRule(o.name);
  const names = ['step', ...rule.uniforms(o.settings)];
  for (let g = 0; g < o.groups; g++) names.push(lrUniform(g), decayUniform(g));
  if ((o.accumulate ?? 1) > 1) names.push(APPLY_UNIFORM);
  return names;
}

/** What emitUpdates needs of the plan being generated (see generatePlan). */
export interface PlanHooks {
  /** A buffer by name (made once): role 'optimizer' persists, 'accumulator' is the plan's own. */
  buffer(name: string, role: 'optimizer' | 'accumulator', elements: number, node?: number): number;
  weight(name: string): { buffer: number; node?: number };
  /** A new kernel context: bind(buffer, access) returns the binding's name, uniform(name) its read. */
  context(): {
    bind(buffer: number, access: 'read' | 'read_write'): string;
    uniform(name: string): string;
    /** A named u32 size (a literal, or on the CPU adapter a read of the kernel's sizes uniform). */
    size(name: string, value: number): string;
  };
  emit(name: string, context: ReturnType<PlanHooks['context']>, made: KernelBody): void;
}

/** One gradient output of the plan: `grad:<weight>` and its buffer. */
export interface GradientOutput {
  weight: string;
  buffer: number;
  elements: number;
}

/**
 * Appends the update of every weight that is not frozen, after the clipping kernels (when clipping): all in
 * the plan's one command buffer. `guard` is the loss guard's buffer.
 */
export function emitUpdates(o: OptimizerPlan, gradients: GradientOutput[], guard: number, hooks: PlanHooks) {
  const rule = updateRule(o.name);
  const frozen = new Set(o.frozen ?? []);
  const updated = gradients.filter((g) => !frozen.has(g.weight));
  const steps = o.accumulate ?? 1;
  const sums = new Map<string, number>();
  for (const g of updated) {
    if (steps > 1) {
      const { node } = hooks.weight(g.weight);
      sums.set(g.weight, hooks.buffer(`optimizer:${g.weight}.grad_sum`, 'optimizer', g.elements, node));
    }
  }
  let scale: number | undefined;
  if (o.clip !== undefined && updated.length > 0) {
    const norms = hooks.buffer('clip.norms', 'accumulator', updated.length);
    scale = hooks.buffer('clip.scale', 'accumulator', 1);
    updated.forEach((g, slot) => {
      const ctx = hooks.context();
      const gradient = ctx.bind(g.buffer, 'read');
      const sum = sums.has(g.weight) ? ctx.bind(sums.get(g.weight)!, 'read') : undefined;
      const target = ctx.bind(norms, 'read_write');
      hooks.emit(`norm_${g.weight}`, ctx, squaredNormKernel(g.elements, gradient, target, slot, sum));
    });
    const ctx = hooks.context();
    const read = ctx.bind(norms, 'read');
    const write = ctx.bind(scale, 'read_write');
    hooks.emit('clip', ctx, clipScaleKernel(updated.length, o.clip, steps, read, write));
  }
  for (const g of updated) {
    const ctx = hooks.context();
    const { buffer, node } = hooks.weight(g.weight);
    const weight = ctx.bind(buffer, 'read_write');
    const gradient = ctx.bind(g.buffer, 'read');
    const sum = sums.has(g.weight)
      ? { binding: ctx.bind(sums.get(g.weight)!, 'read_write'), steps, apply: ctx.uniform(APPLY_UNIFORM) }
      : undefined;
    const state = rule
      .state(o.settings)
      .map((s) =>
        ctx.bind(hooks.buffer(`optimizer:${g.weight}.${s}`, 'optimizer', g.elements, node), 'read_write'),
      );
    const frame = {
      weight,
      gradient,
      sum,
      guard: ctx.bind(guard, 'read_write'),
      step: ctx.uniform('step'),
      scale: scale === undefined ? undefined : ctx.bind(scale, 'read'),
    };
    const group = o.groupOf?.[g.weight] ?? 0;
    const io = {
      settings: o.settings,
      state,
      uniform: (name: string) => ctx.uniform(name),
      lr: ctx.uniform(lrUniform(group)),
      wd: ctx.uniform(decayUniform(group)),
    };
    hooks.emit(
      `${rule.name}_${g.weight}`,
      ctx,
      updateKernel(g.elements, rule, io, frame, ctx.size('elements', g.elements)),
    );
  }
}
