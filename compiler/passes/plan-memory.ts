// planMemory: lets activation buffers whose lifetimes (first write .. last read, in dispatch order) do not
// overlap share one allocation. Outputs, inputs, weights, state and accumulators keep buffers of their own.
import type { Plan } from '../ir/plan.ts';

export interface MemoryReport {
  /** Bytes of all buffers if none shared. */
  total: number;
  /** Bytes actually allocated after sharing. */
  allocated: number;
  /** Bytes of activation buffers before and after sharing. */
  activations: { before: number; after: number };
  /**
   * The most bytes live during one kernel: every buffer that is not a shareable activation, plus the
   * activations between their first write and last read. No sharing scheme can allocate less.
   */
  peak: number;
}

/** Assigns `plan.slots` (logical buffer → allocation) and returns the sizes of the allocations. */
export function planMemory(plan: Plan): void {
  const pinned = new Set(plan.outputs.map((o) => o.buffer));
  const { first, last } = lifetimes(plan);
  const slots: number[] = [];
  const slotBytes: number[] = [];
  const freeAt: number[] = []; // kernel index after which a slot is free again
  const order = plan.buffers.map((b) => b.index).sort((a, b) => (first.get(a) ?? -1) - (first.get(b) ?? -1));
  for (const index of order) {
    const buffer = plan.buffers[index];
    const shareable = buffer.role === 'activation' && !pinned.has(index) && first.has(index);
    if (shareable) {
      const start = first.get(index)!;
      // Best fit among free slots: the smallest that is large enough, else the largest (which then grows).
      let best = -1;
      for (let s = 0; s < slotBytes.length; s++) {
        if (freeAt[s] === undefined || freeAt[s] >= start) continue;
        const fits = slotBytes[s] >= buffer.bytes;
        const bestFits = best >= 0 && slotBytes[best] >= buffer.bytes;
        if (
          best < 0 ||
          (fits && (!bestFits || slotBytes[s] < slotBytes[best])) ||
          (!fits && !bestFits && slotBytes[s] > slotBytes[best])
        )
          best = s;
      }
      if (best >= 0) {
        slots[index] = best;
        slotBytes[best] = Math.max(slotBytes[best], buffer.bytes);
        freeAt[best] = last.get(index)!;
        continue;
      }
    }
    slots[index] = slotBytes.length;
    slotBytes.push(buffer.bytes);
    freeAt.push(shareable ? last.get(index)! : (undefined as unknown as number));
  }
  plan.slots = slots;
  plan.slotBytes = slotBytes;
}

/** First and last kernel (dispatch order) binding each buffer. */
function lifetimes(plan: Plan): { first: Map<number, number>; last: Map<number, number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  plan.kernels.forEach((kernel, k) => {
    for (const b of kernel.bindings) {
      if (!first.has(b)) first.set(b, k);
      last.set(b, k);
    }
  });
  return { first, last };
}

function peakBytes(plan: Plan): number {
  const pinned = new Set(plan.outputs.map((o) => o.buffer));
  const { first, last } = lifetimes(plan);
  const live = new Array<number>(plan.kernels.length + 1).fill(0);
  let fixed = 0;
  for (const buffer of plan.buffers) {
    const start = first.get(buffer.index);
    if (buffer.role !== 'activation' || pinned.has(buffer.index) || start === undefined) {
      fixed += buffer.bytes;
      continue;
    }
    live[start] += buffer.bytes;
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
  };
}
