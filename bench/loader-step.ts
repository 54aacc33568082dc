// The training step with real data against the same step with its data already on the device (issue 12:
// the loader is never the bottleneck, within 5%). A tiny U-Net on the generated retinal_lesions set
// (bench/data-sets.ts: 896² JPEG + lesion PNGs, binary), batches of 4 assembled at 896² and resized to SIZE
// on the device (no `train augment`: on lavapipe the retinal recipe at 896² costs far more than this step).
//   real:   segc's Trainer, the loader decoding in worker threads while the device trains;
//   cached: the same with `cache`: after the first epoch no decode, the batches assembled from memory;
//   device: the same plan and augmenter, one batch uploaded once: per step only the resize and the step;
//   step:   the training plan alone on inputs already at its size.
// Steady state: the time between the synchronised steps 8 and 16 of epochs 2-5 (the Trainer waits for the
// device every 8 steps), median; the device loops wait as often. Also the time the Trainer waits for its next
// batch (Loader.batches wrapped). Without a GPU the device is lavapipe, on the same cores as the decoding
// threads: it competes with them (a GPU would not).
// Usage: npx tsx bench/loader-step.ts [SIZE] [WORKERS] [ROUNDS]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileExperiment, planLimits } from '../compiler/index.ts';
import { dataAugmenter, planInputs } from '../runtime/data/augment.ts';
import { batchParams } from '../runtime/data/augment-params.ts';
import { Loader } from '../runtime/data/loader.ts';
import { openDataset } from '../runtime/data/registry.ts';
import { openDevice } from '../runtime/device.ts';
import { BufferStore, executePlan, loadPlan, submitEncoded, writeBuffer } from '../runtime/executor.ts';
import { TrainingOptimizer } from '../runtime/optim/index.ts';
import { initialValues } from '../runtime/train/init.ts';
import { Trainer } from '../runtime/train/trainer.ts';
import { retinalSet } from './data-sets.ts';

const size = Number(process.argv[2] ?? 64);
const workers = Number(process.argv[3] ?? 0); // 0: the loader's default
const BATCH = 4;
const IMAGES = 64; // 16 steps an epoch
const EPOCHS = 5;
const SYNC = 8; // the Trainer's SYNC_EVERY
const ROUNDS = Number(process.argv[4] ?? 3);
const root = await retinalSet(IMAGES);
const work = mkdtempSync(join(tmpdir(), 'segc-loader-step-'));

function experiment(cache: number): string {
  const file = join(work, `retinal_${cache}.seg`);
  const text = [
    'import std/losses { ce }',
    'import std/nets { unet }',
    `experiment loader_step_${cache} {`,
    `  data = retinal_lesions(root = "${root}", size = [${size}, ${size}], binary = true,`,
    `                         label_values = [127, 255], cache = ${cache}, workers = ${workers})`,
    '  model = unet(in = 3, classes = 2, widths = [4, 8, 16])',
    '  loss = ce(logits, y)',
    '  optimizer = adam(lr = 1e-3)',
    `  train { epochs = ${EPOCHS}, batch = ${BATCH}, seed = 1 }`,
    '}',
  ].join('\n');
  writeFileSync(file, text);
  return file;
}

let runs = 0;

/**
 * Time the Trainer waits for its batches: Loader.batches wrapped, from each next() (the step asking for its
 * batch) to the batch, summed by epoch. Near 0: the batches were ready (decoded ahead); the rest of any
 * slowdown is the decoding threads' share of the cores.
 */
const waited = new Map<number, { batches: number; ms: number }>();
let epochOfBatches = 0;
const batches = Loader.prototype.batches;
Loader.prototype.batches = async function* (this: Loader, ...args: Parameters<Loader['batches']>) {
  const epoch = ++epochOfBatches;
  const inner = batches.apply(this, args);
  for (;;) {
    const start = performance.now();
    const next = await inner.next();
    if (next.done) return;
    const w = waited.get(epoch) ?? { batches: 0, ms: 0 };
    waited.set(epoch, { batches: w.batches + 1, ms: w.ms + performance.now() - start });
    yield next.value;
  }
};

/** ms per step between the synchronised steps 8 and 16 of each epoch after the first, median. */
async function trainer(cache: number): Promise<{ ms: number; wait: number }> {
  const at = new Map<string, number>();
  const trainer = new Trainer(experiment(cache), { out: join(work, `run_${runs++}`), device: 'auto' });
  trainer.on((event) => {
    if (event.type === 'step' && event.step % SYNC === 0)
      at.set(`${event.epoch}:${event.step}`, performance.now());
  });
  const start = performance.now();
  waited.clear();
  epochOfBatches = 0;
  await trainer.run();
  const windows = [];
  for (let e = 2; e <= EPOCHS; e++) windows.push((at.get(`${e}:16`)! - at.get(`${e}:8`)!) / SYNC);
  const ms = median(windows);
  // The training epochs' batches (evaluations ask for theirs too, in between): waits per step.
  const waits = [...waited.values()].filter((w) => w.batches === IMAGES / BATCH).map((w) => w.ms / w.batches);
  const run = ((performance.now() - start) / 1000).toFixed(0);
  console.error(
    `  trainer, cache ${cache}: ${windows.map((w) => w.toFixed(1)).join(', ')} ms/step (run ${run} s); ` +
      `the step's wait for its batch by epoch: ${waits.map((w) => w.toFixed(1)).join(', ')} ms`,
  );
  return { ms, wait: median(waits.slice(1)) };
}

