// One paper network's training step, peak memory and eval throughput, in the terms of
// ../shared/device/torch_paper.py (its line format, so gpu-run.sh can set them side by side): train step
// median of `steps` (after 5 warm-up steps), the bytes of every GPU buffer the training plan holds (weights,
// optimizer state, its activation arenas and own buffers: segc plans its memory ahead, so this is its peak;
// torch_paper.py's is max_memory_allocated), and the eval forward's images/s; at the end, the bytes with the
// eval plan loaded beside it (sharing its arenas, as in segc run).
// Usage: npx tsx bench/paper-step.ts experiment.seg [steps]
// SEGC_BENCH_SCALE and SEGC_BENCH_BATCH shrink it (bench-sizes.ts). The line names the network as
// torch_paper.py does (paper_unet_r50.seg: unet-r50).
import { basename } from 'node:path';
import { compileExperiment, planLimits } from '../compiler/index.ts';
import type { Plan } from '../compiler/index.ts';
import { openDevice } from '../runtime/device.ts';
import type { LoadedPlan } from '../runtime/executor.ts';
import { BufferStore, bufferBytes, executePlan, loadPlan } from '../runtime/executor.ts';
import { benchText } from './bench-sizes.ts';

const file = process.argv[2] ?? 'bench/paper_unet_r50.seg';
const steps = Number(process.argv[3] ?? 20);

const { device, description, software } = await openDevice('auto');
const started = performance.now();
const compiled = compileExperiment(file, {
  target: software ? 'cpu' : 'gpu',
  text: benchText(file),
  limits: planLimits(device.limits),
});
const compileSeconds = (performance.now() - started) / 1000;
const store = new BufferStore(device);
const loadStart = performance.now();
const train = await loadPlan(store, compiled.trainPlan, { shareArenas: true });
const trainBytes = bufferBytes([train]);
const evaluation = await loadPlan(store, compiled.evalPlan, { shareArenas: true });
const processBytes = bufferBytes([train, evaluation]);
const loadSeconds = (performance.now() - loadStart) / 1000;
const { channels, height, width, classes } = compiled.shape;
const b = compiled.shape.batch;
const image = new Uint8Array(b * channels * height * width).map((_, i) => (i * 37) % 251);
const labels = new Uint8Array(b * height * width).map((_, i) => (i >> 7) % Math.max(2, classes));

/** Every uniform of the plan: step sizes small, the loss parameters as the experiment's, the rest 1. */
function uniforms(plan: Plan): Record<string, number> {
  const known: Record<string, number> = { 'param.alpha': 1, 'param.T': 10 };
  return Object.fromEntries(
    plan.uniforms.map((name) => [name, known[name] ?? (/lr|step_size/.test(name) ? 1e-4 : 1)]),
  );
}

async function median(loaded: LoadedPlan, inputs: Record<string, Uint8Array>, count: number, warm: number) {
  const step = { uniforms: uniforms(loaded.plan), inputs };
  for (let i = 0; i < warm; i++) executePlan(loaded, step);
  await device.queue.onSubmittedWorkDone();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    executePlan(loaded, step);
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return { median: times[Math.floor(times.length / 2)], mean: times.reduce((x, y) => x + y, 0) / count };
}

const name = basename(file, '.seg')
  .replace(/^paper_/, '')
  .replaceAll('_', '-');
const warm = software ? 1 : 5;
const step = await median(train, { image, labels }, steps, warm);
const evalInputs: Record<string, Uint8Array> = compiled.evalPlan.buffers.some(
  (x) => x.name === 'input:labels',
)
  ? { image, labels }
  : { image };
const forward = await median(evaluation, evalInputs, steps, warm);
console.log(
  `segc ${name} fp32 B=${b} ${height}x${width}: train step median ${step.median.toFixed(1)} ms, ` +
    `peak ${(trainBytes / 2 ** 20).toFixed(0)} MiB, eval forward ${forward.median.toFixed(1)} ms ` +
    `(${((b * 1000) / forward.median).toFixed(0)} img/s) ` +
    `[${description}; ${compiled.trainPlan.kernels.length} ` +
    `train kernels; compile ${compileSeconds.toFixed(2)} s, pipelines ${loadSeconds.toFixed(1)} s; ` +
    `${(processBytes / 2 ** 20).toFixed(0)} MiB with the eval plan]`,
);
device.destroy();
