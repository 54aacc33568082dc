// Bad data is named: the file, what is wrong and the option that led there; with on_error = skip each bad
// file is reported once and the rest is read.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { DataError } from '../../../runtime/data/errors.ts';
import { Loader } from '../../../runtime/data/loader.ts';
import { openDataset } from '../../../runtime/data/registry.ts';
import { scanDataset } from '../../../runtime/data/scan.ts';
import { FIXTURES } from './golden.ts';

const bad = (name: string) => join(FIXTURES, 'bad', name);

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<DataError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

describe('missing paths name the option that led there', () => {
  test('a missing root', async () => {
    const error = await failure(() => openDataset('voc', { root: '/nonexistent/VOC2012' }));
    expect(error.message).toBe(
      'Dataset folder \'/nonexistent/VOC2012\' not found (from root = "/nonexistent/VOC2012")',
    );
  });
  test('a missing split file', async () => {
    const root = join(FIXTURES, 'image_folder');
    const error = await failure(() => openDataset('image_folder', { root, val_list: 'val.txt' }));
    expect(error.message).toBe(`Split list '${join(root, 'val.txt')}' not found (from val_list = "val.txt")`);
  });
  test('a missing masks folder', async () => {
    const root = join(FIXTURES, 'image_folder');
    const error = await failure(() => openDataset('image_folder', { root, masks: 'labels' }));
    expect(error.message).toBe(`Folder '${join(root, 'labels')}' not found (from masks = "labels")`);
  });
  test('an image without its mask', async () => {
    const ds = openDataset('image_folder', { root: bad('missing') });
    expect(ds.problems.map((p) => p.message)).toEqual([
      `Mask of image '${bad('missing/images/a.jpg')}' not found: no file named 'a.*' in ` +
        `'${bad('missing/masks')}' (from masks = "masks")`,
    ]);
    expect(ds.count('train')).toBe(1);
  });
  test('a nifti glob matching nothing', async () => {
    const images = join(FIXTURES, 'nifti', '*_t2.nii.gz');
    const error = await failure(() =>
      openDataset('nifti', { images, labels: join(FIXTURES, 'nifti', '*_seg.nii.gz') }),
    );
    expect(error.message).toBe(`No file matches '${images}' (from images = ${JSON.stringify(images)})`);
  });
});

describe('bad files are named', () => {
  test('a truncated JPEG', async () => {
    const ds = openDataset('image_folder', { root: bad('truncated') });
    const error = await failure(ds.load('train', 0));
    expect(error.file).toBe(bad('truncated/images/a.jpg'));
    expect(error.message).toMatch(/^Image '.*a\.jpg' is corrupt or not an image: .*premature end/);
  });
  test('a file that is not an image', async () => {
    const ds = openDataset('image_folder', { root: bad('garbage') });
    const error = await failure(ds.load('train', 0));
    expect(error.message).toMatch(/^Image '.*garbage\/images\/a\.png' is corrupt or not an image/);
  });
  test('a mask of another size than its image', async () => {
    const ds = openDataset('image_folder', { root: bad('size') });
    const error = await failure(ds.load('train', 0));
    expect(error.message).toBe(
      `Mask '${bad('size/masks/a.png')}' is 12×15 but its image '${bad('size/images/a.jpg')}' is 12×16`,
    );
  });
  test('a label >= the class count that is not the ignore value', async () => {
    const ds = openDataset('image_folder', { root: bad('label'), classes: 3 });
    const error = await failure(ds.load('train', 0));
    expect(error.message).toBe(
      `Mask '${bad('label/masks/a.png')}' has the label 7 at row 4, column 5: not a class (3 classes, ` +
        `255 ignored)`,
    );
    // with 8 classes the same mask is fine
    const wider = openDataset('image_folder', { root: bad('label'), classes: 8 });
    expect((await wider.load('train', 0)).labels![4 * 16 + 5]).toBe(7);
  });
  test('a value outside the value map', async () => {
    const root = join(FIXTURES, 'image_folder');
    const ds = openDataset('image_folder', { root, masks: 'masks_values', values: [0, 255] });
    const error = await failure(ds.load('train', 0));
    expect(error.message).toMatch(
      /has the label 128 at row \d+, column \d+: not in the value map \[0, 255\]/,
    );
  });
  test('a truncated NIfTI', async () => {
    const ds = openDataset('nifti', {
      images: bad('nifti/*_t1.nii.gz'),
      labels: bad('nifti/*_seg.nii.gz'),
      split: [0.5, 0.5],
    });
    const split = ds.count('train') ? 'train' : 'val';
    const error = await failure(ds.load(split, 0));
    expect(error.message).toMatch(/^Volume '.*broken_t1\.nii\.gz' is not a readable NIfTI file: /);
  });
});

describe('on_error = skip', () => {
  test('the loader reports a bad file once and leaves its slot ignored', async () => {
    const ds = openDataset('image_folder', { root: bad('label'), classes: 3 });
    const reported: string[] = [];
    const loader = new Loader(ds, {
      batch: 2,
      size: [12, 16],
      workers: 0,
      onError: 'skip',
      onSkip: (e) => reported.push(e.file),
    });
    for (let epoch = 0; epoch < 2; epoch++) {
      for await (const b of loader.batches('train', [0, 1])) {
        expect(b.images).toBe(1);
        expect(b.ids).toEqual(['b']);
        // the second slot is padding: every label ignored
        expect(b.labels.subarray(12 * 16).every((v) => v === 255)).toBe(true);
      }
    }
    expect(reported).toEqual([bad('label/masks/a.png')]);
    expect([...loader.skipped.keys()]).toEqual([bad('label/masks/a.png')]);
    await loader.close();
  });
  test('with on_error = stop the first bad file stops the epoch', async () => {
    const ds = openDataset('image_folder', { root: bad('truncated') });
    const loader = new Loader(ds, { batch: 2, size: [12, 16], workers: 0 });
    const error = await failure(
      (async () => {
        for await (const b of loader.batches('train', [0, 1])) void b;
      })(),
    );
    expect(error.file).toBe(bad('truncated/images/a.jpg'));
  });
  test('a scan names every bad file of a dataset', async () => {
    const ds = openDataset('image_folder', { root: bad('truncated') });
    const report = await scanDataset(ds, { workers: 0 });
    expect(report.problems.map((p) => p.file)).toEqual([bad('truncated/images/a.jpg')]);
    expect(report.counts).toEqual({ train: 1, val: 1, test: 1 });
    expect([...report.sizes]).toEqual([['12×16', 1]]);
  });
});
