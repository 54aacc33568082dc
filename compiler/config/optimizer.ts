// The optimizer and schedule of a run, from an experiment's checked settings (defaults filled in from the
// catalogue): the optimizer with its parameter groups, frozen weights, clipping and accumulation, and the
// schedule as a plain object the runtime's schedules (runtime/optim/schedules.ts) are built from.
import { callOptions } from './check.ts';
import { findEntry } from './table.ts';
import type { ConfigCall, Setting } from './types.ts';
import { metricDirection } from './training.ts';

/** A setting written as a name (`constant`) or a call (`cosine(min = 0)`), as a call. */
function asCall(setting: Setting | undefined): ConfigCall {
  if (typeof setting === 'string') return { name: setting, args: [], options: {} };
  return setting as ConfigCall;
}

/** A parameter group as the optimizer's block writes it: `group(prefix = "enc.", lr = 1e-4)`. */
export interface GroupSpec {
  /** Weights whose name starts with it ("" for every weight). */
  prefix: string;
  /** Every matching weight, or only those with one axis (biases, a norm's scale and shift). */
  of: 'all' | 'biases_and_norms';
  lr?: number;
  weightDecay?: number;
}

export interface OptimizerConfig {
  name: string;
  lr: number;
  weightDecay: number;
  /**
   * What the update kernels compile in: the catalogue entry's options but lr and weight_decay (beta1, beta2,
   * eps of Adam and AdamW; momentum, dampening, nesterov of SGD).
   */
  settings: Record<string, number | boolean>;
  groups: GroupSpec[];
  /** Name prefixes of frozen weights. */
  freeze: string[];
  /** The global gradient norm is clipped to it. */
  clip?: number;
  /** Batches per optimizer step. */
  accumulate: number;
}

/** A schedule's options (defaults filled in), `then` of a warmup being a schedule itself. */
export interface ScheduleSpec {
  name: string;
  [option: string]: unknown;
}

/** What the readers look at: the optimizer call, its option block, the schedule and the train section. */
export interface OptimizerSettings {
  optimizer: ConfigCall;
  blocks?: Record<string, Record<string, Setting>>;
  schedule?: ConfigCall;
  train: Record<string, Setting>;
}

/** Options every optimizer has, set per parameter group as uniforms; its other options are compiled in. */
const GROUP_OPTIONS = ['lr', 'weight_decay'];

export function readOptimizer(s: OptimizerSettings): OptimizerConfig {
  const entry = findEntry('optimizer', s.optimizer.name)!;
  const options = callOptions(entry, s.optimizer);
  const block = withBlockDefaults(entry.block ?? [], s.blocks?.optimizer ?? {});
  const groups = (block.groups as Setting[]).map((g) => {
    const o = callOptions(findEntry('group', 'group')!, asCall(g));
    return {
      prefix: o.prefix as string,
      of: o.of as GroupSpec['of'],
      ...(o.lr === undefined ? {} : { lr: o.lr as number }),
      ...(o.weight_decay === undefined ? {} : { weightDecay: o.weight_decay as number }),
    };
  });
  const settings = Object.fromEntries(
    entry.params
      .filter((p) => !GROUP_OPTIONS.includes(p.name))
      .map((p) => [p.name, options[p.name] as number | boolean]),
  );
  return {
    name: entry.name,
    lr: options.lr as number,
    weightDecay: options.weight_decay as number,
    settings,
    groups,
    freeze: block.freeze as string[],
    ...(s.train.clip_norm === undefined ? {} : { clip: s.train.clip_norm as number }),
    accumulate: (s.train.accumulate as number | undefined) ?? 1,
  };
}

function withBlockDefaults(params: { name: string; default?: Setting }[], given: Record<string, Setting>) {
  return Object.fromEntries(params.map((p) => [p.name, given[p.name] ?? p.default]));
}

/**
 * The schedule (constant when none is written). A plateau's `auto` mode is min for val.loss and
 * lower-is-better metrics, max otherwise.
 */
export function readSchedule(s: Pick<OptimizerSettings, 'schedule'>): ScheduleSpec {
  return scheduleOf(s.schedule ?? { name: 'constant', args: [], options: {} });
}

function scheduleOf(call: ConfigCall): ScheduleSpec {
  const entry = findEntry('schedule', call.name)!;
  const options = callOptions(entry, call);
  const spec: ScheduleSpec = { name: entry.name, ...options };
  if (entry.name === 'warmup') spec.then = scheduleOf(asCall(options.then));
  if (entry.name === 'plateau' && options.mode === 'auto') {
    spec.mode = metricDirection(String(options.monitor)) === 'lower' ? 'min' : 'max';
  }
  return spec;
}
