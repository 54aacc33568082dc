// executePlan: creates a Plan's buffers, pipelines and bind groups once, then runs it as one command buffer.
// It only uploads, dispatches and reads back: it imports no compiler code (the Plan is a type of the IR).
import type { Plan } from '../compiler/ir/plan.ts';
import { InternalError, userError } from '../diagnostics/index.ts';

/**
 * GPU buffers that outlive one plan (weights, states, optimizer moments), shared by name between plans, and
 * the activation arenas lent to the plans loaded with `shareArenas` (LoadOptions).
 */
export class BufferStore {
  readonly buffers = new Map<string, GPUBuffer>();
  /** Arenas shared by the plans loaded with `shareArenas`, in the order they were created. */
  readonly arenas: GPUBuffer[] = [];

  constructor(readonly device: GPUDevice) {}

  get(name: string, bytes: number): GPUBuffer {
    let buffer = this.buffers.get(name);
    if (!buffer) {
      buffer = this.device.createBuffer({
        label: name,
        size: bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.buffers.set(name, buffer);
    }
    return buffer;
  }

  /**
   * A GPUBuffer for each arena of `plan` (slots 0 .. plan.arenas - 1), from the shared ones (arenaLoans): a
   * new one is shared from then on. With the largest plan loaded first (the training plan, then the
   * evaluation), the others add none.
   */
  lendArenas(plan: Plan): GPUBuffer[] {
    const sizes = (plan.slotBytes ?? []).slice(0, plan.arenas ?? 0);
    const loans = arenaLoans(
      this.arenas.map((b) => b.size),
      sizes,
    );
    // New arenas in the order of their indices.
    const fresh = [...loans.entries()].filter(([, i]) => i >= this.arenas.length);
    for (const [slot] of fresh.sort((x, y) => x[1] - y[1])) {
      this.arenas.push(
        this.device.createBuffer({
          label: `arena${this.arenas.length}`,
          size: sizes[slot],
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        }),
      );
    }
    return loans.map((i) => this.arenas[i]);
  }
}

/**
 * Which shared arena (an index into their sizes, `shared`) each arena of a plan (`sizes`, by slot) takes: the
 * plan's arenas largest first, each the smallest shared arena that holds it and that no other arena of the
 * plan took (a plan's arenas are live at once, and a kernel may read one while writing another; ties: the
 * first), else a new one (shared.length, then shared.length + 1, ...).
 */
export function arenaLoans(shared: number[], sizes: number[]): number[] {
  const pool = [...shared];
  const taken = new Set<number>();
  const loans: number[] = [];
  const order = sizes.map((_, slot) => slot).sort((a, b) => sizes[b] - sizes[a] || a - b);
  for (const slot of order) {
    let best = -1;
    pool.forEach((size, i) => {
      if (size >= sizes[slot] && !taken.has(i) && (best < 0 || size < pool[best])) best = i;
    });
    if (best < 0) {
      best = pool.length;
      pool.push(sizes[slot]);
    }
    taken.add(best);
    loans[slot] = best;
  }
  return loans;
}

export interface LoadedPlan {
  device: GPUDevice;
  plan: Plan;
  /** The GPUBuffer holding each plan buffer (an arena shared with others, see Plan.slots). */
  buffers: GPUBuffer[];
  /** Byte offset of each plan buffer in its GPUBuffer (0 but in arenas). */
  offsets: number[];
  uniformBuffer: GPUBuffer;
  uniformValues: Float32Array;
  pipelines: GPUComputePipeline[];
  bindGroups: GPUBindGroup[];
  /** The kernels' `sizes` uniforms (PlanKernel.sizes), one aligned slice each; absent when none has any. */
  sizesBuffer?: GPUBuffer;
}

/**
 * What makes two kernels one pipeline: their code but for the header comment (name, bindings, sizes) and
 * the names of their values (`v<node id>`, renumbered in order of appearance).
 */
export function pipelineKey(wgsl: string): string {
  const names = new Map<string, string>();
  return wgsl.replace(/^(\/\/.*\n)+/, '').replace(/\bv\d+\b/g, (name) => {
    if (!names.has(name)) names.set(name, `v${names.size}`);
    return names.get(name)!;
  });
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

async function pipelineFor(device: GPUDevice, name: string, wgsl: string): Promise<GPUComputePipeline> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  const key = pipelineKey(wgsl);
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = (async () => {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ label: name, code: wgsl });
      const created = await device.createComputePipelineAsync({
        label: name,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      const error = await device.popErrorScope();
      if (error) throw new InternalError(`kernel ${name} failed to compile: ${error.message}`);
      return created;
    })();
    cache.set(key, pipeline);
  }
  return pipeline;
}

/** Bytes of the GPU buffers that loaded plans hold (a buffer they share counted once). */
export function bufferBytes(loaded: LoadedPlan[]): number {
  const buffers = new Set(
    loaded.flatMap((l) => [...l.buffers, l.uniformBuffer, ...(l.sizesBuffer ? [l.sizesBuffer] : [])]),
  );
  return [...buffers].reduce((n, b) => n + b.size, 0);
}

/**
 * Frees every GPU buffer of a loaded plan (its store's too, shared arenas included): for callers that keep
 * the device open.
 */
export function releasePlan(loaded: LoadedPlan): void {
  for (const buffer of new Set(loaded.buffers)) buffer.destroy();
  loaded.uniformBuffer.destroy();
  loaded.sizesBuffer?.destroy();
}

/**
 * What a plan needs of the device that the device does not have, checked before anything is created (never
 * a WebGPU validation error). Plans for a device are compiled against its limits (CompileOptions.limits),
 * which reports a tensor too large as a diagnostic at its source (SEG6002); one that reaches the device
 * unchecked is refused here, naming the buffer or kernel and the limit.
 */
function refuseOverLimits(plan: Plan, limits: GPUSupportedLimits): void {
  const bufferLimit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  // Each buffer is bound whole (its range of an arena); an arena is one GPUBuffer, never bound whole.
  const sizes = plan.buffers.map((b) => ({ what: `buffer '${b.name}'`, bytes: b.bytes, limit: bufferLimit }));
  (plan.slotBytes ?? []).forEach((bytes, i) =>
    sizes.push({ what: `allocation ${i}`, bytes, limit: limits.maxBufferSize }),
  );
  const over = sizes.find((b) => b.bytes > b.limit);
  if (over) {
    throw userError('SEG6013', [plan.name, over.what, over.bytes, over.limit], {
      hint: 'use a smaller batch or patch size',
    });
  }
  const align = limits.minStorageBufferOffsetAlignment;
  const misaligned = (plan.offsets ?? []).findIndex((offset) => offset % align !== 0);
  if (misaligned >= 0)
    throw new InternalError(
      `buffer '${plan.buffers[misaligned].name}' of plan ${plan.name} is at offset ` +
        `${plan.offsets![misaligned]}, not a multiple of this device's ${align}`,
    );
  for (const kernel of plan.kernels) {
    const storage = kernel.bindings.length;
    const grid = Math.max(...kernel.dispatch);
    if (storage > limits.maxStorageBuffersPerShaderStage || grid > limits.maxComputeWorkgroupsPerDimension) {
      throw new InternalError(
        `kernel ${kernel.name} binds ${storage} storage buffers in a grid of [${kernel.dispatch}]: over ` +
          `this device's ${limits.maxStorageBuffersPerShaderStage} and ` +
          `${limits.maxComputeWorkgroupsPerDimension}`,
      );
    }
  }
}

export interface LoadOptions {
  /**
   * Take the plan's arenas from those its store shares (BufferStore.lendArenas) instead of allocating its
   * own: for plans that never run at once and read nothing of their arenas that another run left there (a
   * run's training and evaluation plans; verifyPlan checks that a plan writes each arena buffer before
   * reading it). What a run leaves in its arenas (outputs other than 'tensor' ones) can be read until a plan
   * sharing them runs next.
   */
  shareArenas?: boolean;
}

/** Creates a plan's buffers, pipelines and bind groups, once the device is known to hold it. */
export async function loadPlan(
  store: BufferStore,
  plan: Plan,
  options: LoadOptions = {},
): Promise<LoadedPlan> {
  const device = store.device;
  refuseOverLimits(plan, device.limits);
  // Buffers sharing an allocation (planMemory) get the same GPUBuffer, each at its offset; shared arenas are
  // the store's.
  const allocations = new Map<number, GPUBuffer>(
    options.shareArenas ? store.lendArenas(plan).map((buffer, slot) => [slot, buffer]) : [],
  );
  const offsets = plan.buffers.map(() => 0);
  const stored = new Set<number>();
  const buffers = plan.buffers.map((b) => {
    if (b.role !== 'activation' && b.role !== 'input' && b.role !== 'accumulator') {
      stored.add(b.index);
      return store.get(b.name, b.bytes);
    }
    const slot = plan.slots?.[b.index] ?? -1 - b.index;
    offsets[b.index] = plan.offsets?.[b.index] ?? 0;
    let buffer = allocations.get(slot);
    if (!buffer) {
      const arena = slot >= 0 && slot < (plan.arenas ?? 0);
      buffer = device.createBuffer({
        label: arena ? `${plan.name}:arena${slot}` : `${plan.name}:${b.name}`,
        size: plan.slots ? plan.slotBytes![slot] : b.bytes,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      allocations.set(slot, buffer);
    }
    return buffer;
  });
  const uniformValues = new Float32Array(Math.max(4, Math.ceil(plan.uniforms.length / 4) * 4));
  const uniformBuffer = device.createBuffer({
    label: `${plan.name}:uniforms`,
    size: uniformValues.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const pipelines = await Promise.all(plan.kernels.map((k) => pipelineFor(device, k.name, k.wgsl)));
  const sizes = sizesSlices(device, plan);
  const bindGroups = plan.kernels.map((kernel, k) => {
    // The store's buffers are bound whole; the plan's own, as their range of their allocation.
    const entries: GPUBindGroupEntry[] = kernel.bindings.map((b, i) => ({
      binding: i,
      resource: stored.has(b)
        ? { buffer: buffers[b] }
        : { buffer: buffers[b], offset: offsets[b], size: plan.buffers[b].bytes },
    }));
    if (kernel.usesUniforms)
      entries.push({ binding: kernel.bindings.length, resource: { buffer: uniformBuffer } });
    const slice = sizes?.slices.get(k);
    if (slice) entries.push({ binding: entries.length, resource: { buffer: sizes!.buffer, ...slice } });
    return device.createBindGroup({
      label: kernel.name,
      layout: pipelines[k].getBindGroupLayout(0),
      entries,
    });
  });
  return {
    device,
    plan,
    buffers,
    offsets,
    uniformBuffer,
    uniformValues,
    pipelines,
    bindGroups,
    ...(sizes ? { sizesBuffer: sizes.buffer } : {}),
  };
}

/** One uniform buffer holding every kernel's `sizes` (u32 vec4s), each at an aligned offset. */
function sizesSlices(
  device: GPUDevice,
  plan: Plan,
): { buffer: GPUBuffer; slices: Map<number, { offset: number; size: number }> } | undefined {
  const align = device.limits.minUniformBufferOffsetAlignment;
  const slices = new Map<number, { offset: number; size: number }>();
  let end = 0;
  plan.kernels.forEach((kernel, k) => {
    if (!kernel.sizes?.length) return;
    const size = Math.ceil(kernel.sizes.length / 4) * 16;
    slices.set(k, { offset: end, size });
    end += Math.ceil(size / align) * align;
  });
  if (slices.size === 0) return undefined;
  const buffer = device.createBuffer({
    label: `${plan.name}:sizes`,
    size: end,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const values = new Uint32Array(end / 4);
  for (const [k, { offset }] of slices) values.set(plan.kernels[k].sizes!, offset / 4);
  device.queue.writeBuffer(buffer, 0, values);
  return { buffer, slices };
}

export interface StepInputs {
  /**
   * GPU work encoded before the plan's kernels, into the same command buffer (the step's augmentation:
   * one command buffer per step).
   */
  encode?: (encoder: GPUCommandEncoder) => void;
  /**
   * Uniform values by slot name; names not given keep their previous value. A name the plan's graph has no
   * uniform of is refused (a misspelt param would otherwise stay 0); one the graph has but the plan does not
   * read (a param no live node uses) is ignored.
   */
  uniforms?: Record<string, number>;
  /**
   * Raw bytes of 'input' buffers, by input name (without the `input:` prefix). A name the graph has no input
   * of is refused; an input no kernel reads has no buffer and is skipped.
   */
  inputs?: Record<string, ArrayBufferView>;
}

/** Names of the graph's leaves of one op (`uniform`, `input`), used or not. */
function leafNames(plan: Plan, op: string): Set<string> {
  return new Set(plan.graph.nodes.filter((n) => n.op === op).map((n) => String(n.attrs.name)));
}

/** Refuses the names given that are not `known`, listing the known ones. */
function unknownNames(given: string[], known: Set<string>, plan: Plan, what: string): void {
  const unknown = given.filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  const names = [...known].sort();
  const listed = names.map((n) => `'${n}'`).join(', ') || 'none';
  throw userError('SEG6014', [plan.name, what, unknown.map((n) => `'${n}'`).join(', '), listed]);
}

/** Encodes the whole plan into one command buffer and submits it; nothing is read back here. */
export function executePlan(loaded: LoadedPlan, step: StepInputs = {}): void {
  const { plan } = loaded;
  const { device } = loaded;
  const queue = device.queue;
  if (step.uniforms) {
    const known = new Set([...plan.uniforms, ...leafNames(plan, 'uniform')]);
    unknownNames(Object.keys(step.uniforms), known, plan, 'uniform');
    plan.uniforms.forEach((name, slot) => {
      const value = step.uniforms![name];
      if (value !== undefined) loaded.uniformValues[slot] = value;
    });
  }
  queue.writeBuffer(loaded.uniformBuffer, 0, loaded.uniformValues);
  const inputs = Object.entries(step.inputs ?? {});
  if (inputs.length > 0)
    unknownNames(
      inputs.map(([name]) => name),
      leafNames(plan, 'input'),
      plan,
      'input',
    );
  for (const [name, data] of inputs) {
    const index = plan.buffers.findIndex((b) => b.name === `input:${name}`);
    if (index < 0) continue;
    writeBuffer(device, loaded.buffers[index], data, loaded.offsets[index]);
  }
  const encoder = device.createCommandEncoder({ label: plan.name });
  step.encode?.(encoder);
  const pass = encoder.beginComputePass({ label: plan.name });
  plan.kernels.forEach((kernel, k) => {
    pass.setPipeline(loaded.pipelines[k]);
    pass.setBindGroup(0, loaded.bindGroups[k]);
    pass.dispatchWorkgroups(...kernel.dispatch);
  });
  pass.end();
  for (const copy of plan.copies) {
    encoder.copyBufferToBuffer(
      loaded.buffers[copy.from],
      loaded.offsets[copy.from],
      loaded.buffers[copy.to],
      loaded.offsets[copy.to],
      plan.buffers[copy.to].bytes,
    );
  }
  queue.submit([encoder.finish()]);
}

/** Submits what `encode` records (nothing when it is undefined) as one command buffer. */
export function submitEncoded(
  device: GPUDevice,
  label: string,
  encode: ((encoder: GPUCommandEncoder) => void) | undefined,
): void {
  if (!encode) return;
  const encoder = device.createCommandEncoder({ label });
  encode(encoder);
  device.queue.submit([encoder.finish()]);
}

/** Copies a GPU buffer (`bytes` from `offset`) into a mappable one and reads it as f32 (awaits the GPU). */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  bytes = buffer.size,
  offset = 0,
): Promise<Float32Array> {
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const data = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return data;
}

/**
 * Reads one plan buffer of a loaded plan (an output, the accumulator, ...) as f32: its own bytes, from its
 * arena when it has one.
 */
export function readPlanBuffer(loaded: LoadedPlan, index: number): Promise<Float32Array> {
  return readBuffer(
    loaded.device,
    loaded.buffers[index],
    loaded.plan.buffers[index].bytes,
    loaded.offsets[index],
  );
}

/** A u8 input of a loaded plan (`input:<name>`) as it lies on the device: its bytes, read back. */
export async function readPlanInput(loaded: LoadedPlan, name: string): Promise<Uint8Array> {
  const at = loaded.plan.buffers.findIndex((b) => b.name === `input:${name}`);
  if (at < 0) throw new InternalError(`the plan ${loaded.plan.name} has no input '${name}'`);
  const data = await readPlanBuffer(loaded, at);
  return new Uint8Array(data.buffer).slice(0, loaded.plan.buffers[at].elements);
}

/** Uploads data at `offset` (u8 data is zero-padded to whole 32-bit words). */
export function writeBuffer(device: GPUDevice, buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
  let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 !== 0) {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    bytes = padded;
  }
  device.queue.writeBuffer(buffer, offset, bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
