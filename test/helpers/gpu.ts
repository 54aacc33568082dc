// Test helper: one shared WebGPU device (lavapipe on CI), and running a graph's outputs on it.
import { generatePlan } from '../../compiler/index.ts';
import type { Plan } from '../../compiler/codegen/plan.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { openDevice } from '../../runtime/device.ts';
import type { OpenedDevice } from '../../runtime/device.ts';
import {
  BufferStore,
  executePlan,
  loadPlan,
  readPlanBuffer,
  releasePlan,
  writeBuffer,
} from '../../runtime/executor.ts';

let opened: Promise<OpenedDevice> | undefined;

export function testDevice(): Promise<OpenedDevice> {
  opened ??= openDevice('auto');
  return opened;
}

export interface GraphFeeds {
  /** f32 tensors (weights, states, f32 inputs) by leaf name. */
  tensors: Record<string, ArrayLike<number>>;
  /** u8 inputs (labels), or raw bytes of f32 inputs, by leaf name. */
  bytes?: Record<string, Uint8Array>;
  uniforms?: Record<string, number>;
}

/** Runs the graph on the GPU and returns each output's values, by output name. */
export async function runOnGpu(
  graph: Graph,
  feeds: GraphFeeds,
  fuse = true,
): Promise<Record<string, Float32Array>> {
  return runPlanOnGpu(generatePlan(graph, { name: 'test', fuse }), feeds);
}

/** Runs a plan once (made with whatever options a test needs) and returns its outputs by name. */
export async function runPlanOnGpu(plan: Plan, feeds: GraphFeeds): Promise<Record<string, Float32Array>> {
  const { device } = await testDevice();
  const loaded = await loadPlan(new BufferStore(device), plan);
  const inputs: Record<string, ArrayBufferView> = {};
  plan.buffers.forEach((b, i) => {
    const name = b.name.slice(b.name.indexOf(':') + 1);
    if (b.role === 'weight' || b.role === 'state')
      writeBuffer(device, loaded.buffers[i], Float32Array.from(feeds.tensors[name]));
    // Raw bytes when given (u8 labels, large f32 inputs), else the values as f32.
    if (b.role === 'input') inputs[name] = feeds.bytes?.[name] ?? Float32Array.from(feeds.tensors[name]);
  });
  executePlan(loaded, { uniforms: feeds.uniforms, inputs });
  const result: Record<string, Float32Array> = {};
  for (const output of plan.outputs)
    result[output.name] = (await readPlanBuffer(loaded, output.buffer)).slice(0, output.elements);
  releasePlan(loaded);
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
