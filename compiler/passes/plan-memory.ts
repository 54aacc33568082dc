// planMemory: places the activations of a plan at byte offsets in a few shared allocations (arenas), so that
// buffers whose lifetimes (first write .. last read, in dispatch order) overlap never overlap in memory.
// Weights, states, optimizer moments, inputs, accumulators and read-back tensors keep their own allocations.
import type { Plan } from '../ir/plan.ts';

/**
 * The largest arena planned (less where the device's maxBufferSize is less): a size lavapipe (4 GiB buffers)
 * and Dawn on an H200 (2 GiB storage bindings) allocate, and as tight as larger arenas on the paper networks
 * (bench/results/2026-12-02-memory-plan.txt).
 */
export const ARENA_BYTES = 2 ** 30;

/** WebGPU's largest minStorageBufferOffsetAlignment (a device's limit is 256 or a smaller power of two). */
export const OFFSET_ALIGNMENT = 256;

export interface MemoryOptions {
  /** The device's maxBufferSize, when known: no arena is planned larger (default ARENA_BYTES). */
  maxBufferSize?: number;
}

export interface MemoryReport {
  /** Bytes of all buffers if none shared. */
  total: number;
  /** Bytes actually allocated after sharing (arenas at their planned sizes). */
  allocated: number;
  /** Bytes of activation buffers before and after sharing. */
  activations: { before: number; after: number };
  /**
   * The most bytes live during one kernel: every buffer outside the arenas, plus the arena buffers between
   * their first write and last read (or the step's end, for those read after it). No placement can
   * allocate less.
   */
  peak: number;
  /** GPU buffers the plan creates for its arena buffers (the arenas; others have one each). */
  arenas: number;
}

/** When each buffer is live: first and last kernel (dispatch order) binding it; `end` for kept ones. */
interface Lifetimes {
  first: Map<number, number>;
  last: Map<number, number>;
  /** Buffers planned into arenas: activations first bound by a kernel that writes them. */
  arena: Set<number>;
}

/**
 * Buffer lifetimes in kernel order, both ends inclusive (a buffer written by kernel k is live at k, and so
 * is one last read at k). Outputs other than 'tensor' ones (losses, metric sums, gradients, new states) and
 * the sources of step-end copies stay live to the end (`kernels.length`): the copies and the runtime read
 * them after the step. 'tensor' outputs (predictions, logits) are bound whole by runtime kernels, so they
 * keep their own allocations, as do activations a kernel reads before any writes them.
 */
export function bufferLifetimes(plan: Plan): Lifetimes {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const written = new Set<number>();
  plan.kernels.forEach((kernel, k) => {
    for (const b of kernel.bindings) {
      if (!first.has(b)) {
        first.set(b, k);
        if (kernel.writes.includes(b)) written.add(b);
      }
      last.set(b, k);
    }
  });
  const end = plan.kernels.length;
  const own = new Set(plan.outputs.filter((o) => o.role === 'tensor').map((o) => o.buffer));
  const kept = [
    ...plan.outputs.filter((o) => o.role !== 'tensor').map((o) => o.buffer),
    ...plan.copies.flatMap((c) => [c.from, c.to]),
  ];
  for (const b of kept) if (first.has(b)) last.set(b, end);
  const arena = new Set(
    plan.buffers
      .filter((b) => b.role === 'activation' && written.has(b.index) && !own.has(b.index))
      .map((b) => b.index),
  );
  return { first, last, arena };
}

/**
 * Pairs of buffers one kernel binds read-only and writable: WebGPU refuses a dispatch that uses one
 * GPUBuffer both ways, even in disjoint ranges (a synchronization scope's usages of a buffer must all be
 * reads or all be writable storage, WebGPU §3.4.5), so such a pair must sit in different arenas.
 */
function conflicts(plan: Plan, arena: Set<number>): Map<number, number[]> {
  const pairs = new Map<number, Set<number>>();
  const add = (a: number, b: number) => {
    if (!pairs.has(a)) pairs.set(a, new Set());
    pairs.get(a)!.add(b);
  };
  for (const kernel of plan.kernels) {
    const writes = kernel.writes.filter((b) => arena.has(b));
    const reads = kernel.bindings.filter((b) => arena.has(b) && !kernel.writes.includes(b));
    for (const w of writes) {
      for (const r of reads) {
        add(w, r);
        add(r, w);
      }
    }
  }
  return new Map([...pairs].map(([b, set]) => [b, [...set]]));
}

interface Arena {
  capacity: number;
  bytes: number;
  /** Placed buffers: index, byte range and lifetime. */
  members: { index: number; offset: number; end: number; first: number; last: number }[];
}

