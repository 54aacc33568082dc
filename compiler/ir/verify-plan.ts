// verifyPlan: a Plan's invariants, checked after codegen and memory planning in tests and under SEGC_VERIFY=1
// (see compiler/index.ts). A violation is a compiler bug (an InternalError naming the kernel or buffer).
import { InternalError } from '../../diagnostics/index.ts';
import type { Plan } from './plan.ts';

/**
 * Buffer indices are positions; kernels bind existing buffers, each once, and write only what they bind;
 * outputs and copies name existing buffers; with memory planning, each buffer fits its allocation at an
 * aligned offset, activations sharing an allocation are written before they are read and never overlap in
 * bytes while both are live (first .. last use, or the step's end for outputs and copies), and no kernel
 * binds one allocation both read-only and writable.
 */
export function verifyPlan(plan: Plan): void {
  const fault = (message: string): never => {
    throw new InternalError(`plan verifier (${plan.name}): ${message}`);
  };
  const count = plan.buffers.length;
  const exists = (b: number, what: string) => {
    if (!Number.isInteger(b) || b < 0 || b >= count) fault(`${what} names buffer ${b} of ${count}`);
  };
  plan.buffers.forEach((b, i) => {
    if (b.index !== i) fault(`buffer ${i} ('${b.name}') has index ${b.index}`);
  });
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  plan.kernels.forEach((kernel, k) => {
    if (new Set(kernel.bindings).size !== kernel.bindings.length)
      fault(`${kernel.name} binds a buffer twice`);
    for (const b of kernel.bindings) {
      exists(b, kernel.name);
      if (!first.has(b)) first.set(b, k);
      last.set(b, k);
    }
    for (const b of kernel.writes) {
      if (!kernel.bindings.includes(b)) fault(`${kernel.name} writes buffer ${b}, which it does not bind`);
    }
  });
  for (const o of plan.outputs) exists(o.buffer, `output '${o.name}'`);
  for (const c of plan.copies) {
    exists(c.from, 'a copy');
    exists(c.to, 'a copy');
  }
  if (!plan.slots) return;
  if (plan.slots.length !== count) fault(`${plan.slots.length} slots for ${count} buffers`);
  const offsets = plan.offsets ?? new Array<number>(count).fill(0);
  if (offsets.length !== count) fault(`${offsets.length} offsets for ${count} buffers`);
  const users = new Map<number, number[]>();
  plan.buffers.forEach((b, i) => {
    const slot = plan.slots![i];
    if (offsets[i] % 256 !== 0) fault(`'${b.name}' is at offset ${offsets[i]}, not a multiple of 256`);
    if (!(plan.slotBytes![slot] >= offsets[i] + b.bytes))
      fault(`'${b.name}' (${b.bytes} bytes at ${offsets[i]}) is over its allocation`);
    users.set(slot, [...(users.get(slot) ?? []), i]);
  });
  // Outputs read after the step (all but 'tensor' ones) and copied buffers are live to its end.
  const end = plan.kernels.length;
  const kept = plan.outputs.filter((o) => o.role !== 'tensor').map((o) => o.buffer);
  for (const b of [...kept, ...plan.copies.flatMap((c) => [c.from, c.to])])
    if (first.has(b)) last.set(b, end);
  const shared = new Set<number>();
  for (const members of users.values()) {
    if (members.length < 2) continue;
    for (const i of members) {
      shared.add(i);
      if (plan.buffers[i].role !== 'activation') fault(`'${plan.buffers[i].name}' shares an allocation`);
      const k = first.get(i);
      if (k !== undefined && !plan.kernels[k].writes.includes(i))
        fault(`'${plan.buffers[i].name}' shares an allocation but is read before it is written`);
    }
    const byOffset = members.filter((i) => first.has(i)).sort((a, b) => offsets[a] - offsets[b]);
    byOffset.forEach((a, n) => {
      for (const b of byOffset.slice(n + 1)) {
        if (offsets[b] >= offsets[a] + plan.buffers[a].bytes) break;
        if (first.get(b)! <= last.get(a)! && first.get(a)! <= last.get(b)!) {
          const [x, y] = [plan.buffers[a].name, plan.buffers[b].name];
          fault(`'${x}' and '${y}' share an allocation while both are live`);
        }
      }
    });
  }
  // WebGPU refuses a dispatch using one GPUBuffer both read-only and writable, whatever the ranges.
  for (const kernel of plan.kernels) {
    const usage = new Map<number, Set<boolean>>();
    for (const b of kernel.bindings.filter((x) => shared.has(x))) {
      const slot = plan.slots[b];
      usage.set(slot, (usage.get(slot) ?? new Set()).add(kernel.writes.includes(b)));
    }
    for (const [slot, modes] of usage)
      if (modes.size > 1) fault(`${kernel.name} binds allocation ${slot} both read-only and writable`);
  }
}
