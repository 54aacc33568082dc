// Surface distances on the GPU for HD95 and NSD: per batch and class, the borders of the predicted and true
// masks, exact Euclidean distance transforms to each border (separable, one pass per axis, voxel spacing
// applied), and per image the 95th percentile of the border distances (an exact radix selection over the f32
// bits) and the share of border voxels within the tolerance. Only per-class sums come back, once per split.
//
// Definitions (MedPy's hd95, the voxel-border surface Dice; UPSTREAM.md §5):
//   A = predicted class c on a valid pixel, B = label c; ∂X = voxels of X with a face neighbour outside X
//   (the image's outside counts as outside: scipy's binary_erosion with border_value 0).
//   hd95 = 95th percentile (numpy's linear interpolation) of {d(a, ∂B) : a ∈ ∂A} ∪ {d(b, ∂A) : b ∈ ∂B};
//          an image whose A or B is empty is skipped.
//   nsd  = (|{a ∈ ∂A : d(a, ∂B) ≤ τ}| + |{b ∈ ∂B : d(b, ∂A) ≤ τ}|) / (|∂A| + |∂B|); an image whose B is
//          empty is skipped, an empty A with a non-empty B scores 0.

const WORKGROUP = 64;
const MAX_GROUPS = 65535;
/** Per image: |A|, |B|, |∂A|, |∂B|, ∂A within τ, ∂B within τ, and the two selection counters. */
const COUNTS = 8;
/** Per image selection state: prefix and remaining rank of the low and high ranks, the bit, n. */
const STATE = 8;
/** Per class: hd95 sum, images scored, nsd sum, images scored. */
export const RESULTS = 4;

const PARAMS = /* wgsl */ `
struct Params {
  images: u32, d0: u32, d1: u32, d2: u32,
  s0: f32, s1: f32, s2: f32, tolerance: f32,
  cls: u32, axis: u32, ignore: u32, rank: u32,
}
@group(0) @binding(0) var<uniform> u: Params;
const INF: f32 = 1e30;
fn pixels() -> u32 { return u.d0 * u.d1 * u.d2; }
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * ${WORKGROUP}u + lid.x;
}
`;

const ENTRY = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_index(wid, nwg, lid);`;

/** Masks, borders and the seeds of both distance fields; counts per image. */
const BORDER = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> predicted: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<u32>;
@group(0) @binding(4) var<storage, read_write> field: array<f32>;
@group(0) @binding(5) var<storage, read_write> counts: array<atomic<u32>>;
fn label(i: u32) -> u32 { return (labels[i >> 2u] >> ((i & 3u) * 8u)) & 255u; }
fn inA(i: u32) -> bool { return u32(predicted[i]) == u.cls && label(i) != u.ignore; }
fn inB(i: u32) -> bool { return label(i) == u.cls; }
${ENTRY}
  let total = u.images * pixels();
  if (i >= total) { return; }
  let image = i / pixels();
  let p = i % pixels();
  let c = vec3<u32>(p / (u.d1 * u.d2), (p / u.d2) % u.d1, p % u.d2);
  let size = vec3<u32>(u.d0, u.d1, u.d2);
  let stride = vec3<u32>(u.d1 * u.d2, u.d2, 1u);
  let a = inA(i);
  let b = inB(i);
  var edgeA = false;
  var edgeB = false;
  for (var k = 3u - u.rank; k < 3u; k++) {
    if (c[k] == 0u || c[k] + 1u == size[k]) {
      edgeA = edgeA || a;
      edgeB = edgeB || b;
    }
    if (c[k] > 0u) {
      edgeA = edgeA || (a && !inA(i - stride[k]));
      edgeB = edgeB || (b && !inB(i - stride[k]));
    }
    if (c[k] + 1u < size[k]) {
      edgeA = edgeA || (a && !inA(i + stride[k]));
      edgeB = edgeB || (b && !inB(i + stride[k]));
    }
  }
  flags[i] = select(0u, 1u, edgeA) | select(0u, 2u, edgeB);
  // field[0..]: distance to ∂B (read at ∂A); field[total..]: distance to ∂A (read at ∂B).
  field[i] = select(INF, 0.0, edgeB);
  field[total + i] = select(INF, 0.0, edgeA);
  if (a) { atomicAdd(&counts[image * ${COUNTS}u + 0u], 1u); }
  if (b) { atomicAdd(&counts[image * ${COUNTS}u + 1u], 1u); }
  if (edgeA) { atomicAdd(&counts[image * ${COUNTS}u + 2u], 1u); }
  if (edgeB) { atomicAdd(&counts[image * ${COUNTS}u + 3u], 1u); }
}`;

