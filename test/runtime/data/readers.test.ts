// Every reader on its fixture layout (test/fixtures/data/, written by test/golden/generate_data.py): each
// decoded image and label map equals what PIL (photos, palette and grey PNGs) gives for the same file.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { openDataset } from '../../../runtime/data/registry.ts';
import type { ListedDataset } from '../../../runtime/data/registry.ts';
import { FIXTURES, LABELME, expected, golden, summarise } from './golden.ts';

async function all(dataset: ListedDataset, split: 'train' | 'val' | 'test') {
  const out = [];
  for (let i = 0; i < dataset.count(split); i++) out.push(await dataset.load(split, i));
  return out;
}

describe('image_folder', () => {
  const root = join(FIXTURES, 'image_folder');
  test('masks as indices, paired by stem, equal PIL', async () => {
    const ds = openDataset('image_folder', { root, classes: 3 });
    expect(ds.problems).toEqual([]);
    const samples = await all(ds, 'val');
    expect(samples.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    for (const s of samples) {
      const g = golden[`image_folder/${s.id}`];
      expect(s.size).toEqual([12, 16]);
      expect(summarise(s.image)).toEqual(expected(g.image));
      expect(summarise(s.labels!)).toEqual(expected(g.labels));
    }
    expect(ds.notes.join()).toContain('every split holds every image');
  });
  test('binary masks (> 127) and a value map', async () => {
    const binary = openDataset('image_folder', { root, masks: 'masks_binary', mask: 'binary' });
    const values = openDataset('image_folder', { root, masks: 'masks_values', values: [0, 128, 255] });
    expect(binary.classes).toBe(2);
    expect(values.classes).toBe(3);
    for (const s of await all(binary, 'train')) {
      expect(summarise(s.labels!)).toEqual(expected(golden[`image_folder/${s.id}`].binary));
      // grey 127 is background, 128 foreground
      expect([s.labels![0], s.labels![1], s.labels![2]]).toEqual([0, 1, 1]);
    }
    for (const s of await all(values, 'train')) {
      expect(summarise(s.labels!)).toEqual(expected(golden[`image_folder/${s.id}`].values));
    }
  });
  test('a split list picks and orders the samples', async () => {
    const ds = openDataset('image_folder', { root, classes: 3, train_list: 'train.txt' });
    expect((await all(ds, 'train')).map((s) => s.id)).toEqual(['c', 'a']);
    expect(ds.count('val')).toBe(3);
  });
  test('images without masks: no labels', async () => {
    const ds = openDataset('image_folder', { root, masks: '' });
    const [s] = await all(ds, 'test');
    expect(s.labels).toBeUndefined();
    expect(summarise(s.image)).toEqual(expected(golden['image_folder/a'].image));
    // upstream's layout: the images in the root itself
    const flat = openDataset('image_folder', { root: join(root, 'images') });
    expect(flat.count('test')).toBe(3);
    expect((await flat.load('test', 0)).labels).toBeUndefined();
  });
});

describe('voc', () => {
  test('palette PNGs read as indices with 255 kept, split lists', async () => {
    const ds = openDataset('voc', { root: join(FIXTURES, 'voc') });
    expect(ds.classes).toBe(21);
    expect(ds.classNames![15]).toBe('person');
    expect(ds.splits).toEqual(['train', 'val']);
    expect(ds.count('train')).toBe(3);
    const samples = [...(await all(ds, 'train')), ...(await all(ds, 'val'))];
    for (const s of samples) {
      const g = golden[`voc/${s.id}`];
      expect(summarise(s.image)).toEqual(expected(g.image));
      expect(summarise(s.labels!)).toEqual(expected(g.labels));
    }
    expect(samples[0].labels![0]).toBe(255);
  });
  test("labelme's export: class_names.txt, SegmentationClassPNG/, no ImageSets", async () => {
    const ds = openDataset('voc', { root: join(FIXTURES, 'voc_named') });
    expect(ds.classNames).toEqual(['_background_', 'cat', 'dog']);
    expect(ds.classes).toBe(3);
    for (const s of await all(ds, 'train')) {
      expect(summarise(s.labels!)).toEqual(expected(golden[`voc_named/${s.id}`].labels));
    }
    // labels.txt as labelme's users write it, with __ignore__ (the 255) first
    const labels = openDataset('voc', { root: join(FIXTURES, 'voc_labels') });
    expect(labels.classNames).toEqual(['_background_', 'cat', 'dog']);
  });
  test("Debian's labelme-examples photos decode as PIL decodes them", async () => {
    const ds = openDataset('voc', { root: LABELME });
    expect(ds.classes).toBe(21);
    expect(ds.classNames![0]).toBe('_background_');
    const samples = await all(ds, 'train');
    expect(samples.map((s) => s.id)).toEqual(['2011_000003', '2011_000006', '2011_000025']);
    for (const s of samples) {
      const g = golden[`labelme/${s.id}`];
      expect([...s.size, 3]).toEqual((g.image as { shape: number[] }).shape);
      expect(summarise(s.image)).toEqual(expected(g.image));
      expect(summarise(s.labels!)).toEqual(expected(g.labels));
      expect([...new Set(s.labels!)].sort((a, b) => a - b)).toEqual(g.classes);
    }
  });
});

test('cityscapes: cities sorted, trainId labels', async () => {
  const ds = openDataset('cityscapes', { root: join(FIXTURES, 'cityscapes') });
  expect(ds.classes).toBe(19);
  const train = await all(ds, 'train');
  expect(train.map((s) => s.id)).toEqual([
    'aachen/aachen_000000_000019',
    'aachen/aachen_000001_000019',
    'zurich/zurich_000000_000019',
    'zurich/zurich_000001_000019',
  ]);
  for (const s of [...train, ...(await all(ds, 'val'))]) {
    const split = s.id.startsWith('frankfurt') ? 'val' : 'train';
    const g = golden[`cityscapes/${split}/${s.id}_`];
    expect(summarise(s.image)).toEqual(expected(g.image));
    expect(summarise(s.labels!)).toEqual(expected(g.labels));
  }
});

describe('retinal_lesions', () => {
  const root = join(FIXTURES, 'retinal_lesions');
  test('multilabel stack of the 8 lesions (label_values 127 and 255)', async () => {
    const ds = openDataset('retinal_lesions', { root, label_values: [127, 255] });
    expect(ds.multilabel).toBe(true);
    expect(ds.classes).toBe(8);
    expect(ds.classNames![0]).toBe('microaneurysm');
    const [s] = await all(ds, 'val');
    expect(s.id).toBe('r3');
    expect(s.labelChannels).toBe(8);
    expect(summarise(s.image)).toEqual(expected(golden['retinal_lesions/r3'].image));
    expect(summarise(s.labels!)).toEqual(expected(golden['retinal_lesions/r3'].multilabel));
  });
  test('binary union; label_values [255] leaves 127 out', async () => {
    const both = openDataset('retinal_lesions', { root, binary: true, label_values: [127, 255] });
    const only = openDataset('retinal_lesions', { root, binary: true, label_values: [255] });
    for (const s of await all(both, 'train')) {
      expect(summarise(s.labels!)).toEqual(expected(golden[`retinal_lesions/${s.id}`].binary));
    }
    for (const s of await all(only, 'train')) {
      expect(summarise(s.labels!)).toEqual(expected(golden[`retinal_lesions/${s.id}`].binary255));
    }
    expect(both.count('test')).toBe(1);
  });
});

test('polyp: TrainDataset lists, TestDataset paired by sorted index, > 127', async () => {
  const ds = openDataset('polyp', { root: join(FIXTURES, 'polyp'), test_set: 'Kvasir' });
  expect(ds.count('train')).toBe(2);
  for (const [split, samples] of [
    ['train', [...(await all(ds, 'train')), ...(await all(ds, 'val'))]],
    ['test', await all(ds, 'test')],
  ] as const) {
    for (const s of samples) {
      const g = golden[`polyp/${split}/${s.id}.png`];
      expect(summarise(s.image)).toEqual(expected(g.image));
      expect(summarise(s.labels!)).toEqual(expected(g.labels));
    }
  }
});
