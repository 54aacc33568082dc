// validatePlan: checks a Plan against a device's limits before anything is allocated. A tensor too large for
// one buffer is the user's (a diagnostic naming the tensor, its .seg source and the limit); a kernel over a
// per-kernel limit (bindings, workgroup memory or size, grid) is segc's own bug (an InternalError naming the
// kernel).
import type { Diagnostic, Span } from '../../diagnostics/diagnostic.ts';
import { InternalError } from '../../diagnostics/diagnostic.ts';
import { createDiagnostic } from '../../diagnostics/messages.ts';
import type { Graph } from '../ir/types.ts';
import { elementCount, formatType } from '../ir/types.ts';
import type { Plan, PlanBuffer } from './plan.ts';

/** The GPUSupportedLimits a Plan depends on (a plain object, so plans can be checked without a GPU). */
export interface PlanLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxUniformBufferBindingSize: number;
}

/**
 * WebGPU's default limits: what every adapter guarantees and what a device gets unless it asks for more.
 * `openDevice` asks for the adapter's storage limits, and plans need that (a training step binds up to 13
 * storage buffers and 16.25 KiB of workgroup memory in a kernel), so these are no stand-in for a device when
 * checking plans: `segc plan`, `wgsl` and `check`, which have no device, do not check limits.
 */
export const WEBGPU_DEFAULT_LIMITS: Readonly<PlanLimits> = {
  maxStorageBufferBindingSize: 134217728,
  maxBufferSize: 268435456,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxUniformBufferBindingSize: 65536,
};

/**
 * The plan limits of a device as a plain object: `planLimits(device.limits)` (GPUSupportedLimits keeps its
 * values in getters, which spreading would lose). Limits the source lacks stay absent, i.e. unchecked.
 */
export function planLimits(source: Partial<Record<keyof PlanLimits, number>>): Partial<PlanLimits> {
  const limits: Partial<PlanLimits> = {};
  for (const key of Object.keys(WEBGPU_DEFAULT_LIMITS) as (keyof PlanLimits)[]) {
    const value = source[key];
    if (typeof value === 'number') limits[key] = value;
  }
  return limits;
}

/**
 * Checks a plan against the limits given (a device's, see planLimits; an absent limit is not checked).
 * Returns a diagnostic for buffers over the buffer size limits: the largest offending tensor, with how many
 * others are over too (all of them shrink with the batch or patch size). When no buffer is too large, every
 * kernel is checked against the per-kernel limits, and a kernel over one is an InternalError naming it.
 */
export function validatePlan(plan: Plan, limits: Partial<PlanLimits>): Diagnostic[] {
  const binding = limits.maxStorageBufferBindingSize ?? Infinity;
  const size = limits.maxBufferSize ?? Infinity;
  const bufferLimit = Math.min(binding, size);
  const limitName = binding <= size ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  // Every buffer is bound as storage in full; buffers sharing an allocation (planMemory) are each at most its
  // size.
  const over = plan.buffers.filter((b) => b.bytes > bufferLimit);
  if (over.length > 0) {
    const largest = over.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const others = over.length - 1;
    const diagnostic = createDiagnostic(
      'SEG6002',
      spanOf(plan.graph, largest),
      describeBuffer(plan, largest),
      formatBytes(largest.bytes),
      formatBytes(bufferLimit),
      limitName,
      others === 0 ? '' : `; ${others} more tensor${others === 1 ? ' is' : 's are'} over it too`,
    );
    return [{ ...diagnostic, hint: 'use a smaller batch or patch size' }];
  }
  const check = (subject: string, what: string, value: number, limit: keyof PlanLimits) => {
    const max = limits[limit];
    if (max !== undefined && value > max)
      throw new InternalError(`${subject} ${what} ${value}, over this device's ${limit} of ${max}`);
  };
  check(
    `plan ${plan.name}`,
    'has uniform bytes:',
    Math.max(16, Math.ceil(plan.uniforms.length / 4) * 16),
    'maxUniformBufferBindingSize',
  );
  for (const kernel of plan.kernels) {
    const subject = `kernel ${kernel.name}`;
    check(subject, 'binds storage buffers:', kernel.bindings.length, 'maxStorageBuffersPerShaderStage');
    check(subject, 'has workgroups of', kernel.workgroup, 'maxComputeInvocationsPerWorkgroup');
    check(subject, 'has workgroups of', kernel.workgroup, 'maxComputeWorkgroupSizeX');
    check(
      subject,
      'uses workgroup memory (bytes):',
      workgroupStorageBytes(kernel.wgsl),
      'maxComputeWorkgroupStorageSize',
    );
    check(
      subject,
      `dispatches [${kernel.dispatch.join(', ')}] workgroups: a dimension of`,
      Math.max(...kernel.dispatch),
      'maxComputeWorkgroupsPerDimension',
    );
  }
  return [];
}