/** ms per step of the same plan with its batch already on the device: with the resize, and the step alone. */
async function onDevice(): Promise<{ device: number; step: number; description: string }> {
  const { device, description, software } = await openDevice('auto');
  const file = experiment(0);
  const compiled = compileExperiment(file, {
    target: software ? 'cpu' : 'gpu',
    limits: planLimits(device.limits),
  });
  const store = new BufferStore(device);
  const train = await loadPlan(store, compiled.trainPlan);
  for (const [name, values] of initialValues(compiled.train.weights, 1)) {
    const trainable = compiled.train.weights.find((w) => w.name === name)!.trainable;
    writeBuffer(device, store.get(`${trainable ? 'weight' : 'state'}:${name}`, values.byteLength), values);
  }
  const rates = new TrainingOptimizer(compiled.config, compiled.train.weights, IMAGES / BATCH);
  const native: [number, number] = [896, 896];
  const augmenter = (await dataAugmenter(device, [], native, [size, size], BATCH, 3))!;
  const dataset = openDataset('retinal_lesions', { root, binary: true, label_values: [127, 255] });
  const loader = new Loader(dataset, { batch: BATCH, size: native, workers: 0 });
  const b = await loader.batchOf('train', [0, 1, 2, 3]);
  const targets = planInputs(train);
  submitEncoded(device, 'augment', augmenter.prepare(b.image, b.labels, [0, 1, 2, 3], 1, 0, targets)); // uploaded once
  const params = batchParams(augmenter.pipeline, 1, 0, [0, 1, 2, 3], BATCH);
  const params0 = Object.fromEntries(
    Object.entries(compiled.config.params).map(([k, v]) => [`param.${k}`, v]),
  );
  // As many 8-step windows as the Trainer's runs give (after a warm-up window), median.
  const time = async (withResize: boolean) => {
    const windows = [];
    let start = 0;
    for (let k = 0; k < EPOCHS * SYNC; k++) {
      // The resize in the step's command buffer, as the trainer encodes its augmentation.
      const encode = withResize ? augmenter.augment(params, targets) : undefined;
      executePlan(train, { uniforms: { ...params0, ...rates.uniforms(0, k, k + 1) }, encode });
      if (k % SYNC !== SYNC - 1) continue;
      await device.queue.onSubmittedWorkDone();
      if (k >= SYNC) windows.push((performance.now() - start) / SYNC);
      start = performance.now();
    }
    console.error(
      `  on the device, ${withResize ? 'resize + step' : 'step'}: ` +
        windows.map((w) => w.toFixed(1)).join(', '),
    );
    return median(windows);
  };
  const result = { device: await time(true), step: await time(false), description };
  device.destroy();
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

console.log(
  `loader-step: ${new Date().toISOString()}, ${availableParallelism()} cores, load average ${load()}`,
);
// Rounds of the four, alternating, so that the other users' load falls on each alike; medians over rounds.
const rounds: Record<string, number[]> = { real: [], cached: [], device: [], step: [], wait: [] };
let description = '';
for (let r = 0; r < ROUNDS; r++) {
  const real = await trainer(0);
  rounds.real.push(real.ms);
  rounds.wait.push(real.wait);
  rounds.cached.push((await trainer(1024)).ms);
  const d = await onDevice();
  rounds.device.push(d.device);
  rounds.step.push(d.step);
  description = d.description;
}
const m = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)]));
console.log(
  `device: ${description}; ${IMAGES} images, batch ${BATCH}, 896² -> ${size}², ` +
    `workers ${workers || 'default'}`,
);
console.log(
  `median of ${ROUNDS} rounds, ms per step (each round: the median of ${EPOCHS - 1} 8-step windows)`,
);
console.log(`real data (Trainer, loader):  ${m.real.toFixed(1)}   [${rounds.real.map((v) => v.toFixed(1))}]`);
console.log(
  `  of which waiting for batches: ${m.wait.toFixed(1)}   [${rounds.wait.map((v) => v.toFixed(1))}]`,
);
console.log(
  `cached in memory (Trainer):   ${m.cached.toFixed(1)}   [${rounds.cached.map((v) => v.toFixed(1))}]`,
);
console.log(
  `on the device (resize + step): ${m.device.toFixed(1)}   [${rounds.device.map((v) => v.toFixed(1))}]`,
);
console.log(`training step alone:          ${m.step.toFixed(1)}   [${rounds.step.map((v) => v.toFixed(1))}]`);
console.log(
  `real / on the device: ${(m.real / m.device).toFixed(3)}; ` +
    `cached / on the device: ${(m.cached / m.device).toFixed(3)}`,
);
console.log(`load average ${load()} at the end`);
