// verifyPlan: a Plan's invariants, checked after codegen and memory planning in tests and under SEGC_VERIFY=1
// (see compiler/index.ts). A violation is a compiler bug (an InternalError naming the kernel or buffer).
import { InternalError } from '../../diagnostics/index.ts';
import type { Plan } from './plan.ts';

/**
 * Buffer indices are positions; kernels bind existing buffers, each once, and write only what they bind;
 * outputs and copies name existing buffers; with memory planning, each buffer fits its allocation, and
 * activations sharing an allocation are never bound by the same kernel range (first .. last use) at once.
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
  const users = new Map<number, number[]>();
  plan.buffers.forEach((b, i) => {
    const slot = plan.slots![i];
    if (!(plan.slotBytes![slot] >= b.bytes)) fault(`'${b.name}' (${b.bytes} bytes) is over its allocation`);
    users.set(slot, [...(users.get(slot) ?? []), i]);
  });
  for (const shared of users.values()) {
    if (shared.length < 2) continue;
    for (const i of shared) {
      if (plan.buffers[i].role !== 'activation') fault(`'${plan.buffers[i].name}' shares an allocation`);
    }
    const used = shared.filter((i) => first.has(i)).sort((a, b) => first.get(a)! - first.get(b)!);
    let latest = used[0];
    for (const i of used.slice(1)) {
      if (first.get(i)! <= last.get(latest)!) {
        const [a, b] = [plan.buffers[latest].name, plan.buffers[i].name];
        fault(`'${a}' and '${b}' share an allocation while both are live`);
      }
      if (last.get(i)! > last.get(latest)!) latest = i;
    }
  }
}
