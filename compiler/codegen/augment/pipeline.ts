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
  /** one_or_other: the branch it belongs to (0: taken with probability p, 1: otherwise). */
  branch?: { id: number; p: number; side: 0 | 1 };
  /** Applied exactly when the stage before it is (the later stages of one transform, as elastic's). */
  linked?: boolean;
  /**
   * A resampling stage (resize, random_scale with random_crop, or one_or_other of such): what it does per
   * sample. `first` alone, or `first` with probability p and `second` otherwise.
   */
  resample?: { p: number; first: Resample; second?: Resample };
}

/** One resampling: to a fixed size (resize), or rescaled by a random factor then cropped at random. */
export type Resample =
  { kind: 'resize' } | { kind: 'scale_crop'; low: number; high: number; p: number } | { kind: 'crop' };

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
  /** `fit`: a list ending at another size is resized to `output`, as upstream's Resize. */
  options: { fit?: boolean } = {},
): AugmentPipeline {
  const stages: AugmentStage[] = [];
  const draws: StageDraw[] = [];
  let size = input;
  let groups = 0;
  const add = (call: ConfigCall, group?: StageDraw['group'], branch?: StageDraw['branch']) => {
    const entry = findEntry('transform', call.name);
    if (call.name === 'normalize') throw new AugmentError("'normalize' must be the last transform");
    if (!entry || !RUNNABLE_TRANSFORMS.includes(call.name) || NESTED.includes(call.name)) {
      throw new AugmentError(`transform '${call.name}' is not available ${entry ? 'there' : 'yet'}`);
    }
    const options = callOptions(entry, call);
    const p = typeof options.p === 'number' ? options.p : 1;
    const stage = stageOf(call.name, options, size, output);
    if (group && (stage.output[0] !== size[0] || stage.output[1] !== size[1])) {
      throw new AugmentError(`'${call.name}' changes the size, which one_of's choices may not`);
    }
    const resized = stage.output[0] !== size[0] || stage.output[1] !== size[1];
    if (resized && p < 1) throw new AugmentError(`'${call.name}' changes the size, so it needs p = 1`);
    if (branch && resized) throw new AugmentError(`'${call.name}' changes the size inside one_or_other`);
    if (call.name === 'elastic') {
      // Two stages: the random affine warp, then the smoothed random displacement field (elastic.ts).
      stages.push({ ...stage, name: 'elastic' }, elasticStage(options, size));
      draws.push({ name: 'elastic', options, p, group, branch });
      draws.push({
        name: 'elastic_field',
        options,
        p,
        group: group && { ...group, weight: 0 },
        linked: true,
      });
      return;
    }
    stages.push(stage);
    draws.push({ name: call.name, options, p, group, branch });
    size = stage.output;
  };
  // normalize ends the list: the staged graph applies it (RunConfig.data.normalize).
  const last = asCall(transforms[transforms.length - 1]);
  const items = last?.name === 'normalize' ? transforms.slice(0, -1) : transforms;
  for (let k = 0; k < items.length; k++) {
    const call = asCall(items[k]);
    if (!call) throw new AugmentError('an augmentation item is not a transform');
    if (call.name === 'random_scale') {
      // Its output size varies per sample: it runs with the random_crop after it, as one stage.
      const crop = asCall(items[k + 1]);
      if (crop?.name !== 'random_crop')
        throw new AugmentError("'random_scale' must be followed by random_crop");
      const { stage, draw } = resampleOf([call, crop], undefined, size, output);
      stages.push(stage);
      draws.push(draw);
      size = stage.output;
      k++;
    } else if (call.name === 'one_or_other') {
      const options = callOptions(findEntry('transform', 'one_or_other')!, call);
      const sides = [options.first, options.second].map((side) =>
        (Array.isArray(side) ? side : [side]).map((c) => {
          const inner = asCall(c);
          if (!inner) throw new AugmentError('an augmentation item is not a transform');
          return inner;
        }),
      );
      const id = groups++;
      const p = options.p as number;
      const keeps = sides.every((side) =>
        side.every((c) => {
          const o = callOptions(findEntry('transform', c.name)!, c);
          const s = SIZED.includes(c.name) ? stageOf(c.name, o, size, output).output : size;
          return s[0] === size[0] && s[1] === size[1] && c.name !== 'random_scale';
        }),
      );
      if (keeps) {
        sides.forEach((side, s) => {
          for (const c of side) add(c, undefined, { id, p, side: s as 0 | 1 });
        });
      } else {
        const { stage, draw } = resampleOf(sides[0], { p, second: sides[1] }, size, output);
        stages.push(stage);
        draws.push(draw);
        size = stage.output;
      }
    } else if (call.name === 'one_of') {
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
  if ((size[0] !== output[0] || size[1] !== output[1]) && options.fit) {
    const fit = { size: output as Setting, mode: 'linear' as Setting };
    stages.push(stageOf('resize', fit, size, output));
    draws.push({ name: 'resize', options: fit, p: 1 });
    size = output;
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
      if (Array.isArray(options.axes) && options.axes.join() !== 'H,W') {
        throw new AugmentError(`rot90 of images turns in [H, W], not [${options.axes.join(', ')}]`);
      }
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
    case 'elastic':
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

/** Transforms that only nest others, or run only merged with their neighbours. */
const NESTED = ['one_of', 'one_or_other', 'random_scale'];

/** Transforms whose output size is their own (the others keep the size). */
const SIZED = ['random_crop', 'resize', 'longest_max_size', 'pad_if_needed'];

/** elastic's second stage: its Gaussian-smoothed displacement field and the remap (compiler's elastic.ts). */
function elasticStage(options: Record<string, Setting>, size: [number, number]): AugmentStage {
  return {
    kind: 'elastic',
    name: 'elastic_field',
    input: size,
    output: size,
    sigma: Number(options.sigma),
    alpha: Number(options.alpha),
  };
}

/**
 * One resampling stage from `side` (resize, random_crop, or random_scale then random_crop), or, given
 * `other`, one_or_other of two such sides: images interpolated (one mode for both sides), labels nearest.
 */
function resampleOf(
  side: ConfigCall[],
  other: { p: number; second: ConfigCall[] } | undefined,
  size: [number, number],
  training: [number, number],
): { stage: AugmentStage; draw: StageDraw } {
  const describe = (calls: ConfigCall[]): { resample: Resample; out: [number, number]; mode: string } => {
    const names = calls.map((c) => c.name).join(',');
    const opts = calls.map((c) => callOptions(findEntry('transform', c.name)!, c));
    if (names === 'resize') {
      return {
        resample: { kind: 'resize' },
        out: sizeOf(opts[0].size, training),
        mode: String(opts[0].mode),
      };
    }
    if (names === 'random_crop') {
      return { resample: { kind: 'crop' }, out: sizeOf(opts[0].size, training), mode: '' };
    }
    if (names === 'random_scale,random_crop') {
      const [scale, crop] = opts;
      const out = sizeOf(crop.size, training);
      const low = Number(scale.low);
      const high = Number(scale.high);
      if (low > high) throw new AugmentError(`random_scale's low (${low}) is above its high (${high})`);
      // albumentations: int(side × scale); the crop must fit the smallest rescaled image.
      const least = size.map((d) => Math.floor(d * Math.min(low, 1)));
      if (least[0] < out[0] || least[1] < out[1]) {
        throw new AugmentError(
          `random_scale(${low}, ${high}) makes ${size[0]}×${size[1]} images as small as ` +
            `${least[0]}×${least[1]}, smaller than the random_crop of ${out[0]}×${out[1]}`,
        );
      }
      const p = typeof scale.p === 'number' ? scale.p : 1;
      return { resample: { kind: 'scale_crop', low, high, p }, out, mode: String(scale.mode) };
    }
    throw new AugmentError(
      `one_or_other's sides must each keep the size, or be one resize, random_crop or random_scale with ` +
        `random_crop (not ${names})`,
    );
  };
  const first = describe(side);
  const second = other ? describe(other.second) : undefined;
  if (first.resample.kind === 'crop' && (first.out[0] > size[0] || first.out[1] > size[1])) {
    throw new AugmentError(
      `random_crop of ${first.out[0]}×${first.out[1]} from ${size[0]}×${size[1]} images`,
    );
  }
  if (second && (second.out[0] !== first.out[0] || second.out[1] !== first.out[1])) {
    throw new AugmentError(
      `one_or_other's sides end at ${first.out.join('×')} and ${second.out.join('×')}; they must agree`,
    );
  }
  const modes = [first.mode, second?.mode].filter((m): m is string => !!m);
  if (new Set(modes).size > 1)
    throw new AugmentError(`one_or_other's sides interpolate differently (${modes})`);
  const mode = modes[0] ?? 'nearest';
  const stage: AugmentStage = {
    kind: 'warp',
    name: other ? 'one_or_other' : 'random_scale',
    input: size,
    output: first.out,
    image: mode === 'nearest' ? 'resize-nearest' : mode === 'cubic' ? 'resize-cubic' : 'resize-linear',
    labels: 'resize-nearest',
    border: 'constant',
    fill: [0, 0],
    scaled: true,
  };
  const resample = { p: other?.p ?? 1, first: first.resample, second: second?.resample };
  return { stage, draw: { name: 'resample', options: {}, p: 1, resample } };
}

/**
 * The [H, W] batches are assembled at before `train augment` without the images' own size (no scan):
 * Cityscapes' `eval_size`, its native 1024×2048, from which training crops; else the training size.
 */
export function declaredSource(data: {
  name: string;
  size: [number, number];
  options: Record<string, Setting>;
}) {
  const native = data.name === 'cityscapes' ? data.options.eval_size : undefined;
  return Array.isArray(native) ? ([Number(native[0]), Number(native[1])] as [number, number]) : data.size;
}

/** The [H, W] evaluation runs at: the dataset's `eval_size` (Cityscapes, VOC) or its training size. */
export function evalSizeOf(data: { size: [number, number]; options: Record<string, Setting> }) {
  const size = data.options.eval_size;
  return Array.isArray(size) ? ([Number(size[0]), Number(size[1])] as [number, number]) : data.size;
}
