// WGSL kernels of an augmentation pipeline: each stage reads a u8 batch (images [B,C,H,W] planar, labels
// [B,H,W]) and writes the next one, one thread per 32-bit word (four bytes) of the output. Per-sample
// parameters (an apply flag, an inverse affine map or colour factors) come from a small f32 buffer,
// PARAMS_PER_SAMPLE floats per sample and stage, drawn on the CPU.
export const PARAMS_PER_SAMPLE = 16;

/**
 * How a warp samples its source. 'warp-linear' / 'warp-nearest' follow cv2.warpAffine (coordinates in 1/32
 * and 1/1024 fixed point, bilinear or rounded); 'resize-linear' / 'resize-nearest' follow cv2.resize
 * (half-pixel centres, edge clamped; nearest as floor(x * in / out)).
 */
export type Sampling = 'warp-linear' | 'warp-nearest' | 'resize-linear' | 'resize-nearest' | 'resize-cubic';
export type Border = 'reflect101' | 'constant';

export type AugmentStage =
  | {
      kind: 'warp';
      /** The transform it comes from, for labels of kernels and messages. */
      name: string;
      input: [number, number];
      output: [number, number];
      image: Sampling;
      labels: Sampling;
      border: Border;
      /** Constant border values (image, labels). */
      fill: [number, number];
      /**
       * The source coordinates: the sample's affine map (the default), or 'optical' (albumentations'
       * OpticalDistortion: cv2.initUndistortRectifyMap with k1 = k2 = param 1, centre shift params 2-3, then
       * cv2.remap, coordinates in 1/32 for images and rounded for labels).
       */
      map?: 'affine' | 'optical' | 'grid' | 'field';
      /** Grid distortion: cells per side (its params: 1 + steps x factors, then 1 + steps y factors). */
      steps?: number;
      /**
       * A resize to a per-sample size then a crop (random_scale, one_or_other): params 1 and 5 the scales
       * (input / rescaled), 3 and 6 the crop's offsets, 7 and 8 the rescaled width and height.
       */
      scaled?: boolean;
    }
  | {
      /** elastic's displacement field (smoothed on the device) and the remap by it (elastic.ts). */
      kind: 'elastic';
      name: string;
      input: [number, number];
      output: [number, number];
      sigma: number;
      alpha: number;
    }
  | {
      kind: 'colour';
      name: string;
      input: [number, number];
      output: [number, number];
      mode: 'linear' | 'gamma' | 'hsv';
    };

export interface AugmentKernel {
  name: string;
  wgsl: string;
  /** Workgroups in x and y (64 threads each). */
  dispatch: [number, number, number];
  /**
   * The bindings it declares (default 0-4: source image and labels, destination image and labels, params;
   * 5 and 6: the two f32 displacement-field buffers of elastic).
   */
  bindings?: number[];
}

const WORKGROUP = 64;
/** elastic's smoothed displacement field, read by its remap (elastic.ts). */
const FIELD_BINDING = '@group(0) @binding(6) var<storage, read> fieldB: array<f32>;';
const f = (v: number) => (Number.isInteger(v) ? `${v}.0` : `${v}`);

/**
 * The kernel of stage `index` of a pipeline for batches of `batch` samples of `channels` channels and
 * `labelPlanes` label planes (K multilabel masks, each moved as the one plane of class indices is).
 */
