// Per-kernel GPU time of an experiment's training step, from timestamp queries: where the step's time goes.
// Usage: npx tsx bench/kernel-profile.ts [experiment.seg] [steps]
import { compileExperiment } from '../compiler/index.ts';
import { openDevice } from '../runtime/device.ts';
import { BufferStore, loadPlan } from '../runtime/executor.ts';

const file = process.argv[2] ?? 'experiments/quickstart.seg';
const steps = Number(process.argv[3] ?? 2);
const { device, description, software } = await openDevice('auto');
const compiled = compileExperiment(file, { target: software ? 'cpu' : 'gpu' });
if (!device.features.has('timestamp-query')) throw new Error(`${description} has no timestamp-query`);
const store = new BufferStore(device);
const loaded = await loadPlan(store, compiled.trainPlan);
const kernels = compiled.trainPlan.kernels;
const querySet = device.createQuerySet({ type: 'timestamp', count: kernels.length * 2 });
const resolve = device.createBuffer({
  size: kernels.length * 16,
  usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
});
const read = device.createBuffer({
  size: kernels.length * 16,
  usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
});
const totals = new Float64Array(kernels.length);
for (let s = 0; s < steps; s++) {
  const encoder = device.createCommandEncoder();
  kernels.forEach((kernel, k) => {
    const pass = encoder.beginComputePass({
      timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 },
    });
    pass.setPipeline(loaded.pipelines[k]);
    pass.setBindGroup(0, loaded.bindGroups[k]);
    pass.dispatchWorkgroups(...kernel.dispatch);
    pass.end();
  });
  encoder.resolveQuerySet(querySet, 0, kernels.length * 2, resolve, 0);
  encoder.copyBufferToBuffer(resolve, 0, read, 0, kernels.length * 16);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const times = new BigInt64Array(read.getMappedRange().slice(0));
  read.unmap();
  kernels.forEach((_, k) => (totals[k] += Number(times[2 * k + 1] - times[2 * k]) / 1e6 / steps));
}
const byKind = new Map<string, number>();
kernels.forEach((kernel, k) => {
  const op = kernel.name.replace(/^train_\d+_/, '').replace(/^train_(adam|accumulate)_.*/, '$1');
  byKind.set(op, (byKind.get(op) ?? 0) + totals[k]);
});
const total = totals.reduce((a, b) => a + b, 0);
console.log(
  `${description}: ${kernels.length} kernels, ${total.toFixed(2)} ms per step (sum of kernel times)`,
);
for (const [op, ms] of [...byKind].sort((a, b) => b[1] - a[1]))
  console.log(`${op.padEnd(24)} ${ms.toFixed(2).padStart(10)} ms  ${((100 * ms) / total).toFixed(1)}%`);
const slowest = kernels
  .map((k, i) => [k.name, totals[i]] as const)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 12);
console.log('\nslowest kernels:');
for (const [name, ms] of slowest) console.log(`${name.padEnd(40)} ${ms.toFixed(2).padStart(10)} ms`);
device.destroy();