/** One axis of the squared distance transform: out[p] = min over the line of in[q] + (s·(p − q))². */
const DISTANCE = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> field_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> field_out: array<f32>;
${ENTRY}
  let total = u.images * pixels();
  if (i >= 2u * total) { return; }
  let p = i % pixels();
  let c = vec3<u32>(p / (u.d1 * u.d2), (p / u.d2) % u.d1, p % u.d2);
  let size = vec3<u32>(u.d0, u.d1, u.d2);
  let stride = vec3<u32>(u.d1 * u.d2, u.d2, 1u);
  let spacing = vec3<f32>(u.s0, u.s1, u.s2);
  let k = u.axis;
  let base = i - c[k] * stride[k];
  var best = INF;
  for (var q = 0u; q < size[k]; q++) {
    let d = spacing[k] * (f32(c[k]) - f32(q));
    best = min(best, field_in[base + q * stride[k]] + d * d);
  }
  field_out[i] = best;
}`;

/** Border voxels within the tolerance (NSD), per image. */
const WITHIN = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read> field: array<f32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
${ENTRY}
  let total = u.images * pixels();
  if (i >= total) { return; }
  let image = i / pixels();
  let f = flags[i];
  if ((f & 1u) != 0u && sqrt(field[i]) <= u.tolerance) { atomicAdd(&counts[image * ${COUNTS}u + 4u], 1u); }
  if ((f & 2u) != 0u && sqrt(field[total + i]) <= u.tolerance) {
    atomicAdd(&counts[image * ${COUNTS}u + 5u], 1u);
  }
}`;

/** Per image: the ranks of numpy's linear 95th percentile among the n = |∂A| + |∂B| distances. */
const RANKS = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
${ENTRY}
  if (i >= u.images) { return; }
  let n = counts[i * ${COUNTS}u + 2u] + counts[i * ${COUNTS}u + 3u];
  let low = select(0u, (95u * (n - 1u)) / 100u, n > 0u);
  state[i * ${STATE}u + 0u] = 0u;
  state[i * ${STATE}u + 1u] = 0u;
  state[i * ${STATE}u + 2u] = low;
  state[i * ${STATE}u + 3u] = min(low + 1u, max(n, 1u) - 1u);
  state[i * ${STATE}u + 4u] = 31u;
  state[i * ${STATE}u + 5u] = n;
  counts[i * ${COUNTS}u + 6u] = 0u;
  counts[i * ${COUNTS}u + 7u] = 0u;
}`;

/** One bit of the radix selection: counts the distances under each prefix whose current bit is 0. */
const SELECT_COUNT = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> flags: array<u32>;
@group(0) @binding(2) var<storage, read> field: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;
fn tally(image: u32, value: u32) {
  let bit = state[image * ${STATE}u + 4u];
  let above = select(0xffffffffu << (bit + 1u), 0u, bit == 31u);
  for (var j = 0u; j < 2u; j++) {
    let prefix = state[image * ${STATE}u + j];
    if ((value & above) == (prefix & above) && ((value >> bit) & 1u) == 0u) {
      atomicAdd(&counts[image * ${COUNTS}u + 6u + j], 1u);
    }
  }
}
${ENTRY}
  let total = u.images * pixels();
  if (i >= total) { return; }
  let image = i / pixels();
  let f = flags[i];
  if ((f & 1u) != 0u) { tally(image, bitcast<u32>(sqrt(field[i]))); }
  if ((f & 2u) != 0u) { tally(image, bitcast<u32>(sqrt(field[total + i]))); }
}`;