/**
 * Assigns `plan.slots` (the allocation of each buffer), `plan.offsets` (its byte offset there) and
 * `plan.slotBytes` (each allocation's size). Arena buffers are placed largest first (ties: earliest first
 * write, then index, so the result is deterministic), each at the lowest offset where it overlaps no placed
 * buffer live at the same time, in the arena that grows least (ties: the first) among those holding no
 * buffer a kernel binds the other way (see conflicts); one that fits no arena opens another. Every other
 * buffer gets an allocation of its own.
 */
export function planMemory(plan: Plan, options: MemoryOptions = {}): void {
  const { first, last, arena } = bufferLifetimes(plan);
  const capacity = Math.min(ARENA_BYTES, alignDown(options.maxBufferSize ?? ARENA_BYTES));
  const opposed = conflicts(plan, arena);
  const arenaOf = new Map<number, number>();
  const offsetOf = new Map<number, number>();
  const arenas: Arena[] = [];
  const order = [...arena].sort(
    (a, b) => plan.buffers[b].bytes - plan.buffers[a].bytes || first.get(a)! - first.get(b)! || a - b,
  );
  for (const index of order) {
    const bytes = alignUp(plan.buffers[index].bytes);
    const [start, stop] = [first.get(index)!, last.get(index)!];
    const barred = new Set((opposed.get(index) ?? []).map((b) => arenaOf.get(b)));
    let chosen = arenas.length;
    let at = 0;
    let least = Infinity;
    arenas.forEach((candidate, a) => {
      const offset = barred.has(a) ? undefined : lowestGap(candidate, bytes, start, stop);
      if (offset === undefined) return;
      const growth = Math.max(0, offset + bytes - candidate.bytes);
      if (growth < least) [chosen, at, least] = [a, offset, growth];
    });
    if (chosen === arenas.length) arenas.push({ capacity: Math.max(capacity, bytes), bytes: 0, members: [] });
    const target = arenas[chosen];
    target.members.push({ index, offset: at, end: at + bytes, first: start, last: stop });
    target.bytes = Math.max(target.bytes, at + bytes);
    arenaOf.set(index, chosen);
    offsetOf.set(index, at);
  }
  const slots: number[] = [];
  const offsets: number[] = [];
  const slotBytes = arenas.map((a) => a.bytes);
  for (const buffer of plan.buffers) {
    const a = arenaOf.get(buffer.index);
    slots.push(a ?? slotBytes.length);
    offsets.push(offsetOf.get(buffer.index) ?? 0);
    if (a === undefined) slotBytes.push(buffer.bytes);
  }
  plan.slots = slots;
  plan.offsets = offsets;
  plan.slotBytes = slotBytes;
  plan.arenas = arenas.length;
}

/** The lowest aligned offset where `bytes` fit in the arena beside the members live in [start, stop]. */
function lowestGap(arena: Arena, bytes: number, start: number, stop: number): number | undefined {
  const live = arena.members
    .filter((m) => m.first <= stop && start <= m.last)
    .sort((a, b) => a.offset - b.offset);
  let offset = 0;
  for (const m of live) {
    if (m.offset - offset >= bytes) break;
    offset = Math.max(offset, m.end);
  }
  return offset + bytes <= arena.capacity ? offset : undefined;
}

const alignUp = (n: number) => Math.ceil(n / OFFSET_ALIGNMENT) * OFFSET_ALIGNMENT;
const alignDown = (n: number) => Math.floor(n / OFFSET_ALIGNMENT) * OFFSET_ALIGNMENT;

function peakBytes(plan: Plan): number {
  const { first, last, arena } = bufferLifetimes(plan);
  const live = new Array<number>(plan.kernels.length + 2).fill(0);
  let fixed = 0;
  for (const buffer of plan.buffers) {
    if (!arena.has(buffer.index)) {
      fixed += buffer.bytes;
      continue;
    }
    live[first.get(buffer.index)!] += buffer.bytes;
    live[last.get(buffer.index)! + 1] -= buffer.bytes;
  }
  let running = 0;
  let most = 0;
  for (const delta of live) {
    running += delta;
    most = Math.max(most, running);
  }
  return fixed + most;
}

export function memoryReport(plan: Plan): MemoryReport {
  const total = plan.buffers.reduce((n, b) => n + b.bytes, 0);
  const allocated = (plan.slotBytes ?? plan.buffers.map((b) => b.bytes)).reduce((n, b) => n + b, 0);
  const activation = plan.buffers.filter((b) => b.role === 'activation');
  const before = activation.reduce((n, b) => n + b.bytes, 0);
  return {
    total,
    allocated,
    activations: { before, after: before - (total - allocated) },
    peak: peakBytes(plan),
    arenas: plan.arenas ?? 0,
  };
}