export function augmentKernel(
  stage: AugmentStage,
  index: number,
  batch: number,
  channels: number,
  labelPlanes = 1,
): AugmentKernel {
  const [ih, iw] = stage.input;
  const [oh, ow] = stage.output;
  const imageBytes = batch * channels * oh * ow;
  const labelBytes = batch * labelPlanes * oh * ow;
  const words = Math.ceil(Math.max(imageBytes, labelBytes) / 4);
  const groups = Math.ceil(words / WORKGROUP);
  const gx = Math.min(groups, 65535);
  const gy = Math.ceil(groups / gx);
  const header = `
@group(0) @binding(0) var<storage, read> srcImage: array<u32>;
@group(0) @binding(1) var<storage, read> srcLabels: array<u32>;
@group(0) @binding(2) var<storage, read_write> dstImage: array<u32>;
@group(0) @binding(3) var<storage, read_write> dstLabels: array<u32>;
@group(0) @binding(4) var<storage, read> params: array<f32>;
const C = ${channels}u;
const LK = ${labelPlanes}u;
const IH = ${ih};
const IW = ${iw};
const OH = ${oh}u;
const OW = ${ow}u;
const IMAGE_BYTES = ${imageBytes}u;
const LABEL_BYTES = ${labelBytes}u;
const BASE = ${index * batch * PARAMS_PER_SAMPLE}u;
fn imageAt(i: u32) -> u32 { return (srcImage[i >> 2u] >> ((i & 3u) * 8u)) & 255u; }
fn labelAt(i: u32) -> u32 { return (srcLabels[i >> 2u] >> ((i & 3u) * 8u)) & 255u; }
fn param(b: u32, k: u32) -> f32 { return params[BASE + b * ${PARAMS_PER_SAMPLE}u + k]; }
${stage.kind === 'warp' && stage.map === 'field' ? FIELD_BINDING : ''}
`;
  if (stage.kind === 'elastic') throw new Error('elastic stages have kernels of their own (elastic.ts)');
  const body = stage.kind === 'warp' ? warpBody(stage) : colourBody(stage);
  const main = `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * ${gx * WORKGROUP}u;
  if (t * 4u < IMAGE_BYTES) {
    var word = 0u;
    for (var k = 0u; k < 4u; k++) {
      let i = t * 4u + k;
      if (i < IMAGE_BYTES) { word = word | (imagePixel(i) << (k * 8u)); }
    }
    dstImage[t] = word;
  }
  if (t * 4u < LABEL_BYTES) {
    var word = 0u;
    for (var k = 0u; k < 4u; k++) {
      let i = t * 4u + k;
      if (i < LABEL_BYTES) { word = word | (labelPixel(i) << (k * 8u)); }
    }
    dstLabels[t] = word;
  }
}
`;
  return {
    name: `augment_${index}_${stage.name}`,
    wgsl: header + body + main,
    dispatch: [gx, gy, 1],
  };
}

