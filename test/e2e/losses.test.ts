// Every stdlib loss with PyTorch golden values (test/golden/losses, from the upstream formulas, float64):
// value, named terms and gradients w.r.t. the logits (and the class weights) through `segc grad` on the GPU,
// for each loss x mode (multiclass, binary, multilabel) x ignore (none, some, an image all ignored) x weights
// x T x 2-D/3-D.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveModules } from '../../compiler/resolve/index.ts';
import { openDevice } from '../../runtime/device.ts';
import { computeGrad } from '../../runtime/grad.ts';
import { relativeError } from '../helpers/gpu.ts';
import type { LossCase } from '../helpers/losses.ts';
import { writeLossInputs } from '../helpers/losses.ts';

const scratch = mkdtempSync(join(tmpdir(), 'segc-losses-'));
const definitions = resolveModules('stdlib/losses.seg').entry.definitions;

/** Golden cases of the losses defined in `module`, from `directory`. */
function goldenCases(directory: string, module: string) {
  return readdirSync(directory).flatMap((file) => {
    const loss = file.replace(/\.json$/, '');
    const entries = JSON.parse(readFileSync(join(directory, file), 'utf8')) as LossCase[];
    return entries.map((c) => [`${module.split('/').pop()} ${loss} ${c.name}`, module, loss, c] as const);
  });
}

// The stdlib, and the spec's example of a user's own losses (the proof that a loss needs no TypeScript).
const cases = [
  ...goldenCases('test/golden/losses', 'stdlib/losses.seg'),
  ...goldenCases('test/golden/my_losses', 'test/fixtures/spec-examples/my_losses.seg'),
];

// One device for every case, so kernels shared between cases compile once.
const opened = await openDevice('auto');
afterAll(() => opened.device.destroy());

describe('stdlib losses match PyTorch', () => {
  it('covers every loss definition in std/losses', () => {
    const covered = new Set(
      cases.filter(([, module]) => module === 'stdlib/losses.seg').map(([, , loss]) => loss),
    );
    const losses = [...definitions.values()]
      .filter((d) => d.def.defKind === 'loss')
      .map((d) => d.def.name.name);
    expect(losses.filter((l) => !covered.has(l))).toEqual([]);
  });

  it.each(cases)('%s', async (label, module, loss, c) => {
    const inputs = join(scratch, `${label.replaceAll(' ', '-')}.safetensors`);
    await writeLossInputs(inputs, c);
    const own = resolveModules(module).entry.definitions.get(loss)!.def;
    const params = own.params.map((p) => p.name.name);
    // The example's losses run with their own defaults; the stdlib's with the case's alpha and T.
    const given = (k: string) => params.includes(k) && !(k === 'T' && c.grad_T !== undefined);
    const overrides =
      module === 'stdlib/losses.seg'
        ? Object.fromEntries(Object.entries(c.params).filter(([k]) => given(k)))
        : {};
    const results = await computeGrad(module, {
      loss,
      inputs,
      out: join(scratch, 'out.safetensors'),
      overrides,
      opened,
    });
    expect(relativeError(results.loss, [c.loss]), 'loss').toBeLessThan(1e-4);
    expect(Object.keys(results).filter((k) => k !== 'loss' && !k.startsWith('grad.'))).toEqual(
      Object.keys(c.terms),
    );
    for (const [term, value] of Object.entries(c.terms))
      expect(relativeError(results[term], [value]), term).toBeLessThan(1e-4);
    expect(relativeError(results['grad.z'], c.grad_z), 'grad.z').toBeLessThan(1e-4);
    if (c.grad_w) expect(relativeError(results['grad.w'], c.grad_w), 'grad.w').toBeLessThan(1e-4);
    if (c.grad_T !== undefined)
      expect(relativeError(results['grad.T'], [c.grad_T]), 'grad.T').toBeLessThan(1e-4);
  });
});
