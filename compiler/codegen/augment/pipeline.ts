// An augmentation pipeline (`train augment = [hflip(0.5), ...]`) as GPU stages: each transform of the list
// becomes one kernel (kernels.ts) and one draw, the description of its per-sample parameters that the runtime
// draws from (seed, epoch, sample index). Sizes are static: a pipeline starts at the size batches are
// assembled at and must end at the size the network trains at.
import type { ConfigCall, Setting } from '../../config/index.ts';
import { RUNNABLE_TRANSFORMS, asCall, callOptions, findEntry } from '../../config/index.ts';
import type { AugmentStage } from './kernels.ts';

/** What a stage draws per sample; `group`: the one_of it belongs to (one of its choices is applied). */
export interface StageDraw {
  name: string;
  options: Record<string, Setting>;
  /** Probability of applying it (1 for transforms that always apply). */
  p: number;
  group?: { id: number; p: number; weight: number };
}

export interface AugmentPipeline {
  stages: AugmentStage[];
  draws: StageDraw[];
  input: [number, number];
  output: [number, number];
}

export class AugmentError extends Error {}

const sizeOf = (value: Setting | undefined, fallback: [number, number]): [number, number] =>
  value === undefined
    ? fallback
    : Array.isArray(value)
      ? [Number(value[0]), Number(value[1])]
      : [Number(value), Number(value)];

/** The stages of `transforms` for batches assembled at `input` and trained at `output`. */
export function augmentPipeline(
  transforms: Setting[],
  input: [number, number],
  output: [number, number] = input,
): AugmentPipeline {
  const stages: AugmentStage[] = [];
  const draws: StageDraw[] = [];
  let size = input;
  let groups = 0;
  const add = (call: ConfigCall, group?: StageDraw['group']) => {
    const entry = findEntry('transform', call.name);
    if (call.name === 'normalize') throw new AugmentError("'normalize' must be the last transform");
    if (!entry || !RUNNABLE_TRANSFORMS.includes(call.name) || call.name === 'one_of') {
      throw new AugmentError(`transform '${call.name}' is not available yet`);
    }
    const options = callOptions(entry, call);
    const p = typeof options.p === 'number' ? options.p : 1;
    const stage = stageOf(call.name, options, size, output);
    if (group && (stage.output[0] !== size[0] || stage.output[1] !== size[1])) {
      throw new AugmentError(`'${call.name}' changes the size, which one_of's choices may not`);
    }
    const resized = stage.output[0] !== size[0] || stage.output[1] !== size[1];
    if (resized && p < 1) throw new AugmentError(`'${call.name}' changes the size, so it needs p = 1`);
    stages.push(stage);
    draws.push({ name: call.name, options, p, group });
    size = stage.output;
  };
  // normalize ends the list: the staged graph applies it (RunConfig.data.normalize).
  const last = asCall(transforms[transforms.length - 1]);
  const items = last?.name === 'normalize' ? transforms.slice(0, -1) : transforms;
  for (const setting of items) {
    const call = asCall(setting);
    if (!call) throw new AugmentError('an augmentation item is not a transform');
    if (call.name === 'one_of') {
      const options = callOptions(findEntry('transform', 'one_of')!, call);
      const choices = (options.transforms as Setting[]).map((c) => asCall(c)!);
      const id = groups++;
      const weights = choices.map((c) => {
        const entry = findEntry('transform', c.name);
        const o = entry ? callOptions(entry, c) : {};
        return typeof o.p === 'number' ? o.p : 1;
      });
      const total = weights.reduce((a, b) => a + b, 0) || 1;
      choices.forEach((c, i) => add(c, { id, p: options.p as number, weight: weights[i] / total }));
    } else add(call);
  }
  if (size[0] !== output[0] || size[1] !== output[1]) {
    throw new AugmentError(
      `the transforms end at ${size[0]}×${size[1]}, but the network trains at ${output[0]}×${output[1]}`,
    );
  }
  return { stages, draws, input, output: size };
}

function stageOf(
  name: string,
  options: Record<string, Setting>,
  size: [number, number],
  training: [number, number],
): AugmentStage {
  const same = { input: size, output: size };
  const exact = {
    kind: 'warp' as const,
    name,
    image: 'warp-nearest' as const,
    labels: 'warp-nearest' as const,
    fill: [0, 0] as [number, number],
  };
  // Geometric warps sampled bilinearly (labels nearest) with cv2's BORDER_REFLECT_101 outside the image.
  const reflect = {
    kind: 'warp' as const,
    name,
    ...same,
    image: 'warp-linear' as const,
    labels: 'warp-nearest' as const,
    border: 'reflect101' as const,
    fill: [0, 0] as [number, number],
  };
  switch (name) {
    case 'hflip':
    case 'vflip':
      return { ...exact, ...same, border: 'reflect101' };
    case 'rot90':
      if (size[0] !== size[1]) {
        throw new AugmentError(`rot90 needs square images, not ${size[0]}×${size[1]}`);
      }
      return { ...exact, ...same, border: 'reflect101' };
    case 'random_crop': {
      const crop = sizeOf(options.size, training);
      if (crop[0] > size[0] || crop[1] > size[1]) {
        throw new AugmentError(`random_crop of ${crop[0]}×${crop[1]} from ${size[0]}×${size[1]} images`);
      }
      return { ...exact, input: size, output: crop, border: 'constant' };
    }
    case 'pad_if_needed': {
      const least = sizeOf(options.size, training);
      const out: [number, number] = [Math.max(size[0], least[0]), Math.max(size[1], least[1])];
      return {
        ...exact,
        input: size,
        output: out,
        border: 'constant',
        fill: [Number(options.image), Number(options.mask)],
      };
    }
    case 'resize': {
      const mode = options.mode;
      return {
        kind: 'warp',
        name,
        input: size,
        output: sizeOf(options.size, training),
        image: mode === 'nearest' ? 'resize-nearest' : mode === 'cubic' ? 'resize-cubic' : 'resize-linear',
        labels: 'resize-nearest',
        border: 'constant',
        fill: [0, 0],
      };
    }
    case 'longest_max_size': {
      // albumentations LongestMaxSize: each side × size / the longest, rounded half to even (py3round).
      const scale = Number(options.size) / Math.max(size[0], size[1]);
      const out = size.map((d) => roundHalfEven(d * scale)) as [number, number];
      return { ...stageOf('resize', { ...options, size: out }, size, training), name };
    }
    case 'shift_scale_rotate':
      return reflect;
    case 'grid_distortion': {
      const steps = Number(options.steps);
      if (steps > 6) throw new AugmentError(`grid_distortion takes at most 6 steps, not ${steps}`);
      if (steps > Math.min(size[0], size[1])) {
        throw new AugmentError(`grid_distortion of ${steps} steps needs images of at least ${steps} pixels`);
      }
      return {
        ...reflect,
        map: 'grid',
        steps,
      };
    }
    case 'optical_distortion':
      return {
        ...reflect,
        map: 'optical',
      };
    case 'gamma':
      return { kind: 'colour', name, ...same, mode: 'gamma' };
    case 'hue_saturation_value':
      return { kind: 'colour', name, ...same, mode: 'hsv' };
    default:
      return { kind: 'colour', name, ...same, mode: 'linear' };
  }
}

/** Python 3's round: halves to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(r - v) === 0.5 ? 2 * Math.round(v / 2) : r;
}
