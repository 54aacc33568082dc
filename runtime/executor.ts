// executePlan: creates a Plan's buffers, pipelines and bind groups once, then runs it as one command buffer.
import { planLimits } from '../compiler/codegen/limits.ts';
import type { Plan } from '../compiler/codegen/plan.ts';
import { assertFits } from './compile.ts';

/** GPU buffers that outlive one plan (weights, states, optimizer moments), shared by name between plans. */
export class BufferStore {
  readonly buffers = new Map<string, GPUBuffer>();

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
}

export interface LoadedPlan {
  device: GPUDevice;
  plan: Plan;
  buffers: GPUBuffer[];
  uniformBuffer: GPUBuffer;
  uniformValues: Float32Array;
  pipelines: GPUComputePipeline[];
  bindGroups: GPUBindGroup[];
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

async function pipelineFor(device: GPUDevice, name: string, wgsl: string): Promise<GPUComputePipeline> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  let pipeline = cache.get(wgsl);
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
      if (error) throw new Error(`kernel ${name} failed to compile: ${error.message}`);
      return created;
    })();
    cache.set(wgsl, pipeline);
  }
  return pipeline;
}

/** Frees every GPU buffer of a loaded plan (its store's too): for callers that keep the device open. */
export function releasePlan(loaded: LoadedPlan): void {
  for (const buffer of new Set(loaded.buffers)) buffer.destroy();
  loaded.uniformBuffer.destroy();
}

/**
 * Creates a plan's buffers, pipelines and bind groups. A plan over the device's limits is an ExperimentError
 * (SEG6002) or an InternalError before anything is created, never a WebGPU validation error.
 */
export async function loadPlan(store: BufferStore, plan: Plan): Promise<LoadedPlan> {
  const device = store.device;
  assertFits([plan], planLimits(device.limits));
  // Buffers sharing an allocation (planMemory) get the same GPUBuffer, sized for the largest of them.
  const allocations = new Map<number, GPUBuffer>();
  const buffers = plan.buffers.map((b) => {
    if (b.role !== 'activation' && b.role !== 'input' && b.role !== 'accumulator')
      return store.get(b.name, b.bytes);
    const slot = plan.slots?.[b.index] ?? -1 - b.index;
    let buffer = allocations.get(slot);
    if (!buffer) {
      buffer = device.createBuffer({
        label: `${plan.name}:${b.name}`,
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
  const bindGroups = plan.kernels.map((kernel, k) => {
    const entries: GPUBindGroupEntry[] = kernel.bindings.map((b, i) => ({
      binding: i,
      resource: { buffer: buffers[b] },
    }));
    if (kernel.usesUniforms)
      entries.push({ binding: kernel.bindings.length, resource: { buffer: uniformBuffer } });
    return device.createBindGroup({
      label: kernel.name,
      layout: pipelines[k].getBindGroupLayout(0),
      entries,
    });
  });
  return { device, plan, buffers, uniformBuffer, uniformValues, pipelines, bindGroups };
}

export interface StepInputs {
  /** Uniform values by slot name; names not given keep their previous value. */
  uniforms?: Record<string, number>;
  /** Raw bytes of 'input' buffers, by input name (without the `input:` prefix). */
  inputs?: Record<string, ArrayBufferView>;
}

/** Encodes the whole plan into one command buffer and submits it; nothing is read back here. */
export function executePlan(loaded: LoadedPlan, step: StepInputs = {}): void {
  const { plan } = loaded;
  const { device } = loaded;
  const queue = device.queue;
  if (step.uniforms) {
    plan.uniforms.forEach((name, slot) => {
      const value = step.uniforms![name];
      if (value !== undefined) loaded.uniformValues[slot] = value;
    });
  }
  queue.writeBuffer(loaded.uniformBuffer, 0, loaded.uniformValues);
  for (const [name, data] of Object.entries(step.inputs ?? {})) {
    const index = plan.buffers.findIndex((b) => b.name === `input:${name}`);
    if (index < 0) continue;
    writeBuffer(device, loaded.buffers[index], data);
  }
  const encoder = device.createCommandEncoder({ label: plan.name });
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
      0,
      loaded.buffers[copy.to],
      0,
      plan.buffers[copy.to].bytes,
    );
  }
  queue.submit([encoder.finish()]);
}

/** Copies a GPU buffer into a mappable one and reads it as f32 (awaits the GPU). */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  bytes = buffer.size,
): Promise<Float32Array> {
  const staging = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const data = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return data;
}

/** Uploads data (u8 data is zero-padded to whole 32-bit words). */
export function writeBuffer(device: GPUDevice, buffer: GPUBuffer, data: ArrayBufferView): void {
  let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength % 4 !== 0) {
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    bytes = padded;
  }
  device.queue.writeBuffer(buffer, 0, bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
