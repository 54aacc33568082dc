// NIfTI volumes against nibabel (test/golden/generate_data.py): voxels after scl_slope/scl_inter in
// [D, H, W] order, spacing and orientation; intensities to uint8; nnU-Net's patch sampling.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { decodeVolume } from '../../../runtime/data/decode/nifti.ts';
import { volumeToBytes } from '../../../runtime/data/decode/intensity.ts';
import { choosePatch, cutPatch, forcedForeground } from '../../../runtime/data/patches.ts';
import { createRandom } from '../../../runtime/data/random.ts';
import { openDataset } from '../../../runtime/data/registry.ts';
import { FIXTURES, expected, golden, summarise } from './golden.ts';

const nifti = (name: string) => join(FIXTURES, 'nifti', name);

test('voxels scaled by scl_slope/scl_inter equal nibabel, with spacing and orientation', async () => {
  for (const k of [0, 1, 2]) {
    const g = golden[`nifti/case${k}`];
    const volume = await decodeVolume(nifti(`case${k}_t1.nii.gz`));
    expect(volume.size).toEqual([6, 8, 10]);
    expect(volume.channels).toBe(1);
    expect(summarise(volume.data).sha256).toBe((g.volume as { sha256: string }).sha256);
    expect([...volume.data.subarray(0, 5)]).toEqual(g.volume_first);
    expect(volume.spacing.map((s) => +s.toFixed(6))).toEqual(g.spacing);
    expect(volume.orientation).toBe(g.orientation);
  }
});

test('the nifti reader: split by seeded fractions, labels checked, spacing kept', async () => {
  const options = {
    images: nifti('*_t1.nii.gz'),
    labels: nifti('*_seg.nii.gz'),
    split: [0.67, 0.33],
    seed: 3,
    classes: 3,
  };
  const ds = openDataset('nifti', options);
  expect(ds.count('train') + ds.count('val')).toBe(3);
  expect(ds.count('train')).toBe(2);
  const ids = [...Array(3).keys()].map((i) => (i < 2 ? ds.entry!('train', i) : ds.entry!('val', 0)).id);
  expect([...ids].sort()).toEqual(['case0_t1', 'case1_t1', 'case2_t1']);
  const s = await ds.load('val', 0);
  const g = golden[`nifti/${s.id.replace('_t1', '')}`];
  expect(summarise(s.labels!)).toEqual(expected(g.labels));
  expect(s.spacing!.map((v) => +v.toFixed(6))).toEqual(g.spacing);
  // two classes is too few for labels 0, 1, 2
  const narrow = openDataset('nifti', { ...options, classes: 2 });
  await expect(narrow.load('val', 0)).rejects.toThrow(/has the label 2 at voxel \[\d+, \d+, \d+\]/);
});

describe('intensities to uint8', () => {
  const data = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  test('zscore: mean ± 4 std onto 0..255', () => {
    const mean = 3.5;
    const std = Math.sqrt(data.reduce((a, v) => a + (v - mean) ** 2, 0) / 8);
    const bytes = volumeToBytes(data, 1, { kind: 'zscore' });
    for (let i = 0; i < 8; i++) {
      expect(bytes[i]).toBe(Math.round(((data[i] - mean) / std + 4) * (255 / 8)));
    }
  });
  test('clip to [low, high] and scale', () => {
    expect([...volumeToBytes(data, 1, { kind: 'clip', low: 2, high: 6 })]).toEqual([
      0, 0, 0, 64, 128, 191, 255, 255,
    ]);
  });
});

describe('patches as nnU-Net samples them', () => {
  test('the last third of a batch is forced foreground (get_do_oversample)', () => {
    expect([0, 1].map((i) => forcedForeground(i, 2))).toEqual([false, true]);
    expect([0, 1, 2, 3, 4, 5].map((i) => forcedForeground(i, 6))).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
  });
  test('a forced patch is centred on a foreground voxel; a random one stays inside', async () => {
    const ds = openDataset('nifti', {
      images: nifti('*_t1.nii.gz'),
      labels: nifti('*_seg.nii.gz'),
      split: [0.67, 0.33],
      classes: 3,
    });
    const s = await ds.load('train', 0);
    const random = createRandom(5);
    const patch = [4, 4, 4];
    for (let k = 0; k < 20; k++) {
      const { origin, centre } = choosePatch(s, patch, true, random);
      const [, h, w] = s.size;
      const label = s.labels![(centre![0] * h + centre![1]) * w + centre![2]];
      expect(label === 1 || label === 2).toBe(true);
      origin.forEach((o, a) => {
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o + patch[a]).toBeLessThanOrEqual(s.size[a]);
        expect(centre![a] - o).toBeGreaterThanOrEqual(0);
        expect(centre![a] - o).toBeLessThan(patch[a]);
      });
      const cut = cutPatch(s, patch, origin);
      expect([...cut.labels!].some((v) => v === 1 || v === 2)).toBe(true);
    }
  });
  test('a volume smaller than the patch is padded: image 0, labels ignored', () => {
    const sample = {
      id: 'x',
      image: Uint8Array.from([9, 8]),
      size: [1, 1, 2],
      channels: 1,
      labels: Uint8Array.from([1, 0]),
    };
    const { origin } = choosePatch(sample, [1, 1, 4], false, createRandom(1));
    expect(origin).toEqual([0, 0, -1]);
    const cut = cutPatch(sample, [1, 1, 4], origin);
    expect([...cut.image]).toEqual([0, 9, 8, 0]);
    expect([...cut.labels!]).toEqual([255, 1, 0, 255]);
  });
});

test("Debian's mricron-data atlases (RAS and LAS) decode as nibabel reads them", async () => {
  for (const name of ['JHU-WhiteMatter-labels-2mm.nii.gz', 'AICHAmc.nii.gz']) {
    const g = golden[`mricron/${name}`];
    const volume = await decodeVolume(join('/usr/share/mricron/templates', name));
    expect([...volume.size]).toEqual((g.volume as { shape: number[] }).shape);
    expect(summarise(volume.data)).toEqual(expected(g.volume));
    expect(volume.spacing).toEqual(g.spacing);
    expect(volume.orientation).toBe(g.orientation);
  }
});
