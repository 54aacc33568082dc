// Writes quickstart's data and segc's initial weights to runs/parity/ for torch_quickstart.py, which trains the same
// U-Net in PyTorch from the same start. Usage: npx tsx bench/parity/dump-quickstart.ts [init seed]
import { mkdirSync, writeFileSync } from 'node:fs';
import { compileExperiment } from '../../compiler/index.ts';
import { generateShapes } from '../../runtime/data/shapes.ts';
import { initialValues } from '../../runtime/train/init.ts';

const compiled = compileExperiment('experiments/quickstart.seg');
const { data } = compiled.config;
const common = { size: data.size, classes: data.classes, foreground: data.foreground };
// The same splits as runtime/train/session.ts draws.
const train = generateShapes({ ...common, count: data.train, seed: data.seed });
const val = generateShapes({ ...common, count: data.val, seed: data.seed + 1_000_003 });
const seed = Number(process.argv[2] ?? compiled.config.train.seed);
const weights = initialValues(compiled.train.weights, seed);
mkdirSync('runs/parity', { recursive: true });
writeFileSync('runs/parity/train_images.bin', train.images);
writeFileSync('runs/parity/train_labels.bin', train.labels);
writeFileSync('runs/parity/val_images.bin', val.images);
writeFileSync('runs/parity/val_labels.bin', val.labels);
const list = compiled.train.weights.map((w) => ({
  name: w.name,
  shape: w.sizes,
  data: Array.from(weights.get(w.name)!),
}));
writeFileSync(
  'runs/parity/init.json',
  JSON.stringify({ size: data.size, count: [data.train, data.val], weights: list }),
);
console.log(`wrote runs/parity (init seed ${seed})`);
