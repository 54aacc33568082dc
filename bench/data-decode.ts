// Decode throughput of the loader (sharp for the photos, fast-png for the masks, in worker threads) against PIL
// decoding the same files into NumPy arrays with one process per worker (bench/parity/decode_pil.py), in the
// same run. Files: Debian's labelme-examples photos read as voc (JPEG ~500×375 with palette PNG masks).
// Usage: npx tsx bench/data-decode.ts [ROUNDS] [WORKERS]
import { execFileSync } from 'node:child_process';
import { Loader } from '../runtime/data/loader.ts';
import { openDataset } from '../runtime/data/registry.ts';

const rounds = Number(process.argv[2] ?? 40);
const workers = Number(process.argv[3] ?? 1);
const root = '/usr/share/doc/labelme-examples/examples/semantic_segmentation/data_dataset_voc';
const dataset = openDataset('voc', { root });
const indices = [...Array(dataset.count('train')).keys()];
const loader = new Loader(dataset, { batch: indices.length, size: [480, 512], workers, prefetch: 4 });
for (let k = 0; k < 10; k++) await loader.batchOf('train', indices); // warm-up: threads, libraries, JIT
const order = Array.from({ length: rounds }, () => indices).flat();
const start = performance.now();
let images = 0;
for await (const batch of loader.batches('train', order)) images += batch.images;
const segc = images / ((performance.now() - start) / 1000);
await loader.close();
const files = indices.flatMap((i) => {
  const entry = dataset.entry!('train', i) as { image: string; mask: string };
  return [entry.image, entry.mask];
});
const pil = Number(
  execFileSync(
    '/usr/bin/python3',
    ['bench/parity/decode_pil.py', String(rounds), String(Math.max(1, workers)), ...files],
    {
      encoding: 'utf8',
    },
  ).trim(),
);
console.log(`workers ${workers}, ${images} images of ${dataset.name} (labelme-examples)`);
console.log(`segc loader (decode + batch assembly): ${segc.toFixed(1)} images/s`);
console.log(`PIL + NumPy (decode only), ${workers} process(es): ${pil.toFixed(1)} images/s`);
console.log(`ratio segc / PIL: ${(segc / pil).toFixed(2)}`);
