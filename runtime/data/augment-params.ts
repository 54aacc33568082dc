// Per-sample parameters of an augmentation pipeline, drawn on the CPU (a few numbers per sample): every
// draw is a counter-based hash of (seed, epoch, sample index, stage, draw), so two runs with one seed augment
// alike and a resumed run draws what the uninterrupted one drew. Semantics of albumentations 1.1
// (UPSTREAM.md §4).
import type { AugmentPipeline, StageDraw } from '../../compiler/index.ts';
import { PARAMS_PER_SAMPLE } from '../../compiler/index.ts';

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in [0, 1) from the counters. */
export function augmentUniform(
  seed: number,
  epoch: number,
  sample: number,
  stage: number,
  draw: number,
): number {
  return augmentNext(augmentKey(seed, epoch, sample, stage), draw) / 4294967296;
}

/** The hash of (seed, epoch, sample, stage), which each draw (or elastic's field, on the GPU) continues. */
export function augmentKey(seed: number, epoch: number, sample: number, stage: number): number {
  let h = fmix((seed | 0) ^ 0x9e3779b9);
  for (const v of [epoch, sample, stage]) h = augmentNext(h, v);
  return h;
}

const augmentNext = (h: number, v: number) => fmix((h + Math.imul(v | 0, 0x27d4eb2d) + 0x165667b1) | 0);

/** The forward map cv2.getRotationMatrix2D(centre, angle, scale) with a shift, inverted as cv2 does. */
export function shiftScaleRotateInverse(
  angle: number,
  scale: number,
  dx: number,
  dy: number,
  height: number,
  width: number,
): number[] {
  const [cx, cy] = [width / 2, height / 2];
  const a = (angle * Math.PI) / 180;
  const alpha = Math.cos(a) * scale;
  const beta = Math.sin(a) * scale;
  const m = [
    alpha,
    beta,
    (1 - alpha) * cx - beta * cy + dx * width,
    -beta,
    alpha,
    beta * cx + (1 - alpha) * cy + dy * height,
  ];
  return invertAffine(m);
}

/** cv2.invertAffineTransform. */
export function invertAffine(m: number[]): number[] {
  let d = m[0] * m[4] - m[1] * m[3];
  d = d !== 0 ? 1 / d : 0;
  const [a11, a22, a12, a21] = [m[4] * d, m[0] * d, -m[1] * d, -m[3] * d];
  return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]];
}

/** The inverse map of a warp stage (output pixel → source pixel) or the colour factors, given its draws. */
export function stageParams(
  draw: StageDraw,
  input: [number, number],
  output: [number, number],
  u: (k: number) => number,
): number[] {
  const [h, w] = input;
  const o = draw.options as Record<string, number>;
  const between = (low: number, high: number, k: number) => low + (high - low) * u(k);
  switch (draw.name) {
    case 'hflip':
      return [-1, 0, w - 1, 0, 1, 0];
    case 'vflip':
      return [1, 0, 0, 0, -1, h - 1];
    case 'rot90':
      // np.rot90(img, k): counterclockwise.
      return [
        [1, 0, 0, 0, 1, 0],
        [0, -1, w - 1, 1, 0, 0],
        [-1, 0, w - 1, 0, -1, h - 1],
        [0, 1, 0, -1, 0, h - 1],
      ][Math.min(3, Math.floor(u(0) * 4))];
    case 'random_crop': {
      const y = Math.floor((h - output[0]) * u(0));
      const x = Math.floor((w - output[1]) * u(1));
      return [1, 0, x, 0, 1, y];
    }
    case 'pad_if_needed': {
      const top = Math.floor((output[0] - h) / 2);
      const left = Math.floor((output[1] - w) / 2);
      return [1, 0, -left, 0, 1, -top];
    }
    case 'resize':
    case 'longest_max_size':
      return [w / output[1], 0, 0, 0, h / output[0], 0];
    case 'shift_scale_rotate':
      return shiftScaleRotateInverse(
        between(-o.rotate, o.rotate, 0),
        between(1 - o.scale, 1 + o.scale, 1),
        between(-o.shift, o.shift, 2),
        between(-o.shift, o.shift, 3),
        h,
        w,
      );
    case 'brightness_contrast':
    case 'brightness':
    case 'contrast': {
      const b = draw.name === 'contrast' ? 0 : draw.name === 'brightness' ? o.limit : o.brightness;
      const c = draw.name === 'brightness' ? 0 : draw.name === 'contrast' ? o.limit : o.contrast;
      return colour(1 + between(-c, c, 0), between(-b, b, 1), 1);
    }
    case 'grid_distortion': {
      // albumentations 1.1: 1 + uniform(±limit) per grid line, x then y.
      const n = o.steps + 1;
      return Array.from({ length: 2 * n }, (_, k) => 1 + between(-o.limit, o.limit, k));
    }
    case 'optical_distortion':
      // albumentations 1.1: k uniform in ±limit, the centre shifted by whole pixels, rounded half to even.
      return [
        between(-o.limit, o.limit, 0),
        roundHalfEven(between(-o.shift, o.shift, 1)),
        roundHalfEven(between(-o.shift, o.shift, 2)),
        0,
        0,
        0,
      ];
    case 'elastic': {
      // albumentations 1.1: three points about the centre moved by uniform(±alpha_affine) each, the affine
      // map between them (cv2.getAffineTransform), inverted as cv2.warpAffine does.
      const [cy, cx] = [Math.floor(h / 2), Math.floor(w / 2)];
      const d = Math.floor(Math.min(h, w) / 3);
      // (height, width) // 2 taken as (x, y), as albumentations does.
      const from = [
        [cy + d, cx + d],
        [cy + d, cx - d],
        [cy - d, cx - d],
      ];
      const a = o.alpha_affine;
      const to = from.map(([x, y], i) => [
        Math.fround(x + Math.fround(between(-a, a, 2 * i))),
        Math.fround(y + Math.fround(between(-a, a, 2 * i + 1))),
      ]);
      return invertAffine(affineFromPoints(from, to));
    }
    case 'gamma':
      return colour(1, 0, between(o.low, o.high, 0) / 100);
    case 'hue_saturation_value':
      // albumentations 1.1 draws each shift uniformly (floats) in ±limit.
      return [
        between(-o.hue, o.hue, 0),
        between(-o.saturation, o.saturation, 1),
        between(-o.value, o.value, 2),
        0,
        0,
        0,
      ];
    default:
      throw new Error(`no parameters for transform '${draw.name}'`);
  }
}