/** Sampling under the sample's inverse map: x' = m0 x + m1 y + m2, y' = m3 x + m4 y + m5. */
function warpBody(stage: Extract<AugmentStage, { kind: 'warp' }>): string {
  const [fillImage, fillLabel] = stage.fill;
  const inside =
    stage.border === 'reflect101'
      ? `fn reflect(v: i32, n: i32) -> i32 {
  if (n == 1) { return 0; }
  var p = v;
  loop {
    if (p < 0) { p = -p; } else if (p >= n) { p = 2 * n - 2 - p; } else { break; }
  }
  return p;
}
fn place(x: i32, y: i32) -> vec3<i32> { return vec3<i32>(reflect(x, IW), reflect(y, IH), 1); }`
      : `fn place(x: i32, y: i32) -> vec3<i32> {
  return vec3<i32>(x, y, select(0, 1, x >= 0 && x < IW && y >= 0 && y < IH));
}`;
  const clampPlace = `fn clamped(x: i32, y: i32) -> vec3<i32> {
  return vec3<i32>(clamp(x, 0, IW - 1), clamp(y, 0, IH - 1), 1);
}`;
  const sampler = (what: 'image' | 'label', sampling: Sampling, fill: number) => {
    const at = what === 'image' ? 'imageAt' : 'labelAt';
    const fetch = `fn ${what}Fetch(plane: u32, p: vec3<i32>) -> f32 {
  if (p.z == 0) { return ${f(fill)}; }
  return f32(${at}(plane + u32(p.y) * u32(IW) + u32(p.x)));
}`;
    let sample: string;
    if ((sampling === 'warp-linear' || sampling === 'warp-nearest') && stage.map === 'grid') {
      const linear = sampling === 'warp-linear';
      const steps = stage.steps!;
      sample = `fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  let X = i32(round(gridAxis(b, x, IW, 1u) * ${f(linear ? 32 : 1)}));
  let Y = i32(round(gridAxis(b, y, IH, ${steps + 2}u) * ${f(linear ? 32 : 1)}));
  ${linear ? bilinear(what) : `return u32(${what}Fetch(plane, place(X, Y)));`}
}`;
      if (what === 'image') {
        // albumentations' grid_distortion: per axis, cells of size // steps, each a linspace from the
        // running sum of cell × factor; the last (partial) cell ends at the size.
        sample =
          `fn gridAxis(b: u32, v: u32, n: i32, base: u32) -> f32 {
  let step = n / ${steps};
  // Past the last cell (size > (steps + 1) × cell) albumentations leaves the map at 0.
  if (i32(v) / step > ${steps}) { return 0.0; }
  let idx = i32(v) / step;
  let start = idx * step;
  var end = start + step;
  var prev = 0.0;
  for (var i = 0; i < idx; i++) { prev += f32(step) * param(b, base + u32(i)); }
  var cur = prev + f32(step) * param(b, base + u32(idx));
  if (end > n) { end = n; cur = f32(n); }
  let count = end - start;
  let j = i32(v) - start;
  if (count <= 1) { return prev; }
  if (j == count - 1) { return cur; }
  return prev + (cur - prev) / f32(count - 1) * f32(j);
}
` + sample;
      }
    } else if ((sampling === 'warp-linear' || sampling === 'warp-nearest') && stage.map === 'field') {
      // cv2.remap with float maps x + dx, y + dy (elastic): 1/32 pixel for images, rounded for labels.
      const scale = sampling === 'warp-linear' ? 32 : 1;
      sample = `fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  let at = b * 2u * u32(IH * IW) + y * u32(IW) + x;
  let X = i32(round((f32(x) + fieldB[at]) * ${f(scale)}));
  let Y = i32(round((f32(y) + fieldB[at + u32(IH * IW)]) * ${f(scale)}));
  ${sampling === 'warp-linear' ? bilinear(what) : `return u32(${what}Fetch(plane, place(X, Y)));`}
}`;
    } else if ((sampling === 'warp-linear' || sampling === 'warp-nearest') && stage.map === 'optical') {
      const linear = sampling === 'warp-linear';
      const scale = linear ? 32 : 1;
      sample = `fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  let w = f32(IW);
  let h = f32(IH);
  let k = param(b, 1u);
  // The undistorted camera: principal point at the centre ((size - 1) / 2, cv2's default new camera matrix).
  let xx = (f32(x) - (w - 1.0) * 0.5) / w;
  let yy = (f32(y) - (h - 1.0) * 0.5) / h;
  let r2 = xx * xx + yy * yy;
  let kr = 1.0 + k * r2 + k * r2 * r2;
  let X = i32(round((w * xx * kr + w * 0.5 + param(b, 2u)) * ${f(scale)}));
  let Y = i32(round((h * yy * kr + h * 0.5 + param(b, 3u)) * ${f(scale)}));
  ${linear ? bilinear(what) : `return u32(${what}Fetch(plane, place(X, Y)));`}
}`;
    } else if (sampling === 'warp-linear' || sampling === 'warp-nearest') {
      const linear = sampling === 'warp-linear';
      // cv2.warpAffine: X0 = round((m1 y + m2) 1024) + delta, X = (X0 + round(m0 x 1024)) >> shift.
      const delta = linear ? 16 : 512;
      const shift = linear ? 5 : 10;
      sample = `fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  let fx = f32(x);
  let fy = f32(y);
  let X0 = i32(round((param(b, 2u) * fy + param(b, 3u)) * 1024.0)) + ${delta};
  let Y0 = i32(round((param(b, 5u) * fy + param(b, 6u)) * 1024.0)) + ${delta};
  let X = (X0 + i32(round(param(b, 1u) * fx * 1024.0))) >> ${shift}u;
  let Y = (Y0 + i32(round(param(b, 4u) * fx * 1024.0))) >> ${shift}u;
  ${linear ? bilinear(what) : `return u32(${what}Fetch(plane, place(X, Y)));`}
}`;
    } else if (sampling === 'resize-cubic') {
      // cv2.resize INTER_CUBIC: half-pixel centres, Keys' kernel with A = -0.75, edge taps clamped.
      sample = `fn cubic(t: f32) -> vec4<f32> {
  let A = -0.75;
  let w0 = ((A * (t + 1.0) - 5.0 * A) * (t + 1.0) + 8.0 * A) * (t + 1.0) - 4.0 * A;
  let w1 = ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0;
  let w2 = ((A + 2.0) * (1.0 - t) - (A + 3.0)) * (1.0 - t) * (1.0 - t) + 1.0;
  return vec4<f32>(w0, w1, w2, 1.0 - w0 - w1 - w2);
}
fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  let sx = (f32(x) + param(b, 3u) + 0.5) * param(b, 1u) - 0.5;
  let sy = (f32(y) + param(b, 6u) + 0.5) * param(b, 5u) - 0.5;
  let x0 = i32(floor(sx));
  let y0 = i32(floor(sy));
  let wx = cubic(sx - f32(x0));
  let wy = cubic(sy - f32(y0));
  var v = 0.0;
  for (var j = 0; j < 4; j++) {
    var row = 0.0;
    for (var i = 0; i < 4; i++) { row += wx[i] * ${what}Fetch(plane, clamped(x0 - 1 + i, y0 - 1 + j)); }
    v += wy[j] * row;
  }
  return u32(clamp(floor(v + 0.5), 0.0, 255.0));
}`;
    } else if (sampling === 'resize-linear') {
      sample = `fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  var sx = (f32(x) + param(b, 3u) + 0.5) * param(b, 1u) - 0.5;
  var sy = (f32(y) + param(b, 6u) + 0.5) * param(b, 5u) - 0.5;
  var x0 = i32(floor(sx));
  var y0 = i32(floor(sy));
  var ax = sx - f32(x0);
  var ay = sy - f32(y0);
  if (x0 < 0) { x0 = 0; ax = 0.0; }
  if (y0 < 0) { y0 = 0; ay = 0.0; }
  if (x0 >= IW - 1) { x0 = IW - 1; ax = 0.0; }
  if (y0 >= IH - 1) { y0 = IH - 1; ay = 0.0; }
  let top = (1.0 - ax) * ${what}Fetch(plane, clamped(x0, y0)) + ax * ${what}Fetch(plane, clamped(x0 + 1, y0));
  let bottom =
    (1.0 - ax) * ${what}Fetch(plane, clamped(x0, y0 + 1)) + ax * ${what}Fetch(plane, clamped(x0 + 1, y0 + 1));
  let v = (1.0 - ay) * top + ay * bottom;
  return u32(clamp(floor(v + 0.5), 0.0, 255.0));
}`;
    } else {
      // cv2 INTER_NEAREST: floor(x × in / out); rescaled (random_scale): out per sample, then cropped.
      const [ox, oy, nw, nh] = stage.scaled
        ? ['u32(param(b, 3u))', 'u32(param(b, 6u))', 'u32(param(b, 7u))', 'u32(param(b, 8u))']
        : ['0u', '0u', 'OW', 'OH'];
      sample = `fn ${what}Sample(b: u32, plane: u32, x: u32, y: u32) -> u32 {
  let sx = min(i32(((x + ${ox}) * u32(IW)) / ${nw}), IW - 1);
  let sy = min(i32(((y + ${oy}) * u32(IH)) / ${nh}), IH - 1);
  return u32(${what}Fetch(plane, vec3<i32>(sx, sy, 1)));
}`;
    }
    return `${fetch}\n${sample}`;
  };
  return `${inside}
${clampPlace}
${sampler('image', stage.image, fillImage)}
${sampler('label', stage.labels, fillLabel)}
fn imagePixel(i: u32) -> u32 {
  let x = i % OW;
  let y = (i / OW) % OH;
  let bc = i / (OW * OH);
  let b = bc / C;
  if (param(b, 0u) < 0.5) { return imageAt(i); }
  return imageSample(b, bc * u32(IH) * u32(IW), x, y);
}
fn labelPixel(i: u32) -> u32 {
  let x = i % OW;
  let y = (i / OW) % OH;
  let bk = i / (OW * OH);
  let b = bk / LK;
  if (param(b, 0u) < 0.5) { return labelAt(i); }
  return labelSample(b, bk * u32(IH) * u32(IW), x, y);
}
`;
}

