// Wall time of one training step (one command buffer) of an experiment, averaged after warm-up.
// Usage: npx tsx bench/train-step.ts [experiment.seg] [steps] [--set key=value ...]
import { compileExperiment } from '../compiler/index.ts';
import { openDevice } from '../runtime/device.ts';
import { BufferStore, executePlan, loadPlan } from '../runtime/executor.ts';

export async function timeTrainStep(
  file: string,
  steps: number,
): Promise<{ ms: number; kernels: number; device: string }> {
  const { device, description, software } = await openDevice('auto');
  const compiled = compileExperiment(file, { target: software ? 'cpu' : 'gpu' });
  const store = new BufferStore(device);
  const loaded = await loadPlan(store, compiled.trainPlan);
  const { batch, channels, height, width } = compiled.shape;
  const image = new Uint8Array(batch * channels * height * width).map((_, i) => (i * 37) % 251);
  const labels = new Uint8Array(batch * height * width).map((_, i) => (i >> 7) % compiled.shape.classes);
  const uniforms = { 'adam.step_size': 1e-3, 'adam.bias2': 1, 'param.alpha': 1, 'param.T': 10 };
  const run = () => executePlan(loaded, { uniforms, inputs: { image, labels } });
  run();
  await device.queue.onSubmittedWorkDone();
  const start = performance.now();
  for (let s = 0; s < steps; s++) run();
  await device.queue.onSubmittedWorkDone();
  const ms = (performance.now() - start) / steps;
  device.destroy();
  return { ms, kernels: compiled.trainPlan.kernels.length, device: description };
}

{
  const file = process.argv[2] ?? 'experiments/quickstart.seg';
  const result = await timeTrainStep(file, Number(process.argv[3] ?? 3));
  console.log(
    `${file} on ${result.device}: ${result.ms.toFixed(1)} ms per training step, ${result.kernels} kernels`,
  );
}
