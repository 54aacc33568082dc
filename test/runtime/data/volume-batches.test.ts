// Training batches of volumes (runtime/train/volume-run.ts): a patch's place depends on (seed, epoch, volume
// index) only, the last third of a batch is centred on foreground (nnU-Net v1), and patches are assembled
// planar [B, C, D, H, W] with empty slots ignored. Hand-built volumes, hand-derived expectations.
import { expect, test } from 'vitest';
import type { Sample } from '../../../runtime/data/dataset.ts';
import { assemblePatches, patchOf } from '../../../runtime/train/volume-run.ts';

/** A 10×10×10 volume, channels interleaved (c0 = voxel index mod 251, c1 = 7), one foreground voxel of class 2. */
function volume(): Sample {
  const n = 1000;
  const image = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) [image[2 * i], image[2 * i + 1]] = [i % 251, 7];
  const labels = new Uint8Array(n);
  labels[(7 * 10 + 1) * 10 + 8] = 2;
  return { id: 'v', image, size: [10, 10, 10], channels: 2, labels };
}

test('patches: seeded by (seed, epoch, index); the last third of a batch holds foreground', () => {
  const v = volume();
  const key = (p: Sample) => Array.from(p.image.subarray(0, 8)).join(',');
  const a = patchOf(v, [4, 4, 4], 0, 3, 5, 2, 11, 255);
  expect(key(patchOf(v, [4, 4, 4], 0, 3, 5, 2, 11, 255))).toBe(key(a));
  const others = [patchOf(v, [4, 4, 4], 0, 3, 5, 3, 11, 255), patchOf(v, [4, 4, 4], 0, 3, 6, 2, 11, 255)];
  expect(others.some((p) => key(p) !== key(a))).toBe(true);
  // Slot 2 of 3 (index ≥ round(3 · 2/3) = 2) is forced: its patch holds the only foreground voxel.
  for (let epoch = 0; epoch < 5; epoch++) {
    const forced = patchOf(v, [4, 4, 4], 2, 3, 5, epoch, 11, 255);
    expect(forced.labels!.filter((l) => l === 2).length).toBe(1);
  }
});

test('patches assembled planar, empty slots ignored', () => {
  const v = volume();
  const p = patchOf(v, [2, 2, 2], 0, 2, 1, 0, 0, 255);
  const b = assemblePatches([p], 2, [2, 2, 2], 2, 255);
  expect(b.images).toBe(1);
  expect(Array.from(b.image.subarray(0, 8))).toEqual(Array.from({ length: 8 }, (_, i) => p.image[2 * i]));
  expect(Array.from(b.image.subarray(8, 16))).toEqual(new Array(8).fill(7));
  expect(Array.from(b.image.subarray(16))).toEqual(new Array(16).fill(0));
  expect(Array.from(b.labels.subarray(8))).toEqual(new Array(8).fill(255));
});
