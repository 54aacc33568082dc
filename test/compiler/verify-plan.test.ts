// The verifiers the driver runs after each pass (in tests and under SEGC_VERIFY=1): a plan from the pipeline
// passes them, and each broken invariant is an InternalError naming what is wrong.
import { describe, expect, it } from 'vitest';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { verifyPlan } from '../../compiler/ir/verify-plan.ts';
import { fuseElementwise, verifyFusion } from '../../compiler/passes/index.ts';
import { InternalError } from '../../diagnostics/index.ts';

/** A chain of three reductions and pointwise ops, so memory planning shares allocations. */
function chain() {
  const b = new GraphBuilder();
  const x = b.add('input', [], { name: 'x', dims: ['N', 'C'], sizes: [4, 64] });
  const s1 = b.add('sum', [b.add('exp', [x])], { axes: ['C'] });
  const s2 = b.add('sum', [b.add('exp', [b.binary('mul', x, s1)])], { axes: ['N'] });
  b.output('y', b.add('sum', [b.add('exp', [s2])], { axes: ['C'] }));
  return b.graph();
}

describe('verifyPlan', () => {
  it('accepts the plan the pipeline makes, sharing allocations', () => {
    const plan = generatePlan(chain(), { name: 'chain', fuse: false });
    expect(() => verifyPlan(plan)).not.toThrow();
    expect(new Set(plan.slots).size).toBeLessThan(plan.buffers.length);
    expect(plan.arenas).toBeGreaterThan(0);
  });

  it('refuses two activations sharing an allocation while both are live', () => {
    const plan = generatePlan(chain(), { name: 'chain', fuse: false });
    const [a, b] = plan.kernels[1].bindings.filter((i) => plan.buffers[i].role === 'activation');
    plan.slots![b] = plan.slots![a];
    expect(() => verifyPlan(plan)).toThrow(InternalError);
    expect(() => verifyPlan(plan)).toThrow(/share an allocation while both are live/);
  });

  it('refuses a kernel binding one allocation read-only and writable, even in disjoint ranges', () => {
    const plan = generatePlan(chain(), { name: 'chain', fuse: false });
    const kernel = plan.kernels[1];
    const written = kernel.writes.find((i) => plan.buffers[i].role === 'activation')!;
    const read = kernel.bindings.find((i) => plan.buffers[i].role === 'activation' && i !== written)!;
    plan.slots![written] = plan.slots![read];
    plan.offsets![written] = plan.slotBytes![plan.slots![read]];
    plan.slotBytes![plan.slots![read]] += Math.ceil(plan.buffers[written].bytes / 256) * 256 + 256;
    expect(() => verifyPlan(plan)).toThrow(/binds allocation \d+ both read-only and writable/);
  });

  it('refuses a shared buffer at an unaligned offset', () => {
    const plan = generatePlan(chain(), { name: 'chain', fuse: false });
    const shared = plan.buffers.find((b) => plan.slots![b.index] < plan.arenas!)!;
    plan.offsets![shared.index] += 4;
    plan.slotBytes![plan.slots![shared.index]] += 4;
    expect(() => verifyPlan(plan)).toThrow(/is at offset \d+, not a multiple of 256/);
  });

  it('refuses a kernel writing a buffer it does not bind', () => {
    const plan = generatePlan(chain(), { name: 'chain' });
    plan.kernels[0].writes = [plan.buffers.length - 1];
    plan.kernels[0].bindings = plan.kernels[0].bindings.filter((i) => i !== plan.buffers.length - 1);
    expect(() => verifyPlan(plan)).toThrow(/writes buffer .* which it does not bind/);
  });
});

describe('verifyFusion', () => {
  it('accepts fusion of the graph and refuses roots out of dispatch order', () => {
    const graph = chain();
    const fusion = fuseElementwise(graph);
    expect(() => verifyFusion(graph, fusion)).not.toThrow();
    fusion.roots.reverse();
    expect(() => verifyFusion(graph, fusion)).toThrow(/kernel root %\d+ comes after %\d+/);
  });
});
