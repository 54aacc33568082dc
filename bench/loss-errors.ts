// The largest relative errors of segc's losses against the PyTorch float64 goldens (test/golden/losses), over
// every case test/e2e/losses.test.ts checks (which only asserts each is under 1e-4): the loss, the terms, and
// the gradients w.r.t. the logits, the class weights and T. Run: npx tsx bench/loss-errors.ts
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModules } from '../compiler/resolve/index.ts';
import { openDevice } from '../runtime/device.ts';
import { computeGrad } from '../runtime/grad.ts';
import { relativeError } from '../test/helpers/gpu.ts';
import type { LossCase } from '../test/helpers/losses.ts';
import { writeLossInputs } from '../test/helpers/losses.ts';

const opened = await openDevice('auto');
const dir = mkdtempSync(join(tmpdir(), 'segc-loss-errors-'));
const definitions = resolveModules('stdlib/losses.seg').entry.definitions;
const worst: Record<string, { error: number; where: string }> = {};
const note = (what: string, error: number, where: string) => {
  if (!(worst[what]?.error >= error)) worst[what] = { error, where };
};
let cases = 0;
for (const file of readdirSync('test/golden/losses').sort()) {
  const loss = file.replace(/\.json$/, '');
  const params = definitions.get(loss)!.def.params.map((p) => p.name.name);
  for (const c of JSON.parse(readFileSync(join('test/golden/losses', file), 'utf8')) as LossCase[]) {
    const inputs = join(dir, 'in.safetensors');
    await writeLossInputs(inputs, c);
    const given = (k: string) => params.includes(k) && !(k === 'T' && c.grad_T !== undefined);
    const overrides = Object.fromEntries(Object.entries(c.params).filter(([k]) => given(k)));
    const r = await computeGrad('stdlib/losses.seg', {
      loss,
      inputs,
      out: join(dir, 'out.safetensors'),
      overrides,
      opened,
    });
    const where = `${loss} ${c.name}`;
    note('loss', relativeError(r.loss, [c.loss]), where);
    for (const [term, value] of Object.entries(c.terms))
      note('terms', relativeError(r[term], [value]), where);
    note('grad.z', relativeError(r['grad.z'], c.grad_z), where);
    if (c.grad_w) note('grad.w', relativeError(r['grad.w'], c.grad_w), where);
    if (c.grad_T !== undefined) note('grad.T', relativeError(r['grad.T'], [c.grad_T]), where);
    cases++;
  }
}
console.log(`${cases} cases; largest relative errors (limit in the test: 1e-4):`);
for (const [what, { error, where }] of Object.entries(worst))
  console.log(`  ${what.padEnd(7)} ${error.toExponential(2)}  (${where})`);
opened.device.destroy();
