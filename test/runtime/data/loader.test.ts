// The loader: batches in the plans' layout, decoded in worker threads equal to the main thread's decode,
// ahead of use (prefetch), cached under a budget; samples of another size placed at the plan's size.
import { expect, test } from 'vitest';
import { join } from 'node:path';
import { Loader, assemble } from '../../../runtime/data/loader.ts';
import { openDataset } from '../../../runtime/data/registry.ts';
import { FIXTURES } from './golden.ts';

const root = join(FIXTURES, 'image_folder');

test('batches decoded in worker threads equal the main thread decode, planar [B, 3, H, W]', async () => {
  const ds = openDataset('image_folder', { root, classes: 3 });
  const threads = new Loader(ds, { batch: 2, size: [12, 16], workers: 1, prefetch: 2 });
  const main = new Loader(ds, { batch: 2, size: [12, 16], workers: 0 });
  const order = [2, 0, 1];
  const a = [];
  for await (const b of threads.batches('train', order)) a.push(b);
  const b = [];
  for await (const x of main.batches('train', order)) b.push(x);
  await threads.close();
  expect(a.map((x) => x.ids)).toEqual([['c', 'a'], ['b']]);
  expect(a).toEqual(b);
  // planar layout: channel c of pixel (y, x) of slot s is at ((s·3 + c)·H + y)·W + x
  const c = await ds.load('train', 2);
  const plane = 12 * 16;
  for (const [y, x, ch] of [
    [0, 0, 0],
    [5, 7, 1],
    [11, 15, 2],
  ]) {
    expect(a[0].image[ch * plane + y * 16 + x]).toBe(c.image[(y * 16 + x) * 3 + ch]);
  }
  expect(a[0].labels.subarray(0, plane)).toEqual(c.labels);
  // the last batch has one image: its second slot ignored
  expect(a[1].images).toBe(1);
  expect(a[1].labels.subarray(plane).every((v) => v === 255)).toBe(true);
});

test('the cache keeps decoded samples under its budget', async () => {
  const ds = openDataset('image_folder', { root, classes: 3 });
  const bytes = 12 * 16 * 4; // one sample: image + labels
  const loader = new Loader(ds, { batch: 1, size: [12, 16], workers: 0, cacheBytes: 2 * bytes });
  let loads = 0;
  const load = ds.load;
  ds.load = (split, i) => {
    loads++;
    return load(split, i);
  };
  for (let epoch = 0; epoch < 2; epoch++) for await (const b of loader.batches('train', [0, 1, 2])) void b;
  // two fit in the budget and are decoded once; the third is decoded each epoch
  expect(loads).toBe(4);
});

test('samples of another size are centred: padded with 0 / ignore, or cropped', () => {
  // a 2×3 sample into 4×4 (pad: top 1, left 0) and into 1×1 (crop around the centre)
  const sample = {
    id: 's',
    image: Uint8Array.from({ length: 18 }, (_, i) => i + 1),
    size: [2, 3],
    channels: 3,
    labels: Uint8Array.from([0, 1, 2, 3, 4, 5]),
  };
  const padded = assemble([sample], 1, [4, 4], 3, 255);
  expect([...padded.labels]).toEqual([255, 255, 255, 255, 0, 1, 2, 255, 3, 4, 5, 255, 255, 255, 255, 255]);
  expect([...padded.image.subarray(0, 16)]).toEqual([0, 0, 0, 0, 1, 4, 7, 0, 10, 13, 16, 0, 0, 0, 0, 0]);
  const cropped = assemble([sample], 1, [1, 1], 3, 255);
  // centre offset floor((1 - 2) / 2) = -1, floor((1 - 3) / 2) = -1: pixel (1, 1)
  expect([...cropped.labels]).toEqual([4]);
  expect([...cropped.image]).toEqual([13, 14, 15]);
  expect(padded.sizes).toEqual([[2, 3]]);
});

test('a sample at the batch size is planar in every slot: [B, C, H, W][b, c, y, x] = [H, W, C][y, x, c]', () => {
  // 6x10 (60 pixels: moved four at a time) and 5x7 (35: byte by byte); the second slot of two
  for (const [h, w] of [
    [6, 10],
    [5, 7],
  ]) {
    const sample = {
      id: 's',
      image: Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 97 + 13) % 256),
      size: [h, w],
      channels: 3,
      labels: Uint8Array.from({ length: h * w }, (_, i) => i % 7),
    };
    const b = assemble([sample, sample], 2, [h, w], 3, 255);
    const plane = h * w;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p++) {
        expect(b.image[(3 + c) * plane + p]).toBe(sample.image[p * 3 + c]);
      }
    }
    expect([...b.labels.subarray(plane)]).toEqual([...sample.labels]);
  }
});

test('recycled batches (each valid until the next is asked for) hold what fresh ones hold', async () => {
  const ds = openDataset('image_folder', { root, classes: 3 });
  // 7 samples in batches of 2: the arrays of a batch are reused from the third on; the last has an empty
  // slot. At the images' size (placed whole) and at another (padded and cropped).
  const order = [2, 0, 1, 1, 0, 2, 0];
  for (const workers of [0, 1]) {
    for (const size of [
      [12, 16],
      [10, 20],
    ] as [number, number][]) {
      const loader = new Loader(ds, { batch: 2, size, workers, prefetch: 1 });
      const fresh = [];
      for await (const b of loader.batches('train', order)) fresh.push(b);
      const recycled = [];
      const arrays = new Set<ArrayBufferLike>();
      for await (const b of loader.batches('train', order, undefined, { recycle: true })) {
        arrays.add(b.image.buffer);
        recycled.push({ ...b, image: b.image.slice(), labels: b.labels.slice() });
      }
      await loader.close();
      expect(recycled).toEqual(fresh);
      expect(fresh[3].images).toBe(1);
      expect(fresh[3].labels.subarray(size[0] * size[1]).every((v) => v === 255)).toBe(true);
      expect(arrays.size).toBeLessThan(4); // reused
    }
  }
  // Two sizes alternating in one slot (16x12 fills the frame, 20x10 is cropped and padded): the padding of a
  // reused slot is zero again.
  const sizes = openDataset('image_folder', { root: join(FIXTURES, 'image_folder_sizes'), masks: '' });
  for (const workers of [0, 1]) {
    const loader = new Loader(sizes, { batch: 2, size: [12, 16], workers, prefetch: 1 });
    const mixed = [0, 1, 1, 0, 1, 0, 0]; // the third batch reuses the first's arrays: 20x10 over 16x12
    const fresh = [];
    for await (const b of loader.batches('train', mixed)) fresh.push(b);
    const recycled = [];
    for await (const b of loader.batches('train', mixed, undefined, { recycle: true })) {
      recycled.push({ ...b, image: b.image.slice(), labels: b.labels.slice() });
    }
    await loader.close();
    expect(recycled).toEqual(fresh);
  }
});
