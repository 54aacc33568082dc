// Test helper: one shared WebGPU device (lavapipe on CI), and running a graph's outputs on it.
import { generatePlan } from '../../compiler/codegen/plan.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { openDevice } from '../../runtime/device.ts';
import type { OpenedDevice } from '../../runtime/device.ts';
import { BufferStore, executePlan, loadPlan, readBuffer, writeBuffer } from '../../runtime/executor.ts';

let opened: Promise<OpenedDevice> | undefined;

export function testDevice(): Promise<OpenedDevice> {
  opened ??= openDevice('auto');
  return opened;
}

export interface GraphFeeds {
  /** f32 tensors (weights, states, f32 inputs) by leaf name. */
  tensors: Record<string, ArrayLike<number>>;
  /** u8 inputs (labels) by leaf name. */
  bytes?: Record<string, Uint8Array>;
  uniforms?: Record<string, number>;
}

/** Runs the graph on the GPU and returns each output's values, by output name. */
export async function runOnGpu(graph: Graph, feeds: GraphFeeds, fuse = true): Promise<Record<string, Float32Array>> {
  const { device } = await testDevice();
  const plan = generatePlan(graph, { name: 'test', fuse });
  const store = new BufferStore(device);
  const loaded = await loadPlan(store, plan);
  const inputs: Record<string, ArrayBufferView> = {};
  plan.buffers.forEach((b, i) => {
    const name = b.name.slice(b.name.indexOf(':') + 1);
    if (b.role === 'weight' || b.role === 'state') writeBuffer(device, loaded.buffers[i], Float32Array.from(feeds.tensors[name]));
    if (b.role === 'input') {
      inputs[name] = b.dtype === 'u8' ? feeds.bytes![name] : Float32Array.from(feeds.tensors[name]);
    }
  });
  executePlan(loaded, { uniforms: feeds.uniforms, inputs });
  const result: Record<string, Float32Array> = {};
  for (const output of plan.outputs) {
    const data = await readBuffer(device, loaded.buffers[output.buffer]);
    result[output.name] = data.subarray(0, output.elements);
  }
  for (const buffer of loaded.buffers) if (!store.buffers.has(buffer.label)) buffer.destroy();
  for (const buffer of store.buffers.values()) buffer.destroy();
  return result;
}

/** Largest absolute difference divided by the largest reference magnitude (at least `floor`). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return Number.isNaN(diff) ? Infinity : diff / scale;
}