/** One bit of the radix selection: per image and rank, the bit is 0 when the rank falls under the count. */
const SELECT_DECIDE = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
${ENTRY}
  if (i >= u.images) { return; }
  let bit = state[i * ${STATE}u + 4u];
  for (var j = 0u; j < 2u; j++) {
    let below = counts[i * ${COUNTS}u + 6u + j];
    let rank = state[i * ${STATE}u + 2u + j];
    if (rank >= below) {
      state[i * ${STATE}u + j] = state[i * ${STATE}u + j] | (1u << bit);
      state[i * ${STATE}u + 2u + j] = rank - below;
    }
    counts[i * ${COUNTS}u + 6u + j] = 0u;
  }
  state[i * ${STATE}u + 4u] = bit - 1u;
}`;

/** One thread: each image's hd95 and nsd added to the class's sums (skipping as the header says). */
const FINISH = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> results: array<f32>;
${ENTRY}
  if (i > 0u) { return; }
  let r = u.cls * ${RESULTS}u;
  for (var image = 0u; image < u.images; image++) {
    let c = image * ${COUNTS}u;
    let s = image * ${STATE}u;
    if (counts[c + 0u] > 0u && counts[c + 1u] > 0u) {
      let n = state[s + 5u];
      let low = bitcast<f32>(state[s + 0u]);
      let high = bitcast<f32>(state[s + 1u]);
      let fraction = f32((95u * (n - 1u)) % 100u) / 100.0;
      results[r + 0u] += low + (high - low) * fraction;
      results[r + 1u] += 1.0;
    }
    if (counts[c + 1u] > 0u) {
      let within = f32(counts[c + 4u] + counts[c + 5u]);
      results[r + 2u] += within / f32(max(counts[c + 2u] + counts[c + 3u], 1u));
      results[r + 3u] += 1.0;
    }
  }
}`;

const ZERO = /* wgsl */ `${PARAMS}
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
${ENTRY}
  if (i >= u.images * ${COUNTS}u) { return; }
  counts[i] = 0u;
}`;

export interface SurfaceGeometry {
  /** Images per batch. */
  images: number;
  /** Spatial sizes: [H, W] or [D, H, W]. */
  size: number[];
  /** Voxel spacing per spatial axis (mm). */
  spacing: number[];
  /** Classes scored (their indices in the class map). */
  classes: number[];
  /** Classes of the data (the results buffer has a slot per class). */
  classCount: number;
  tolerance: number;
  ignore: number;
}

/** Per class: summed hd95 and images scored, summed nsd and images scored. */
export interface SurfaceSums {
  hd95: { sum: number; images: number }[];
  nsd: { sum: number; images: number }[];
}

/**
 * The surface-distance accumulator of one evaluation: `accumulate` encodes the kernels for one batch (its
 * class map, f32 [N, ...size], and labels, u8 [N, ...size]); `read` returns the per-class sums (one
 * read-back).
 */
export class SurfaceAccumulator {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly buffers: Record<string, GPUBuffer> = {};
  private readonly params = new Map<string, GPUBuffer>();
  private readonly total: number;

  private constructor(
    readonly device: GPUDevice,
    readonly geometry: SurfaceGeometry,
  ) {
    const pixels = geometry.size.reduce((a, b) => a * b, 1);
    this.total = geometry.images * pixels;
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const make = (name: string, bytes: number) =>
      (this.buffers[name] = device.createBuffer({ label: `surface:${name}`, size: bytes, usage: storage }));
    make('flags', this.total * 4);
    make('field', 2 * this.total * 4);
    make('other', 2 * this.total * 4);
    make('counts', geometry.images * COUNTS * 4);
    make('state', geometry.images * STATE * 4);
    make('results', Math.max(1, geometry.classCount) * RESULTS * 4);
  }

  static async create(device: GPUDevice, geometry: SurfaceGeometry): Promise<SurfaceAccumulator> {
    if (geometry.size.length !== 2 && geometry.size.length !== 3)
      throw new Error(`surface metrics take 2-D or 3-D maps, not ${geometry.size.length}-D`);
    const accumulator = new SurfaceAccumulator(device, geometry);
    const kernels = { BORDER, DISTANCE, WITHIN, RANKS, SELECT_COUNT, SELECT_DECIDE, FINISH, ZERO };
    await Promise.all(
      Object.entries(kernels).map(async ([name, code]) => {
        const module = device.createShaderModule({ label: `surface:${name}`, code });
        const pipeline = await device.createComputePipelineAsync({
          label: `surface:${name}`,
          layout: 'auto',
          compute: { module, entryPoint: 'main' },
        });
        accumulator.pipelines.set(name, pipeline);
      }),
    );
    accumulator.reset();
    return accumulator;
  }

