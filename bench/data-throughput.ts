// Decode + augment throughput (images/s) of segc's loader against Python doing the same work, side by side in
// one run (issue 12's speed goal: >= 1.0x per core). Sets (bench/data-sets.ts, generated into /tmp):
// retinal_lesions (896² JPEG + lesion PNGs, recipe std/augment retinal_train to 512²), cityscapes (1024×2048
// PNG + labelTrainIds, recipe cityscapes_train to 512×1024 crops) and the labelme-examples photos read as voc
// (decode only). Batches of 8 at the images' own size, as the trainer assembles them.
//   segc decode:    the Loader (sharp / fast-png in worker threads, batch assembly) at W worker threads.
//   segc + GPU aug: the same batches uploaded and put through the recipe's WGSL stages
//                   (runtime/data/augment.ts); without a GPU the device is Mesa lavapipe, on the same CPU
//                   cores as the decoding.
//   GPU aug alone:  the augmentation of one batch already decoded, repeated (what the device costs).
//   Python:         bench/parity/augment_cv2.py: PIL decode (+ the recipe in OpenCV/NumPy, normalised and
//                   stacked as upstream), one process per core.
// Each figure: the median of TRIALS trials, the sides alternating; ratio = segc / Python at one worker count.
// Usage: npx tsx bench/data-throughput.ts [TRIALS] [SCALE]   (SCALE multiplies the images per trial)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { stageExperiment } from '../compiler/index.ts';
import type { Setting } from '../compiler/index.ts';
import { dataAugmenter } from '../runtime/data/augment.ts';
import type { Augmenter } from '../runtime/data/augment.ts';
import { Loader } from '../runtime/data/loader.ts';
import { submitEncoded } from '../runtime/executor.ts';
import { openDataset } from '../runtime/data/registry.ts';
import type { ListedDataset } from '../runtime/data/registry.ts';
import { openDevice } from '../runtime/device.ts';
import { LABELME_VOC, cityscapesSet, retinalSet } from './data-sets.ts';

const trials = Number(process.argv[2] ?? 3);
const scale = Number(process.argv[3] ?? 1);
const BATCH = 8;
const WORKERS = [1, 2];
const PYTHON = '/usr/bin/python3';
const PARITY = 'bench/parity/augment_cv2.py';

interface BenchSet {
  name: string;
  recipe: 'retinal' | 'cityscapes' | 'voc';
  dataset: ListedDataset;
  /** Where batches are assembled (the images' own size; voc's as the old decode bench). */
  frame: [number, number];
  /** The recipe's output size and transforms (none for voc). */
  output?: [number, number];
  transforms?: Setting;
  /** Images per trial: decoding, and with the recipe (on lavapipe the retinal recipe runs ~1 image/s). */
  images: number;
  augmented?: number;
}

/** The `train augment` list of a std/augment recipe, as an experiment on `dataset` would stage it. */
function recipe(data: string, name: string, classes: number): Setting {
  const text = [
    `import std/augment { ${name}, imagenet }`,
    'import std/losses { ce }',
    'import std/nets { unet }',
    'experiment bench {',
    `  data = ${data} { train augment = ${name} }`,
    `  model = unet(in = 3, classes = ${classes}, widths = [2])`,
    '  loss = ce(logits, y)',
    '  optimizer = adam(lr = 1e-3)',
    '  train { epochs = 1, batch = 1 }',
    '}',
  ].join('\n');
  const staged = stageExperiment(join('bench', 'data-throughput.seg'), { text, check: true });
  return staged.spec.blocks!.data!['train augment'];
}

const retinalRoot = await retinalSet(16);
const cityscapesRoot = await cityscapesSet(8);
const sets: BenchSet[] = [
  {
    name: 'retinal_lesions 896² JPEG',
    recipe: 'retinal',
    dataset: openDataset('retinal_lesions', { root: retinalRoot, binary: true, label_values: [127, 255] }),
    frame: [896, 896],
    output: [512, 512],
    transforms: recipe(
      `retinal_lesions(root = "${retinalRoot}", size = [512, 512], binary = true, label_values = [127, 255])`,
      'retinal_train',
      2,
    ),
    images: 128 * scale,
    augmented: 32 * scale,
  },
  {
    name: 'cityscapes 1024×2048 PNG',
    recipe: 'cityscapes',
    dataset: openDataset('cityscapes', { root: cityscapesRoot }),
    frame: [1024, 2048],
    output: [512, 1024],
    transforms: recipe(
      `cityscapes(root = "${cityscapesRoot}", train_crop = [512, 1024])`,
      'cityscapes_train',
      19,
    ),
    images: 48 * scale,
    augmented: 24 * scale,
  },
  {
    name: 'voc labelme-examples ~500×375 JPEG',
    recipe: 'voc',
    dataset: openDataset('voc', { root: LABELME_VOC }),
    frame: [480, 512],
    images: 120 * scale,
  },
];

const { device, description } = await openDevice('auto');

/** The sample order of a trial: the split's indices repeated to `images` (`augmented` with the recipe). */
const orderOf = (set: BenchSet, augmented = false) => {
  const n = set.dataset.count('train');
  const images = augmented ? set.augmented! : set.images;
  return Array.from({ length: Math.ceil(images / n) * n }, (_, i) => i % n);
};

