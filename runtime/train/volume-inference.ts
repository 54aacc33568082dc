// Whole-volume inference by sliding window on the GPU (nnU-Net v1's _internal_predict_3D_3Dconv_tiled with
// the Gaussian, mirroring optional; windows and weights in sliding-window.ts). Per batch of windows: CUT
// copies them out of the uploaded volume (u8, padded: image 0, labels the ignore value) into the eval plan's
// inputs, the caller runs the plan, ACCUMULATE adds each window's softmax (sigmoid in binary mode) times the
// Gaussian and the Gaussian itself into f32 sums over the padded volume (one thread per voxel of the batch's
// windows, the windows in order: no races, nnU-Net's order of additions). FINISH divides, takes the argmax
// (the first of equal maxima, as numpy) over the unpadded volume and counts the confusion matrix of the valid
// voxels.
import { InternalError } from '../../diagnostics/index.ts';
import { gaussianFactors, padding, windowOrigins } from './sliding-window.ts';

const WORKGROUP = 64;
const MAX_GROUPS = 65535;

const INDEX = /* wgsl */ `
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid.x;
}`;
/** A local window coordinate mirrored along the axes of `bits` (D 4, H 2, W 1). */
const MIRROR = /* wgsl */ `
fn mirrored(l: vec3<i32>, bits: u32, extent: vec3<i32>) -> vec3<i32> {
  let flip = vec3<bool>((bits & 4u) != 0u, (bits & 2u) != 0u, (bits & 1u) != 0u);
  return select(l, extent - vec3<i32>(1) - l, flip);
}`;
const ENTRY = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid);`;

/** Windows of the volume into the plan's u8 inputs: one thread per output word (four voxels). */
const CUT = /* wgsl */ `
struct Params {
  vol: vec4<u32>,    // D, H, W, C
  win: vec4<u32>,    // pd, ph, pw, batch
  below: vec4<i32>,  // padding below the volume, slots in use
  misc: vec4<u32>,   // ignore, image words, label words, mirrored axes (bits D, H, W = 4, 2, 1)
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> origins: array<vec4<i32>>;
@group(0) @binding(2) var<storage, read> volume: array<u32>;
@group(0) @binding(3) var<storage, read> vlabels: array<u32>;
@group(0) @binding(4) var<storage, read_write> image: array<u32>;
@group(0) @binding(5) var<storage, read_write> labels: array<u32>;
${INDEX}
fn byte_of(data_index: u32, word: u32) -> u32 { return (word >> ((data_index & 3u) * 8u)) & 255u; }
${MIRROR}
// The volume voxel under element e of a [slot, (channel), window voxel] layout, or -1 outside the volume.
fn source(e: u32, per_slot: u32, channels: u32) -> i32 {
  let cells = u.win.x * u.win.y * u.win.z;
  let slot = e / per_slot;
  if (i32(slot) >= u.below.w) { return -1; }
  let c = (e % per_slot) / cells;
  let p = e % cells;
  var loc = vec3<i32>(i32(p / (u.win.y * u.win.z)), i32((p / u.win.z) % u.win.y), i32(p % u.win.z));
  loc = mirrored(loc, u.misc.w, vec3<i32>(u.win.xyz));
  let at = origins[slot].xyz + loc - u.below.xyz;
  let size = vec3<i32>(u.vol.xyz);
  if (any(at < vec3<i32>(0)) || any(at >= size)) { return -1; }
  return ((i32(c) * size.x + at.x) * size.y + at.y) * size.z + at.z;
}
${ENTRY}
  let cells = u.win.x * u.win.y * u.win.z;
  if (i < u.misc.y) {
    let total = u.win.w * u.vol.w * cells;
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let e = i * 4u + j;
      if (e >= total) { break; }
      let s = source(e, u.vol.w * cells, u.vol.w);
      if (s >= 0) { word |= byte_of(u32(s), volume[u32(s) >> 2u]) << (j * 8u); }
    }
    image[i] = word;
    return;
  }
  let k = i - u.misc.y;
  if (k >= u.misc.z) { return; }
  let total = u.win.w * cells;
  var word = 0u;
  for (var j = 0u; j < 4u; j++) {
    let e = k * 4u + j;
    var value = u.misc.x;
    if (e < total) {
      let s = source(e, cells, 1u);
      if (s >= 0) { value = byte_of(u32(s), vlabels[u32(s) >> 2u]); }
    }
    word |= value << (j * 8u);
  }
  labels[k] = word;
}`;

/** Weighted probabilities of the batch's windows added into the padded volume's sums. */
const ACCUMULATE = /* wgsl */ `
struct Params {
  lo: vec4<i32>,      // first voxel of the windows' box (padded coordinates), slots in use
  box: vec4<u32>,     // its size, network channels
  padded: vec4<u32>,  // padded size, classes accumulated
  win: vec4<u32>,     // pd, ph, pw, mirrored axes
  scale: vec4<f32>,   // share of this mirroring (1 / mirrorings), 1 where it adds the weights
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> origins: array<vec4<i32>>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> gauss: array<f32>;
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;
@group(0) @binding(5) var<storage, read_write> weights: array<f32>;
${INDEX}
${MIRROR}
${ENTRY}
  if (i >= u.box.x * u.box.y * u.box.z) { return; }
  let p = u.lo.xyz + vec3<i32>(i32(i / (u.box.y * u.box.z)), i32((i / u.box.z) % u.box.y), i32(i % u.box.z));
  let voxels = u.padded.x * u.padded.y * u.padded.z;
  let v = (u32(p.x) * u.padded.y + u32(p.y)) * u.padded.z + u32(p.z);
  let extent = vec3<i32>(u.win.xyz);
  let cells = u.win.x * u.win.y * u.win.z;
  let channels = u.box.w;
  for (var s = 0; s < u.lo.w; s++) {
    let l = p - origins[s].xyz;
    if (any(l < vec3<i32>(0)) || any(l >= extent)) { continue; }
    var g = gauss[l.x] * gauss[u.win.x + u32(l.y)] * gauss[u.win.x + u.win.y + u32(l.z)];
    if (g == 0.0) { g = gauss[u.win.x + u.win.y + u.win.z]; }
    // The network saw the window mirrored: its output at l lies at the mirrored place.
    let m = mirrored(l, u.win.w, extent);
    let base = u32(s) * channels * cells + (u32(m.x) * u.win.y + u32(m.y)) * u.win.z + u32(m.z);
    let share = g * u.scale.x;
    if (channels == 1u) {
      // Binary mode: the foreground's sigmoid, the background its complement.
      let q = 1.0 / (1.0 + exp(-logits[base]));
      sums[v] += (1.0 - q) * share;
      sums[voxels + v] += q * share;
    } else {
      var top = logits[base];
      for (var c = 1u; c < channels; c++) { top = max(top, logits[base + c * cells]); }
      var total = 0.0;
      for (var c = 0u; c < channels; c++) { total += exp(logits[base + c * cells] - top); }
      for (var c = 0u; c < channels; c++) {
        sums[c * voxels + v] += exp(logits[base + c * cells] - top) / total * share;
      }
    }
    weights[v] += g * u.scale.y;
  }
}`;

/** Probabilities, class map and confusion counts of the unpadded volume. */
const FINISH = /* wgsl */ `
struct Params {
  vol: vec4<u32>,     // D, H, W, classes
  below: vec4<u32>,   // padding below, offset of this volume's confusion matrix
  padded: vec4<u32>,  // padded size, ignore
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> vlabels: array<u32>;
@group(0) @binding(4) var<storage, read_write> probabilities: array<f32>;
@group(0) @binding(5) var<storage, read_write> predicted: array<f32>;
@group(0) @binding(6) var<storage, read_write> confusion: array<atomic<u32>>;
${INDEX}
${ENTRY}
  let voxels = u.vol.x * u.vol.y * u.vol.z;
  if (i >= voxels) { return; }
  let at = vec3<u32>(i / (u.vol.y * u.vol.z), (i / u.vol.z) % u.vol.y, i % u.vol.z) + u.below.xyz;
  let padded = u.padded.x * u.padded.y * u.padded.z;
  let v = (at.x * u.padded.y + at.y) * u.padded.z + at.z;
  let w = weights[v];
  var best = 0u;
  var top = -1.0;
  for (var c = 0u; c < u.vol.w; c++) {
    let q = sums[c * padded + v] / w;
    probabilities[c * voxels + i] = q;
    if (q > top) { top = q; best = c; }
  }
  predicted[i] = f32(best);
  let label = (vlabels[i >> 2u] >> ((i & 3u) * 8u)) & 255u;
  if (label != u.padded.w && label < u.vol.w) {
    atomicAdd(&confusion[u.below.w + best * u.vol.w + label], 1u);
  }
}`;

export interface InferenceSetup {
  patch: number[];
  /** Windows per run of the eval plan. */
  batch: number;
  /** Image channels. */
  channels: number;
  /** The network's output channels (1: binary mode, two classes accumulated). */
  outputs: number;
  ignore: number;
  /** Step between windows, a fraction of the patch (nnU-Net: 0.5). */
  step?: number;
  /** Average each window over its 8 mirrorings (nnU-Net's test-time augmentation). */
  mirror?: boolean;
}

/**
 * The mirrorings of nnU-Net v1's _internal_maybe_mirror_and_pred_3D, in its order, as the axes they flip
 * (bits D 4, H 2, W 1): none, W, H, W+H, D, D+W, D+H, all.
 */
export const MIRRORINGS = [0, 1, 2, 3, 4, 5, 6, 7];

/** A volume on the GPU: u8 planar image [C, D, H, W] and labels [D, H, W]. */
export interface VolumeBuffers {
  size: number[];
  image: GPUBuffer;
  labels: GPUBuffer;
}

/** What inference leaves on the GPU for a volume (freed by destroy). */
export interface VolumePrediction {
  /** f32 [classes, D, H, W] probabilities. */
  probabilities: GPUBuffer;
  /** f32 [D, H, W] class map (what the surface metrics read). */
  predicted: GPUBuffer;
  windows: number[][];
  destroy(): void;
}

const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
const words = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);

export class VolumeInference {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly gauss: GPUBuffer;
  readonly classes: number;

  private constructor(
    readonly device: GPUDevice,
    readonly setup: InferenceSetup,
  ) {
    this.classes = setup.outputs === 1 ? 2 : setup.outputs;
    const { axes, floor } = gaussianFactors(setup.patch);
    this.gauss = this.buffer('gauss', Float32Array.from([...axes.flat(), floor]));
  }

  static async create(device: GPUDevice, setup: InferenceSetup): Promise<VolumeInference> {
    const inference = new VolumeInference(device, setup);
    device.pushErrorScope('validation');
    for (const [name, code] of Object.entries({ CUT, ACCUMULATE, FINISH })) {
      const module = device.createShaderModule({ label: `volume:${name}`, code });
      inference.pipelines.set(
        name,
        await device.createComputePipelineAsync({
          label: `volume:${name}`,
          layout: 'auto',
          compute: { module, entryPoint: 'main' },
        }),
      );
    }
    const error = await device.popErrorScope();
    if (error) throw new InternalError(`volume inference kernels failed to compile: ${error.message}`);
    return inference;
  }

  /** A storage buffer holding `data` (or `bytes` zeroed). */
  buffer(label: string, data: ArrayBufferView | number): GPUBuffer {
    const bytes = typeof data === 'number' ? data : data.byteLength;
    const buffer = this.device.createBuffer({
      label: `volume:${label}`,
      size: words(bytes),
      usage: storage(),
    });
    if (typeof data !== 'number') {
      const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const padded = new Uint8Array(Math.ceil(view.byteLength / 4) * 4);
      padded.set(view);
      this.device.queue.writeBuffer(buffer, 0, padded);
    }
    return buffer;
  }

  private uniform(values: ArrayBuffer): GPUBuffer {
    const buffer = this.device.createBuffer({
      size: values.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, values);
    return buffer;
  }

  private dispatch(encoder: GPUCommandEncoder, name: string, buffers: GPUBuffer[], threads: number): void {
    const pipeline = this.pipelines.get(name)!;
    const group = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = encoder.beginComputePass({ label: `volume:${name}` });
    const groups = Math.max(1, Math.ceil(threads / WORKGROUP));
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS));
    pass.end();
  }

  /**
   * Predicts a volume: per batch of windows, CUT into `inputs` (the eval plan's u8 image and labels), then
   * `forward(windows)` (runs the plan; `windows` are the indices of the batch's windows), then ACCUMULATE
   * from `logits` (the plan's f32 [batch, outputs, ...patch]). The confusion counts of the valid voxels go
   * to `confusion` (u32 [classes, classes] at word `offset`, rows the predicted class).
   */
  async predict(
    volume: VolumeBuffers,
    inputs: { image: GPUBuffer; labels: GPUBuffer },
    logits: GPUBuffer,
    forward: (windows: number[], mirroring: number) => void | Promise<void>,
    confusion: GPUBuffer,
    offset = 0,
  ): Promise<VolumePrediction> {
    const { patch, batch, channels, ignore } = this.setup;
    const mirrors = this.setup.mirror ? MIRRORINGS : [0];
    const { padded, below } = padding(volume.size, patch);
    const windows = windowOrigins(patch, padded, this.setup.step ?? 0.5);
    const classes = this.classes;
    const voxels = volume.size.reduce((a, b) => a * b, 1);
    const paddedVoxels = padded.reduce((a, b) => a * b, 1);
    const sums = this.buffer('sums', classes * paddedVoxels * 4);
    const weights = this.buffer('weights', paddedVoxels * 4);
    const probabilities = this.buffer('probabilities', classes * voxels * 4);
    const predicted = this.buffer('predicted', voxels * 4);
    const origins = this.buffer('origins', batch * 16);
    const transient: GPUBuffer[] = [sums, weights, origins];
    const cells = patch.reduce((a, b) => a * b, 1);
    const imageWords = Math.ceil((batch * channels * cells) / 4);
    const labelWords = Math.ceil((batch * cells) / 4);
    for (let first = 0; first < windows.length; first += batch) {
      const chunk = windows.slice(first, first + batch);
      const slots = new Int32Array(batch * 4);
      chunk.forEach((o, s) => slots.set(o, s * 4));
      this.device.queue.writeBuffer(origins, 0, slots);
      // The box the batch's windows cover, in padded coordinates.
      const lo = [0, 1, 2].map((a) => Math.min(...chunk.map((o) => o[a])));
      const hi = [0, 1, 2].map((a) => Math.max(...chunk.map((o) => o[a] + patch[a])));
      const box = hi.map((h, a) => h - lo[a]);
      for (const [m, bits] of mirrors.entries()) {
        const cut = new ArrayBuffer(64);
        new Uint32Array(cut, 0, 8).set([...volume.size, channels, ...patch, batch]);
        new Int32Array(cut, 32, 4).set([...below, chunk.length]);
        new Uint32Array(cut, 48, 4).set([ignore, imageWords, labelWords, bits]);
        const cutParams = this.uniform(cut);
        let encoder = this.device.createCommandEncoder({ label: 'volume:cut' });
        const cutBuffers = [cutParams, origins, volume.image, volume.labels, inputs.image, inputs.labels];
        this.dispatch(encoder, 'CUT', cutBuffers, imageWords + labelWords);
        this.device.queue.submit([encoder.finish()]);
        await forward(
          chunk.map((_, s) => first + s),
          m,
        );
        const accumulate = new ArrayBuffer(80);
        new Int32Array(accumulate, 0, 4).set([...lo, chunk.length]);
        new Uint32Array(accumulate, 16, 12).set([
          ...box,
          this.setup.outputs,
          ...padded,
          classes,
          ...patch,
          bits,
        ]);
        // Each mirroring adds its share of the probabilities; the first adds the weights (nnU-Net: the mean
        // over mirrorings, times the Gaussian).
        new Float32Array(accumulate, 64, 4).set([1 / mirrors.length, m === 0 ? 1 : 0, 0, 0]);
        const accumulateParams = this.uniform(accumulate);
        encoder = this.device.createCommandEncoder({ label: 'volume:accumulate' });
        const accumulateBuffers = [accumulateParams, origins, logits, this.gauss, sums, weights];
        this.dispatch(encoder, 'ACCUMULATE', accumulateBuffers, box[0] * box[1] * box[2]);
        this.device.queue.submit([encoder.finish()]);
        transient.push(cutParams, accumulateParams);
      }
    }
    const finish = new ArrayBuffer(48);
    new Uint32Array(finish).set([...volume.size, classes, ...below, offset, ...padded, ignore]);
    const finishParams = this.uniform(finish);
    transient.push(finishParams);
    const encoder = this.device.createCommandEncoder({ label: 'volume:finish' });
    const finishBuffers = [finishParams, sums, weights, volume.labels, probabilities, predicted, confusion];
    this.dispatch(encoder, 'FINISH', finishBuffers, voxels);
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    for (const b of transient) b.destroy();
    return {
      probabilities,
      predicted,
      windows,
      destroy: () => {
        probabilities.destroy();
        predicted.destroy();
      },
    };
  }

  destroy(): void {
    this.gauss.destroy();
  }
}
