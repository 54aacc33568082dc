// planMemory: buffers that share an allocation never have overlapping lifetimes, outputs keep their own, and
// the quickstart training plan needs far less memory with sharing.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../compiler/codegen/plan.ts';
import { memoryReport } from '../../compiler/passes/plan-memory.ts';
import { compileExperiment } from '../../compiler/index.ts';

function lifetimes(plan: Plan): Map<number, [number, number]> {
  const spans = new Map<number, [number, number]>();
  plan.kernels.forEach((kernel, k) => {
    for (const b of kernel.bindings) spans.set(b, [spans.get(b)?.[0] ?? k, k]);
  });
  return spans;
}

describe('planMemory', () => {
  const compiled = compileExperiment('experiments/quickstart.seg');

  it.each([
    ['train', compiled.trainPlan],
    ['eval', compiled.evalPlan],
  ])('%s plan: buffers sharing an allocation have disjoint lifetimes', (_name, plan) => {
    const spans = lifetimes(plan);
    const bySlot = new Map<number, number[]>();
    plan.buffers.forEach((b) =>
      bySlot.set(plan.slots![b.index], [...(bySlot.get(plan.slots![b.index]) ?? []), b.index]),
    );
    let shared = 0;
    for (const members of bySlot.values()) {
      if (members.length > 1) shared++;
      for (const m of members)
        expect(plan.slotBytes![plan.slots![m]]).toBeGreaterThanOrEqual(plan.buffers[m].bytes);
      const sorted = members.map((m) => spans.get(m)!).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThan(sorted[i - 1][1]);
      if (members.length > 1) for (const m of members) expect(plan.buffers[m].role).toBe('activation');
    }
    expect(shared).toBeGreaterThan(0);
    for (const o of plan.outputs) expect(bySlot.get(plan.slots![o.buffer])).toEqual([o.buffer]);
  });

  it('reports the peak of live bytes, a lower bound of any sharing, counted kernel by kernel', () => {
    for (const plan of [compiled.trainPlan, compiled.evalPlan]) {
      const spans = lifetimes(plan);
      const pinned = new Set(plan.outputs.map((o) => o.buffer));
      const shareable = (b: Plan['buffers'][number]) =>
        b.role === 'activation' && !pinned.has(b.index) && spans.has(b.index);
      const fixed = plan.buffers.filter((b) => !shareable(b)).reduce((n, b) => n + b.bytes, 0);
      let peak = 0;
      plan.kernels.forEach((_, k) => {
        const live = plan.buffers.filter(
          (b) => shareable(b) && spans.get(b.index)![0] <= k && k <= spans.get(b.index)![1],
        );
        peak = Math.max(peak, fixed + live.reduce((n, b) => n + b.bytes, 0));
      });
      const report = memoryReport(plan);
      expect(report.peak).toBe(peak);
      expect(report.allocated).toBeGreaterThanOrEqual(report.peak);
    }
  });

  it('cuts the quickstart training plan to well under half', () => {
    const report = memoryReport(compiled.trainPlan);
    expect(report.allocated).toBeLessThan(0.5 * report.total);
    expect(report.activations.after).toBeLessThan(report.activations.before);
  });
});

describe('fuseElementwise', () => {
  it('gives the quickstart training step far fewer kernels and bytes than one kernel per op', () => {
    const fused = compileExperiment('experiments/quickstart.seg').trainPlan;
    const unfused = compileExperiment('experiments/quickstart.seg', { fuse: false }).trainPlan;
    expect(fused.kernels.length).toBeLessThan(0.6 * unfused.kernels.length);
    expect(memoryReport(fused).total).toBeLessThan(0.6 * memoryReport(unfused).total);
  });
});
