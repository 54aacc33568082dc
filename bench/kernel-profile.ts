// Per-kernel GPU time of an experiment's training step, from timestamp queries: where the step's time goes.
// Usage: npx tsx bench/kernel-profile.ts [experiment.seg] [steps]  (SEGC_BENCH_SCALE/BATCH: bench-sizes.ts)
import { compileExperiment } from '../compiler/index.ts';
import { openDevice } from '../runtime/device.ts';
import { BufferStore, loadPlan } from '../runtime/executor.ts';
import { benchText } from './bench-sizes.ts';

const file = process.argv[2] ?? 'experiments/quickstart.seg';
const steps = Number(process.argv[3] ?? 2);
const { device, description, software } = await openDevice('auto');
const compiled = compileExperiment(file, { target: software ? 'cpu' : 'gpu', text: benchText(file) });
if (!device.features.has('timestamp-query')) throw new Error(`${description} has no timestamp-query`);
const store = new BufferStore(device);
const loaded = await loadPlan(store, compiled.trainPlan);
const kernels = compiled.trainPlan.kernels;
// WebGPU caps a query set at 4096 queries: 2048 kernels per set.
const PER_SET = 2048;
const sets = Array.from({ length: Math.ceil(kernels.length / PER_SET) }, () =>
  device.createQuerySet({ type: 'timestamp', count: PER_SET * 2 }),
);
const resolve = device.createBuffer({
  size: sets.length * PER_SET * 16,
  usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
});
const read = device.createBuffer({
  size: sets.length * PER_SET * 16,
  usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
});
const totals = new Float64Array(kernels.length);
for (let s = 0; s < steps; s++) {
  const encoder = device.createCommandEncoder();
  kernels.forEach((kernel, k) => {
    const at = (k % PER_SET) * 2;
    const pass = encoder.beginComputePass({
      timestampWrites: {
        querySet: sets[Math.floor(k / PER_SET)],
        beginningOfPassWriteIndex: at,
        endOfPassWriteIndex: at + 1,
      },
    });
    pass.setPipeline(loaded.pipelines[k]);
    pass.setBindGroup(0, loaded.bindGroups[k]);
    pass.dispatchWorkgroups(...kernel.dispatch);
    pass.end();
  });
  sets.forEach((set, q) => {
    const count = Math.min(PER_SET, kernels.length - q * PER_SET) * 2;
    encoder.resolveQuerySet(set, 0, count, resolve, q * PER_SET * 16);
  });
  encoder.copyBufferToBuffer(resolve, 0, read, 0, sets.length * PER_SET * 16);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const times = new BigInt64Array(read.getMappedRange().slice(0));
  read.unmap();
  kernels.forEach((_, k) => {
    const at = Math.floor(k / PER_SET) * PER_SET * 2 + (k % PER_SET) * 2;
    totals[k] += Number(times[at + 1] - times[at]) / 1e6 / steps;
  });
}
/** Which convolution kernel a conv kernel is (the lowering's choice), from its WGSL. */
function variant(wgsl: string): string {
  if (wgsl.includes('var<workgroup> As')) return ' (implicit GEMM)';
  if (wgsl.includes('var<workgroup> a_tile')) return ' (tiled GEMM)';
  if (wgsl.includes('let x0 = c_xb')) return ' (register-tiled)';
  return ' (direct)';
}
const byKind = new Map<string, number>();
kernels.forEach((kernel, k) => {
  const op =
    kernel.name.replace(/^train_\d+_/, '').replace(/^train_(adam|accumulate|\w+?)_.*/, '$1') +
    (kernel.kind === 'conv' ? variant(kernel.wgsl) : '');
  byKind.set(op, (byKind.get(op) ?? 0) + totals[k]);
});
const total = totals.reduce((a, b) => a + b, 0);
console.log(
  `${description}: ${kernels.length} kernels, ${total.toFixed(2)} ms per step (sum of kernel times)`,
);
for (const [op, ms] of [...byKind].sort((a, b) => b[1] - a[1]))
  console.log(`${op.padEnd(44)} ${ms.toFixed(2).padStart(10)} ms  ${((100 * ms) / total).toFixed(1)}%`);
const slowest = kernels
  .map((k, i) => [k.name, totals[i]] as const)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 12);
console.log('\nslowest kernels:');
for (const [name, ms] of slowest) console.log(`${name.padEnd(48)} ${ms.toFixed(2).padStart(10)} ms`);
device.destroy();