async function segc(set: BenchSet, workers: number, augmenter?: Augmenter): Promise<number> {
  const loader = new Loader(set.dataset, { batch: BATCH, size: set.frame, workers });
  const order = orderOf(set, augmenter !== undefined);
  const targets = augmenter && {
    image: gpuBuffer(BATCH * 3 * set.output![0] * set.output![1]),
    labels: gpuBuffer(BATCH * set.output![0] * set.output![1]),
  };
  const consume = async (batches: AsyncIterable<{ image: Uint8Array; labels: Uint8Array }>) => {
    let k = 0;
    for await (const b of batches) {
      if (!augmenter) continue;
      const samples = order.slice(k * BATCH, (k + 1) * BATCH);
      submitEncoded(device, 'augment', augmenter.prepare(b.image, b.labels, samples, 1, 0, targets!));
      if (++k % 2 === 0) await device.queue.onSubmittedWorkDone();
    }
    await device.queue.onSubmittedWorkDone();
  };
  // Warm-up: threads, libraries, kernels.
  await consume(loader.batches('train', order.slice(0, (augmenter ? 1 : 2) * BATCH)));
  const start = performance.now();
  await consume(loader.batches('train', order, undefined, { recycle: true })); // as the trainer asks
  const seconds = (performance.now() - start) / 1000;
  await loader.close();
  targets?.image.destroy();
  targets?.labels.destroy();
  return order.length / seconds;
}

function gpuBuffer(bytes: number): GPUBuffer {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  return device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage });
}

/** The augmentation alone: one decoded batch, uploaded and augmented `images / BATCH` times. */
async function augmentOnly(set: BenchSet, augmenter: Augmenter): Promise<number> {
  const loader = new Loader(set.dataset, { batch: BATCH, size: set.frame, workers: 0 });
  const b = await loader.batchOf('train', orderOf(set).slice(0, BATCH));
  const [h, w] = set.output!;
  const targets = { image: gpuBuffer(BATCH * 3 * h * w), labels: gpuBuffer(BATCH * h * w) };
  const batches = Math.ceil(set.augmented! / BATCH);
  const samples = [...Array(BATCH).keys()];
  submitEncoded(device, 'augment', augmenter.prepare(b.image, b.labels, samples, 1, 0, targets));
  await device.queue.onSubmittedWorkDone();
  const start = performance.now();
  for (let k = 0; k < batches; k++) {
    submitEncoded(device, 'augment', augmenter.prepare(b.image, b.labels, samples, 1, k, targets));
    if (k % 2 === 1) await device.queue.onSubmittedWorkDone();
  }
  await device.queue.onSubmittedWorkDone();
  const seconds = (performance.now() - start) / 1000;
  targets.image.destroy();
  targets.labels.destroy();
  return (batches * BATCH) / seconds;
}

/** bench/parity/augment_cv2.py on the same files (one sample per line, tab-separated). */
function python(set: BenchSet, mode: 'decode' | 'augment', processes: number): number {
  const list = `/tmp/segc-bench-data/${set.recipe}.list`;
  const lines = [...Array(set.dataset.count('train')).keys()].map((i) => {
    const e = set.dataset.entry!('train', i);
    const files =
      e.kind === 'lesions' ? [e.image, ...e.masks.filter((m) => m)] : [e.image, 'mask' in e && e.mask];
    return files.join('\t');
  });
  writeFileSync(list, lines.join('\n') + '\n');
  const rounds = orderOf(set, mode === 'augment').length / lines.length;
  const [h, w] = mode === 'augment' ? set.output! : set.frame;
  const args = [PARITY, set.recipe, mode, rounds, processes, BATCH, h, w, list].map(String);
  return Number(execFileSync(PYTHON, args, { encoding: 'utf8' }).trim());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const uptime = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;

const header = [
  `data-throughput: ${new Date().toISOString()}, ${availableParallelism()} cores, ${uptime()} at the start`,
  `device: ${description}; sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), ` +
    execFileSync(
      PYTHON,
      [
        '-c',
        'import PIL, cv2, numpy; print(f"PIL {PIL.__version__}, OpenCV ' +
          '{cv2.__version__}, NumPy {numpy.__version__}")',
      ],
      { encoding: 'utf8' },
    ).trim(),
  `batch ${BATCH}, median of ${trials} trials (segc and Python alternating); images/s`,
];
console.log(header.join('\n'));
const rows: string[][] = [];
for (const set of sets) {
  const augmenter = set.transforms
    ? await dataAugmenter(device, set.transforms, set.frame, set.output!, BATCH, 3)
    : undefined;
  const runs: Record<string, number[]> = {};
  const note = (key: string, value: number) => (runs[key] ??= []).push(value);
  for (let t = 0; t < trials; t++) {
    for (const w of WORKERS) {
      note(`segc decode ${w}`, await segc(set, w));
      note(`python decode ${w}`, python(set, 'decode', w));
      if (!augmenter) continue;
      note(`segc augment ${w}`, await segc(set, w, augmenter));
      note(`python augment ${w}`, python(set, 'augment', w));
    }
    if (augmenter) note('gpu augment', await augmentOnly(set, augmenter));
  }
  augmenter?.destroy();
  const m = (key: string) => median(runs[key]);
  for (const w of WORKERS) {
    const row = (what: string, a: number, b: number) =>
      rows.push([set.name, what, String(w), a.toFixed(1), b.toFixed(1), (a / b).toFixed(2)]);
    row('decode + batch', m(`segc decode ${w}`), m(`python decode ${w}`));
    if (augmenter) row('decode + recipe', m(`segc augment ${w}`), m(`python augment ${w}`));
  }
  if (augmenter) rows.push([set.name, 'GPU augmentation alone', '-', m('gpu augment').toFixed(1), '', '']);
  console.error(`${set.name}: ${JSON.stringify(runs)}`);
}
device.destroy();
const titles = ['set', 'what', 'workers', 'segc', 'Python', 'segc/Python'];
const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) =>
  r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log([line(titles), ...rows.map(line)].join('\n'));
console.log(`${uptime()} at the end`);
