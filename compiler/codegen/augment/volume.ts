// Augmentation of volumes (3-D patches [B, C, D, H, W] of u8, labels [B, D, H, W]) as WGSL stages: `flip`
// and `rot90` move image and labels alike by an exact index map (no resampling), `intensity_scale` and
// `zscore` change the image's bytes in place. The bytes are the network's input v = (x - 127.5) / 31.875
// (the loader's z-score over ±4 standard deviations, docs/data.md), so on bytes:
//   intensity_scale: x' = round(127.5 + s · (x - 127.5)), s uniform in [1 - factor, 1 + factor];
//   zscore:          x' = round(127.5 + 31.875 · (x - mean) / std), mean and std (population) of each sample
//                    and channel over its voxels whose label is not the ignore value (a patch's padding);
// rounding is floor(· + 0.5), clamped to 0..255; padding voxels (label = ignore) keep their byte (0), as the
// windows of an evaluation are padded. Sizes are uniforms: one kernel serves patches and whole
// volumes.
import type { ConfigCall, Setting } from '../../config/index.ts';
import { asCall, callOptions, findEntry } from '../../config/index.ts';
import { AugmentError } from './pipeline.ts';

/** The transforms a volume pipeline runs. */
export const VOLUME_TRANSFORMS = ['flip', 'rot90', 'intensity_scale', 'zscore'];

const AXES = ['D', 'H', 'W'];

export type VolumeStage =
  | { kind: 'flip'; axes: number[]; p: number }
  | { kind: 'rot90'; axes: [number, number]; p: number }
  | { kind: 'intensity_scale'; factor: number; p: number }
  | { kind: 'zscore' };

/** Per stage and sample: a 3×3 index matrix and offset (maps) or a factor (intensity_scale), padded. */
export const VOLUME_PARAMS = 12;

/** The stages of a volume transform list for patches of `patch` [D, H, W]. */
export function volumePipeline(transforms: Setting[], patch: number[]): VolumeStage[] {
  return transforms.map((setting) => {
    const call = asCall(setting);
    if (!call) throw new AugmentError('an augmentation item is not a transform');
    return volumeStage(call, patch);
  });
}

function volumeStage(call: ConfigCall, patch: number[]): VolumeStage {
  const entry = findEntry('transform', call.name);
  if (!entry || !VOLUME_TRANSFORMS.includes(call.name)) {
    const hint = call.name === 'normalize' ? ' (volumes are normalised by zscore)' : '';
    throw new AugmentError(
      `transform '${call.name}' does not apply to volumes${hint}; volumes take ` +
        `${VOLUME_TRANSFORMS.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  const options = callOptions(entry, call);
  const p = typeof options.p === 'number' ? options.p : 1;
  const axes = (names: Setting) => (names as string[]).map((a) => AXES.indexOf(a));
  switch (call.name) {
    case 'flip':
      return { kind: 'flip', axes: [...new Set(axes(options.axes))].sort(), p };
    case 'rot90': {
      const [a, b] = axes(options.axes ?? ['H', 'W']);
      if (a === b) throw new AugmentError('rot90 turns in a plane of two different axes');
      if (patch[a] !== patch[b]) {
        throw new AugmentError(
          `rot90 in the (${AXES[a]}, ${AXES[b]}) plane needs patches square in it, not ` +
            `${patch[a]}×${patch[b]}`,
        );
      }
      return { kind: 'rot90', axes: [a, b], p };
    }
    case 'intensity_scale':
      return { kind: 'intensity_scale', factor: Number(options.factor), p };
    default:
      return { kind: 'zscore' };
  }
}

const WORKGROUP = 64;
const STATS_GROUP = 256;

const PARAMS = /* wgsl */ `
struct Params {
  size: vec4<u32>,  // D, H, W, C
  misc: vec4<u32>,  // batch, ignore, stage, image words
}
@group(0) @binding(0) var<uniform> u: Params;
fn voxels() -> u32 { return u.size.x * u.size.y * u.size.z; }
fn byte_at(data: u32, e: u32) -> u32 { return (data >> ((e & 3u) * 8u)) & 255u; }
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid.x;
}`;

const ENTRY = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid);`;

/** An exact index map (flip, rot90): output voxel → source voxel = A · out + t, per sample. */
export const MAP_KERNEL = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> image_in: array<u32>;
@group(0) @binding(3) var<storage, read> labels_in: array<u32>;
@group(0) @binding(4) var<storage, read_write> image_out: array<u32>;
@group(0) @binding(5) var<storage, read_write> labels_out: array<u32>;
fn source(v: u32, b: u32) -> u32 {
  let o = vec3<f32>(f32(v / (u.size.y * u.size.z)), f32((v / u.size.z) % u.size.y), f32(v % u.size.z));
  let k = (u.misc.z * u.misc.x + b) * ${VOLUME_PARAMS}u;
  let a = mat3x3<f32>(params[k], params[k + 3u], params[k + 6u], params[k + 1u], params[k + 4u],
                      params[k + 7u], params[k + 2u], params[k + 5u], params[k + 8u]);
  let s = vec3<u32>(round(a * o + vec3<f32>(params[k + 9u], params[k + 10u], params[k + 11u])));
  return (s.x * u.size.y + s.y) * u.size.z + s.z;
}
${ENTRY}
  let n = voxels();
  let c = u.size.w;
  if (i < u.misc.w) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let e = i * 4u + j;
      if (e >= u.misc.x * c * n) { break; }
      let b = e / (c * n);
      let src = (e / n) * n + source(e % n, b);
      word |= byte_at(image_in[src >> 2u], src) << (j * 8u);
    }
    image_out[i] = word;
    return;
  }
  let k = i - u.misc.w;
  if (k * 4u >= u.misc.x * n) { return; }
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    let e = k * 4u + j;
    var value = u.misc.y;
    if (e < u.misc.x * n) {
      let src = (e / n) * n + source(e % n, e / n);
      value = byte_at(labels_in[src >> 2u], src);
    }
    word |= value << (j * 8u);
  }
  labels_out[k] = word;
}`;

/**
 * A kernel that rewrites each byte `x` of the image in place, but for padding (label = the ignore value) and
 * the bytes past the batch: `source` declares binding 1, `lines` set `x` from it (`e` is the byte's index,
 * `n` the voxels of one plane).
 */
function inPlaceBytes(source: string, lines: string[]): string {
  return /* wgsl */ `${PARAMS}