/** Bilinear sampling at X, Y in 1/32 of a pixel (cv2's INTER_BITS), with the stage's border. */
const bilinear = (what: string) => `let x0 = X >> 5u;
  let y0 = Y >> 5u;
  let ax = f32(X & 31) / 32.0;
  let ay = f32(Y & 31) / 32.0;
  let top = (1.0 - ax) * ${what}Fetch(plane, place(x0, y0)) + ax * ${what}Fetch(plane, place(x0 + 1, y0));
  let bottom =
    (1.0 - ax) * ${what}Fetch(plane, place(x0, y0 + 1)) + ax * ${what}Fetch(plane, place(x0 + 1, y0 + 1));
  let v = (1.0 - ay) * top + ay * bottom;
  return u32(clamp(floor(v + 0.5), 0.0, 255.0));`;

/** Colour changes of images (labels pass through): as albumentations' uint8 lookup tables, truncated. */
function colourBody(stage: Extract<AugmentStage, { kind: 'colour' }>): string {
  if (stage.mode === 'hsv') return hsvBody();
  const change =
    stage.mode === 'linear'
      ? // brightness_contrast: v alpha + beta 255 in f32, clipped, truncated.
        'clamp(v * param(b, 1u) + param(b, 2u), 0.0, 255.0)'
      : // gamma: (v / 255)^gamma 255, truncated.
        'clamp(pow(v / 255.0, param(b, 3u)) * 255.0, 0.0, 255.0)';
  return `
fn imagePixel(i: u32) -> u32 {
  let b = i / (OW * OH * C);
  let u = imageAt(i);
  if (param(b, 0u) < 0.5) { return u; }
  let v = f32(u);
  return u32(${change});
}
fn labelPixel(i: u32) -> u32 { return labelAt(i); }
`;
}

