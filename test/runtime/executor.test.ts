// The executor refuses names its plan does not have: a misspelt param or input is an error naming it and
// the plan's names, instead of a uniform silently left at 0 or an input never uploaded.
import { describe, expect, it } from 'vitest';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { UserError } from '../../diagnostics/index.ts';
import { BufferStore, executePlan, loadPlan, readPlanBuffer, releasePlan } from '../../runtime/executor.ts';
import { testDevice } from '../helpers/gpu.ts';

/** y = alpha * x for x = [1, 2, 3, 4]. */
function scaled() {
  const b = new GraphBuilder();
  const x = b.add('input', [], { name: 'x', dims: ['N'], sizes: [4] });
  const alpha = b.add('uniform', [], { name: 'param.alpha' });
  b.add('uniform', [], { name: 'param.unused' });
  b.output('y', b.binary('mul', x, alpha));
  return generatePlan(b.graph(), { name: 'scaled' });
}

const x = new Float32Array([1, 2, 3, 4]);

describe('executePlan', () => {
  it("sets the uniforms it is given by name (a param the plan's graph has but does not read is ignored)", async () => {
    const { device } = await testDevice();
    const plan = scaled();
    const loaded = await loadPlan(new BufferStore(device), plan);
    executePlan(loaded, { uniforms: { 'param.alpha': 2.5, 'param.unused': 7 }, inputs: { x } });
    const y = plan.outputs.find((o) => o.name === 'y')!;
    expect(Array.from((await readPlanBuffer(loaded, y.buffer)).slice(0, 4))).toEqual([2.5, 5, 7.5, 10]);
    releasePlan(loaded);
  });

  it('refuses a uniform name the plan has not', async () => {
    const { device } = await testDevice();
    const loaded = await loadPlan(new BufferStore(device), scaled());
    const run = () => executePlan(loaded, { uniforms: { 'param.alpah': 2.5 }, inputs: { x } });
    expect(run).toThrow(UserError);
    expect(run).toThrow(
      "Plan 'scaled' has no uniform 'param.alpah'; its uniforms are 'param.alpha', 'param.unused'.",
    );
    releasePlan(loaded);
  });

  it('refuses an input name the plan has not', async () => {
    const { device } = await testDevice();
    const loaded = await loadPlan(new BufferStore(device), scaled());
    expect(() => executePlan(loaded, { inputs: { image: x } })).toThrow(
      "Plan 'scaled' has no input 'image'; its inputs are 'x'.",
    );
    releasePlan(loaded);
  });
});