${source}
@group(0) @binding(2) var<storage, read_write> image: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
fn padding(e: u32, n: u32) -> bool {
  let l = (e / (u.size.w * n)) * n + e % n;
  return byte_at(labels[l >> 2u], l) == u.misc.y;
}
${ENTRY}
  if (i >= u.misc.w) { return; }
  let n = voxels();
  var word = 0u;
  let old = image[i];
  for (var j = 0u; j < 4u; j++) {
    let e = i * 4u + j;
    var x = f32(byte_at(old, e));
    if (e < u.misc.x * u.size.w * n && !padding(e, n)) {
${lines.map((l) => `      ${l}`).join('\n')}
    }
    word |= u32(x) << (j * 8u);
  }
  image[i] = word;
}`;
}

/** intensity_scale in place: x' = round(127.5 + s (x - 127.5)) with the sample's s. */
export const SCALE_KERNEL = inPlaceBytes('@group(0) @binding(1) var<storage, read> params: array<f32>;', [
  `let s = params[(u.misc.z * u.misc.x + e / (u.size.w * n)) * ${VOLUME_PARAMS}u];`,
  'x = clamp(floor(127.5 + s * (x - 127.5) + 0.5), 0.0, 255.0);',
]);

/** zscore's statistics: one workgroup per sample and channel, mean then std over the valid voxels. */
export const STATS_KERNEL = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> image: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
var<workgroup> partial: array<vec2<f32>, ${STATS_GROUP}>;
fn reduce(t: u32, value: vec2<f32>) -> vec2<f32> {
  partial[t] = value;
  workgroupBarrier();
  for (var half = ${STATS_GROUP / 2}u; half > 0u; half = half / 2u) {
    if (t < half) { partial[t] += partial[t + half]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
@compute @workgroup_size(${STATS_GROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n = voxels();
  let plane = wid.x;  // sample * C + channel
  let b = plane / u.size.w;
  let t = lid.x;
  var sum = vec2<f32>(0.0);
  for (var v = t; v < n; v += ${STATS_GROUP}u) {
    let l = b * n + v;
    if (byte_at(labels[l >> 2u], l) != u.misc.y) {
      let e = plane * n + v;
      sum += vec2<f32>(f32(byte_at(image[e >> 2u], e)), 1.0);
    }
  }
  let total = reduce(t, sum);
  let mean = total.x / max(total.y, 1.0);
  var squares = vec2<f32>(0.0);
  for (var v = t; v < n; v += ${STATS_GROUP}u) {
    let l = b * n + v;
    if (byte_at(labels[l >> 2u], l) != u.misc.y) {
      let e = plane * n + v;
      let d = f32(byte_at(image[e >> 2u], e)) - mean;
      squares += vec2<f32>(d * d, 0.0);
    }
  }
  let spread = reduce(t, squares);
  if (t == 0u) {
    var deviation = sqrt(spread.x / max(total.y, 1.0));
    if (deviation == 0.0) { deviation = 1.0; }
    stats[plane * 2u] = mean;
    stats[plane * 2u + 1u] = deviation;
  }
}`;

/** zscore in place from the statistics. */
export const ZSCORE_KERNEL = inPlaceBytes('@group(0) @binding(1) var<storage, read> stats: array<f32>;', [
  'let plane = e / n;',
  'x = clamp(floor(127.5 + 31.875 * (x - stats[plane * 2u]) / stats[plane * 2u + 1u] + 0.5), 0.0, 255.0);',
]);

export const VOLUME_WORKGROUP = WORKGROUP;