/**
 * hue_saturation_value on RGB: cv2.cvtColor RGB2HSV (uint8, its 12-bit fixed-point division tables), hue
 * shifted modulo 180 and saturation and value clipped (truncated to uint8, as albumentations' tables), back
 * with HSV2RGB (float sectors, rounded).
 */
function hsvBody(): string {
  return `
fn sdiv(v: i32) -> i32 { if (v == 0) { return 0; } return i32(round(f32(255 << 12u) / f32(v))); }
fn hdiv(d: i32) -> i32 { if (d == 0) { return 0; } return i32(round(f32(180 << 12u) / (6.0 * f32(d)))); }
fn imagePixel(i: u32) -> u32 {
  let plane = OW * OH;
  let b = i / (plane * C);
  let c = (i / plane) % C;
  let u = imageAt(i);
  if (param(b, 0u) < 0.5) { return u; }
  let at = b * plane * C + i % plane;
  let r = i32(imageAt(at));
  let g = i32(imageAt(at + plane));
  let bl = i32(imageAt(at + 2u * plane));
  let v = max(r, max(g, bl));
  let diff = v - min(r, min(g, bl));
  let s = (diff * sdiv(v) + (1 << 11u)) >> 12u;
  var h: i32;
  if (v == r) { h = g - bl; } else if (v == g) { h = bl - r + 2 * diff; } else { h = r - g + 4 * diff; }
  h = (h * hdiv(diff) + (1 << 11u)) >> 12u;
  if (h < 0) { h += 180; }
  let hue = floor(f32(h) + param(b, 1u) - 180.0 * floor((f32(h) + param(b, 1u)) / 180.0));
  let sat = floor(clamp(f32(s) + param(b, 2u), 0.0, 255.0)) / 255.0;
  let val = floor(clamp(f32(v) + param(b, 3u), 0.0, 255.0)) / 255.0;
  var rgb = vec3<f32>(val, val, val);
  if (sat != 0.0) {
    var hh = hue * (6.0 / 180.0);
    if (hh >= 6.0) { hh -= 6.0; }
    var sector = i32(floor(hh));
    hh -= f32(sector);
    if (sector < 0 || sector >= 6) { sector = 0; hh = 0.0; }
    let t = array<f32, 4>(val, val * (1.0 - sat), val * (1.0 - sat * hh), val * (1.0 - sat * (1.0 - hh)));
    // cv2's sector table gives (b, g, r) indices into t.
    let bi = array<i32, 6>(1, 1, 3, 0, 0, 2);
    let gi = array<i32, 6>(3, 0, 0, 2, 1, 1);
    let ri = array<i32, 6>(0, 2, 1, 1, 3, 0);
    rgb = vec3<f32>(t[ri[sector]], t[gi[sector]], t[bi[sector]]);
  }
  return u32(clamp(round(rgb[c] * 255.0), 0.0, 255.0));
}
fn labelPixel(i: u32) -> u32 { return labelAt(i); }
`;
}