/** `8192.0 MiB (8589934592 bytes)`, `1.5 KiB (1536 bytes)`, `96 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB (${bytes} bytes)`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB (${bytes} bytes)`;
  return `${bytes} bytes`;
}

/**
 * What a buffer holds, for a user: its IR node (`%57 = convolution`), a weight's or input's name, and its
 * type.
 */
function describeBuffer(plan: Plan, buffer: PlanBuffer): string {
  const node = buffer.node === undefined ? undefined : plan.graph.nodes[buffer.node];
  const type = node ? formatType(node.type) : `${buffer.dtype}[${buffer.elements}]`;
  const name = buffer.name.slice(buffer.name.indexOf(':') + 1);
  switch (buffer.role) {
    case 'input':
      return `Input '${name}' (${type})`;
    case 'weight':
      return `Weight '${name}' (${type})`;
    case 'state':
      return `State '${name}' (${type})`;
    case 'optimizer':
      return `Adam moment '${name}' (${type})`;
    case 'accumulator':
      return `The ${name} buffer (${buffer.elements} values)`;
    default:
      if (!node) return `Buffer '${buffer.name}' (${type})`;
      if (buffer.name.endsWith('.partial')) {
        const chunks = buffer.elements / Math.max(1, elementCount(node.type));
        return `The partial results of tensor %${node.id} (${node.op}, ${chunks} chunks of ${type})`;
      }
      return `Tensor %${node.id} (${node.op}, ${type})`;
  }
}

/**
 * The .seg source of a buffer's node; a node staged by autodiff has none, so the nearest operand with one
 * stands for it (a conv's input gradient points at the conv's weight, i.e. the layer).
 */
function spanOf(graph: Graph, buffer: PlanBuffer): Span | undefined {
  if (buffer.node === undefined) return undefined;
  const seen = new Set<number>();
  const queue = [buffer.node];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = graph.nodes[id];
    if (node.span) return node.span;
    queue.push(...node.inputs);
  }
  return undefined;
}

const SCALAR_BYTES: Record<string, number> = { f32: 4, u32: 4, i32: 4, f16: 2 };

/**
 * Bytes of a WGSL type as a workgroup variable: scalars, vectors and (nested) fixed-size arrays; else
 * undefined.
 */
function typeBytes(type: string): number | undefined {
  const text = type.replace(/\s+/g, '');
  if (SCALAR_BYTES[text] !== undefined) return SCALAR_BYTES[text];
  const vector = /^vec([234])<(\w+)>$/.exec(text);
  if (vector) {
    const scalar = SCALAR_BYTES[vector[2]];
    if (scalar === undefined) return undefined;
    const n = Number(vector[1]);
    return scalar * (n === 3 ? 4 : n); // vec3 has the size and alignment of vec4 in an array
  }
  const array = /^array<(.+),(\d+)u?>$/.exec(text);
  if (array) {
    const element = typeBytes(array[1]);
    return element === undefined ? undefined : element * Number(array[2]);
  }
  return undefined;
}

/** Workgroup memory a kernel declares (`var<workgroup> name: T;`); types it cannot size are not counted. */
export function workgroupStorageBytes(wgsl: string): number {
  let total = 0;
  for (const match of wgsl.matchAll(/var<workgroup>\s+\w+\s*:\s*([^;]+);/g))
    total += typeBytes(match[1]) ?? 0;
  return total;
}