  /** Zeroes the per-class sums (a new split). */
  reset(): void {
    const bytes = this.buffers.results.size;
    this.device.queue.writeBuffer(this.buffers.results, 0, new Uint8Array(bytes));
  }

  /** The uniform block for a class and axis (created once, kept). */
  private uniforms(cls: number, axis: number): GPUBuffer {
    const key = `${cls}:${axis}`;
    let buffer = this.params.get(key);
    if (!buffer) {
      const g = this.geometry;
      const size = g.size.length === 2 ? [1, ...g.size] : g.size;
      const spacing = g.spacing.length === 2 ? [1, ...g.spacing] : g.spacing;
      const data = new ArrayBuffer(48);
      new Uint32Array(data, 0, 4).set([g.images, ...size]);
      new Float32Array(data, 16, 4).set([...spacing, g.tolerance]);
      new Uint32Array(data, 32, 4).set([cls, axis, g.ignore, g.size.length]);
      buffer = this.device.createBuffer({
        size: 48,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      this.device.queue.writeBuffer(buffer, 0, data);
      this.params.set(key, buffer);
    }
    return buffer;
  }

  private dispatch(
    pass: GPUComputePassEncoder,
    kernel: string,
    params: GPUBuffer,
    bindings: GPUBuffer[],
    threads: number,
  ): void {
    const pipeline = this.pipelines.get(kernel)!;
    const entries = [params, ...bindings].map((buffer, binding) => ({ binding, resource: { buffer } }));
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const groups = Math.max(1, Math.ceil(threads / WORKGROUP));
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.min(groups, MAX_GROUPS), Math.ceil(groups / MAX_GROUPS));
  }

  /** Encodes one batch: every scored class of `predicted` (f32 class map) against `labels` (u8). */
  accumulate(predicted: GPUBuffer, labels: GPUBuffer): void {
    const g = this.geometry;
    const b = this.buffers;
    const rank = g.size.length;
    const encoder = this.device.createCommandEncoder({ label: 'surface' });
    const pass = encoder.beginComputePass({ label: 'surface' });
    for (const cls of g.classes) {
      const params = this.uniforms(cls, 0);
      this.dispatch(pass, 'ZERO', params, [b.counts], g.images * COUNTS);
      this.dispatch(pass, 'BORDER', params, [predicted, labels, b.flags, b.field, b.counts], this.total);
      // Axes 3 - rank .. 2 of the [D, H, W] index space, ping-ponging between the two field buffers.
      let [from, to] = [b.field, b.other];
      for (let axis = 3 - rank; axis < 3; axis++) {
        this.dispatch(pass, 'DISTANCE', this.uniforms(cls, axis), [from, to], 2 * this.total);
        [from, to] = [to, from];
      }
      this.dispatch(pass, 'WITHIN', params, [b.flags, from, b.counts], this.total);
      this.dispatch(pass, 'RANKS', params, [b.counts, b.state], g.images);
      for (let bit = 31; bit >= 0; bit--) {
        this.dispatch(pass, 'SELECT_COUNT', params, [b.flags, from, b.state, b.counts], this.total);
        this.dispatch(pass, 'SELECT_DECIDE', params, [b.counts, b.state], g.images);
      }
      this.dispatch(pass, 'FINISH', params, [b.counts, b.state, b.results], 1);
    }
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** The per-class sums over every batch since the last reset (awaits the GPU). */
  async read(): Promise<SurfaceSums> {
    const buffer = this.buffers.results;
    const staging = this.device.createBuffer({
      size: buffer.size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const data = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const sums: SurfaceSums = { hd95: [], nsd: [] };
    for (let c = 0; c < this.geometry.classCount; c++) {
      sums.hd95.push({ sum: data[c * RESULTS], images: data[c * RESULTS + 1] });
      sums.nsd.push({ sum: data[c * RESULTS + 2], images: data[c * RESULTS + 3] });
    }
    return sums;
  }

  destroy(): void {
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
    for (const buffer of this.params.values()) buffer.destroy();
  }
}
