// The memory plan of the paper networks' plans, compiled for the GPU (no device, nothing executed): the bytes
// of every plan buffer with a buffer each (no plan), what the plan allocates (weights, optimizer state, own
// buffers and the activations' arenas) and the peak of live bytes it cannot go under, with compile times.
// Usage: npx tsx bench/memory-plan.ts [FILE...] (default: the three bench/paper_*.seg at their paper sizes)
import { compileExperiment, memoryReport } from '../compiler/index.ts';

const files = process.argv.slice(2);
const paper = ['paper_unet_r50', 'paper_fpn_r101', 'paper_deeplabv3plus_r50'].map((n) => `bench/${n}.seg`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0).padStart(6);
console.log(`${'file'.padEnd(36)}plan   kernels  no plan MiB  allocated MiB  peak MiB  arenas  compile s`);
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
}