/** cv2.getAffineTransform: the map taking the three points `from` to `to`, [a b c; d e f]. */
export function affineFromPoints(from: number[][], to: number[][]): number[] {
  const [[x0, y0], [x1, y1], [x2, y2]] = from;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  const solve = (v: number[]) => [
    (v[0] * (y1 - y2) - y0 * (v[1] - v[2]) + (v[1] * y2 - v[2] * y1)) / det,
    (x0 * (v[1] - v[2]) - v[0] * (x1 - x2) + (x1 * v[2] - x2 * v[1])) / det,
    (x0 * (y1 * v[2] - y2 * v[1]) - y0 * (x1 * v[2] - x2 * v[1]) + v[0] * (x1 * y2 - x2 * y1)) / det,
  ];
  return [...solve(to.map((p) => p[0])), ...solve(to.map((p) => p[1]))];
}

/**
 * A resampling stage's parameters (kernels.ts, `scaled`): [in / rescaled x, 0, crop x, 0, in / rescaled y,
 * crop y, rescaled width, rescaled height]. albumentations: RandomScale rescales to int(side × factor),
 * RandomCrop starts at int((side - crop) × uniform).
 */
export function resampleParams(
  draw: StageDraw,
  input: [number, number],
  output: [number, number],
  u: (k: number) => number,
): number[] {
  const { p, first, second } = draw.resample!;
  const side = second && u(0) >= p ? second : first;
  const [h, w] = input;
  let [nh, nw] = side.kind === 'resize' ? output : input;
  if (side.kind === 'scale_crop' && (side.p >= 1 || u(1) < side.p)) {
    const factor = side.low + (side.high - side.low) * u(2);
    [nh, nw] = [Math.trunc(h * factor), Math.trunc(w * factor)];
  }
  const y = side.kind === 'resize' ? 0 : Math.floor((nh - output[0]) * u(3));
  const x = side.kind === 'resize' ? 0 : Math.floor((nw - output[1]) * u(4));
  return [w / nw, 0, x, 0, h / nh, y, nw, nh];
}

/** Colour parameters as the kernel reads them: alpha, beta scaled to 255, gamma. */
export const colour = (alpha: number, beta: number, gamma: number) => [alpha, beta * 255, gamma, 0, 0, 0];

/** The parameter buffer of one batch: for each stage and sample, [apply, six parameters, 0]. */
export function batchParams(
  pipeline: AugmentPipeline,
  seed: number,
  epoch: number,
  samples: number[],
  batch: number,
): Float32Array {
  const out = new Float32Array(Math.max(1, pipeline.stages.length * batch * PARAMS_PER_SAMPLE));
  pipeline.stages.forEach((stage, s) => {
    const draw = pipeline.draws[s];
    for (let b = 0; b < batch; b++) {
      const sample = samples[b] ?? -1 - b;
      const u = (k: number) => augmentUniform(seed, epoch, sample, s, k);
      let apply: boolean;
      const at = (s * batch + b) * PARAMS_PER_SAMPLE;
      if (draw.linked) {
        // The later stage of one transform: applied with the stage before it; elastic's field key.
        out[at] = out[at - batch * PARAMS_PER_SAMPLE];
        const key = augmentKey(seed, epoch, sample, s);
        out.set([key & 0xffff, key >>> 16], at + 1);
        continue;
      }
      if (draw.resample) {
        out[at] = 1;
        out.set(resampleParams(draw, stage.input, stage.output, u), at + 1);
        continue;
      }
      if (draw.branch) {
        // one_or_other: its side, then the transform's own probability.
        const side = augmentUniform(seed, epoch, sample, 1000 + draw.branch.id, 0) < draw.branch.p ? 0 : 1;
        apply = side === draw.branch.side && (draw.p >= 1 || u(7) < draw.p);
      } else if (draw.group) {
        const g = (k: number) => augmentUniform(seed, epoch, sample, 1000 + draw.group!.id, k);
        const first = pipeline.draws.findIndex((d) => d.group?.id === draw.group!.id);
        let pick = g(1);
        let chosen = first;
        for (let i = first; pipeline.draws[i]?.group?.id === draw.group.id; i++) {
          if (pipeline.draws[i].linked) continue;
          chosen = i;
          pick -= pipeline.draws[i].group!.weight;
          if (pick < 0) break;
        }
        apply = g(0) < draw.group.p && chosen === s;
      } else apply = draw.p >= 1 || u(7) < draw.p;
      out[at] = apply ? 1 : 0;
      out.set(stageParams(draw, stage.input, stage.output, u), at + 1);
    }
  });
  return out;
}

/** Python 3's round: halves to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(r - v) === 0.5 ? 2 * Math.round(v / 2) : r;
}
