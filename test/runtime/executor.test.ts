// The executor refuses names its plan does not have: a misspelt param or input is an error naming it and
// the plan's names, instead of a uniform silently left at 0 or an input never uploaded. Plans sharing their
// store's arenas take, largest first, the smallest free one that holds each of theirs.
import { describe, expect, it } from 'vitest';
import { generatePlan } from '../../compiler/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { UserError } from '../../diagnostics/index.ts';
import {
  BufferStore,
  arenaLoans,
  executePlan,
  loadPlan,
  readPlanBuffer,
  releasePlan,
} from '../../runtime/executor.ts';
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

describe('arenaLoans', () => {
  it('lends each arena, largest first, the smallest shared one that holds it and the plan has not taken', () => {
    // 500 takes the first 1024 (300 is too small), 250 the 300, 200 the second 1024 (the 300 is taken).
    expect(arenaLoans([1024, 1024, 300], [500, 200, 250])).toEqual([0, 1, 2]);
    // Equal sizes: the first; two arenas of one plan never share one.
    expect(arenaLoans([256, 256], [256, 256])).toEqual([0, 1]);
    // None holds 2048: a new one (index 2); the first 512 takes the 1024, the second a new one (3).
    expect(arenaLoans([1024, 100], [2048, 512, 512])).toEqual([2, 0, 3]);
    expect(arenaLoans([], [256])).toEqual([0]);
  });
});
