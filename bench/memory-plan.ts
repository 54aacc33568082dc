// The memory plan of the paper networks' plans, compiled for the GPU (no device, nothing executed): the bytes
// of every plan buffer with a buffer each (no plan), what the plan allocates (weights, optimizer state, own
// buffers and the activations' arenas) and the peak of live bytes it cannot go under, with compile times;
// then what a run holds with both plans loaded into one store (segc run), with the evaluation plan's arenas
// its own and in the training plan's (LoadOptions.shareArenas; uniform buffers left out).
// Usage: npx tsx bench/memory-plan.ts [FILE...] (default: the three bench/paper_*.seg at their paper sizes)
import type { Plan } from '../compiler/index.ts';
import { compileExperiment, memoryReport } from '../compiler/index.ts';
import { arenaLoans } from '../runtime/executor.ts';

/** The bytes of one store holding `plans` (as loadPlan allocates them), their arenas shared or not. */
function processBytes(plans: Plan[], share: boolean): number {
  const named = new Map<string, number>();
  let own = 0;
  const shared: number[] = [];
  for (const plan of plans) {
    const arenas = plan.slotBytes!.slice(0, plan.arenas);
    if (share) {
      arenaLoans(shared, arenas).forEach((i, slot) => (shared[i] ??= arenas[slot]));
    } else own += arenas.reduce((n, b) => n + b, 0);
    for (const b of plan.buffers) {
      if (!['activation', 'input', 'accumulator'].includes(b.role)) named.set(b.name, b.bytes);
      else if (plan.slots![b.index] >= plan.arenas!) own += plan.slotBytes![plan.slots![b.index]];
    }
  }
  return [...named.values(), ...shared].reduce((n, b) => n + b, own);
}

const files = process.argv.slice(2);
const paper = ['paper_unet_r50', 'paper_fpn_r101', 'paper_deeplabv3plus_r50'].map((n) => `bench/${n}.seg`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0).padStart(6);
console.log(`${'file'.padEnd(36)}plan   kernels  no plan MiB  allocated MiB  peak MiB  arenas  compile s`);
const processes: string[] = [];
for (const file of files.length > 0 ? files : paper) {
  const started = performance.now();
  const compiled = compileExperiment(file, { target: 'gpu' });
  const seconds = (performance.now() - started) / 1000;
  for (const plan of [compiled.trainPlan, compiled.evalPlan]) {
    const r = memoryReport(plan);
    console.log(
      `${file.padEnd(36)}${plan.name.padEnd(7)}${String(plan.kernels.length).padStart(7)}` +
        `${mib(r.total).padStart(13)}${mib(r.allocated).padStart(15)}${mib(r.peak).padStart(10)}` +
        `${String(r.arenas).padStart(8)}${seconds.toFixed(2).padStart(11)}`,
    );
  }
  const plans = [compiled.trainPlan, compiled.evalPlan];
  const [apart, shared] = [processBytes(plans, false), processBytes(plans, true)];
  processes.push(`${file.padEnd(36)}${mib(apart).padStart(20)}${mib(shared).padStart(22)}`);
}
console.log(`\n${'file'.padEnd(36)}train + eval MiB: apart  arenas shared MiB`);
for (const line of processes) console.log(line);
