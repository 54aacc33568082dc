// The kernels of elastic's second stage (albumentations 1.1 ElasticTransform, approximate = False): a random
// field in [-1, 1] per pixel and axis, smoothed by scipy.ndimage.gaussian_filter(sigma) (truncate 4,
// 'reflect' border) and scaled by alpha, then cv2.remap by (x + dx, y + dy) with BORDER_REFLECT_101 (images
// bilinear in 1/32 pixel, labels nearest). All three run on the device: the field is drawn by a counter hash
// of the sample's key (params 1 and 2, its two 16-bit halves, from (seed, epoch, sample, stage)) and the
// element's index, the same hash as the CPU's draws (runtime/data/augment-params.ts).
import type { AugmentKernel, AugmentStage } from './kernels.ts';
import { PARAMS_PER_SAMPLE, augmentKernel } from './kernels.ts';

const WORKGROUP = 64;

/** scipy's _gaussian_kernel1d(sigma, 0, radius) with radius int(4 sigma + 0.5), in float64. */
export function gaussianWeights(sigma: number): number[] {
  const radius = Math.floor(4 * sigma + 0.5);
  const phi = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp((-0.5 / (sigma * sigma)) * (i - radius) ** 2),
  );
  const sum = phi.reduce((a, b) => a + b, 0);
  return phi.map((v) => v / sum);
}

const dispatchOf = (threads: number): [number, number, number] => {
  const groups = Math.ceil(threads / WORKGROUP);
  const gx = Math.min(groups, 65535);
  return [gx, Math.ceil(groups / gx), 1];
};

/** The three kernels: noise smoothed along y, then along x (times alpha), then the remap. */
export function elasticKernels(
  stage: Extract<AugmentStage, { kind: 'elastic' }>,
  index: number,
  batch: number,
  channels: number,
  labelPlanes = 1,
): AugmentKernel[] {
  const [h, w] = stage.input;
  const elements = batch * 2 * h * w;
  const weights = gaussianWeights(stage.sigma);
  const radius = (weights.length - 1) / 2;
  const taps = `const R = ${radius};
const WEIGHTS = array<f32, ${weights.length}>(${weights.map((v) => v.toPrecision(17)).join(', ')});`;
  const common = `const H = ${h};
const W = ${w};
const ELEMENTS = ${elements}u;
const BASE = ${index * batch * PARAMS_PER_SAMPLE}u;
fn param(b: u32, k: u32) -> f32 { return params[BASE + b * ${PARAMS_PER_SAMPLE}u + k]; }
// scipy.ndimage 'reflect' (d c b a | a b c d | d c b a), any distance.
fn mirror(v: i32, n: i32) -> i32 {
  let period = 2 * n;
  var p = v % period;
  if (p < 0) { p += period; }
  if (p >= n) { p = period - 1 - p; }
  return p;
}
${taps}`;
  const index3 = (dispatch: [number, number, number]) =>
    `let e = gid.x + gid.y * ${dispatch[0] * WORKGROUP}u;
  if (e >= ELEMENTS) { return; }
  let x = i32(e % u32(W));
  let y = i32((e / u32(W)) % u32(H));
  let plane = e / u32(W * H);
  let b = plane / 2u;`;
  const dispatch = dispatchOf(elements);
  const noise = `@group(0) @binding(4) var<storage, read> params: array<f32>;
@group(0) @binding(5) var<storage, read_write> fieldA: array<f32>;
${common}
fn fmix(v: u32) -> u32 {
  var h = (v ^ (v >> 16u)) * 0x85ebca6bu;
  h = (h ^ (h >> 13u)) * 0xc2b2ae35u;
  return h ^ (h >> 16u);
}
// Uniform in [-1, 1) for element k of the sample's field ([2, H, W]: dx then dy), 24 bits.
fn noise(b: u32, k: u32) -> f32 {
  let key = u32(param(b, 1u)) | (u32(param(b, 2u)) << 16u);
  let h = fmix(key + k * 0x27d4eb2du + 0x165667b1u);
  return f32(h >> 8u) / 16777216.0 * 2.0 - 1.0;
}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${index3(dispatch)}
  if (param(b, 0u) < 0.5) { fieldA[e] = 0.0; return; }
  let first = (plane % 2u) * u32(H * W);
  var v = 0.0;
  for (var k = -R; k <= R; k++) {
    v += WEIGHTS[k + R] * noise(b, first + u32(mirror(y + k, H) * W + x));
  }
  fieldA[e] = v;
}
`;
  const blur = `@group(0) @binding(4) var<storage, read> params: array<f32>;
@group(0) @binding(5) var<storage, read> fieldA: array<f32>;
@group(0) @binding(6) var<storage, read_write> fieldB: array<f32>;
${common}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${index3(dispatch)}
  if (param(b, 0u) < 0.5) { fieldB[e] = 0.0; return; }
  let row = e - u32(x);
  var v = 0.0;
  for (var k = -R; k <= R; k++) { v += WEIGHTS[k + R] * fieldA[row + u32(mirror(x + k, W))]; }
  fieldB[e] = v * ${stage.alpha.toPrecision(17)};
}
`;
  return [
    { name: `augment_${index}_elastic_noise`, wgsl: noise, dispatch, bindings: [4, 5] },
    { name: `augment_${index}_elastic_smooth`, wgsl: blur, dispatch, bindings: [4, 5, 6] },
    remapKernel(stage, index, batch, channels, labelPlanes),
  ];
}

/** cv2.remap by the smoothed field (fieldB), BORDER_REFLECT_101; a sample not applied passes unchanged. */
export function remapKernel(
  stage: Extract<AugmentStage, { kind: 'elastic' }>,
  index: number,
  batch: number,
  channels: number,
  labelPlanes = 1,
): AugmentKernel {
  const kernel = augmentKernel(
    {
      ...stage,
      kind: 'warp',
      image: 'warp-linear',
      labels: 'warp-nearest',
      border: 'reflect101',
      fill: [0, 0],
      map: 'field',
    },
    index,
    batch,
    channels,
    labelPlanes,
  );
  return { ...kernel, name: `augment_${index}_elastic_remap`, bindings: [0, 1, 2, 3, 4, 6] };
}

/** The kernels of a stage, in order: one for most, three for elastic's field. */
export function stageKernels(
  stage: AugmentStage,
  index: number,
  batch: number,
  channels: number,
  labelPlanes = 1,
): AugmentKernel[] {
  return stage.kind === 'elastic'
    ? elasticKernels(stage, index, batch, channels, labelPlanes)
    : [augmentKernel(stage, index, batch, channels, labelPlanes)];
}
