// The Plan: what codegen makes of a graph and the runtime executes: buffers (by role), WGSL kernels in
// dispatch order, outputs and step-end copies; memory planning (passes/) assigns its allocations. Types only.
import type { Graph, Output } from './types.ts';

export type BufferRole = 'input' | 'weight' | 'state' | 'optimizer' | 'activation' | 'accumulator';

export interface PlanBuffer {
  index: number;
  /** Weights, states and optimizer moments are named `<role>:<path>` and shared by every plan of a model. */
  name: string;
  role: BufferRole;
  elements: number;
  dtype: 'f32' | 'u8';
  bytes: number;
  /**
   * The IR node whose value it holds (a weight's node for its Adam moments, a reduction's for its partials).
   */
  node?: number;
}

export interface PlanKernel {
  name: string;
  kind: string;
  wgsl: string;
  /** Buffer indices in binding order; the uniform buffer, when used, follows them. */
  bindings: number[];
  writes: number[];
  usesUniforms: boolean;
  /**
   * u32 values bound as the kernel's `sizes` uniform, after the uniform buffer (CPU adapter plans: kernels
   * that differ only in these share one WGSL text and so one pipeline).
   */
  sizes?: number[];
  /** Threads per workgroup (all kernels are 1-D workgroups). */
  workgroup: number;
  /**
   * Workgroup grid: x alone, or x * y (>= the workgroups needed) when x would exceed the per-dimension limit.
   */
  dispatch: [number, number, number];
  nodes: number[];
}

export interface PlanOutput {
  name: string;
  role: Output['role'];
  buffer: number;
  elements: number;
  /** Offset of this value in the accumulator buffer, when accumulated. */
  offset?: number;
}

export interface Plan {
  name: string;
  graph: Graph;
  buffers: PlanBuffer[];
  kernels: PlanKernel[];
  /** Uniform slot names, in slot order. */
  uniforms: string[];
  outputs: PlanOutput[];
  /** Buffer copies after the kernels: new running statistics into their state buffers. */
  copies: { from: number; to: number }[];
  accumulator?: number;
  /** Step number (1-based) of the first non-finite loss, or 0; training plans only. */
  guard?: number;
  /**
   * Allocation of each buffer (planMemory): activations share a few arenas, at byte `offsets` (multiples of
   * 256) that never overlap while both are live; every other buffer has an allocation of its own.
   */
  slots?: number[];
  /** Byte offset of each buffer in its allocation. */
  offsets?: number[];
  /** Bytes of each allocation. */
  slotBytes?: number[];
  /** How many of the allocations are arenas (the first ones). */
  arenas?: number;
}
