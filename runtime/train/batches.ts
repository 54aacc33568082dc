// Batches of a segmentation set as the u8 bytes the plans upload: shuffled per epoch, padded with ignored
// pixels.
import type { SegmentationSet } from '../data/shapes.ts';
import { createRandom } from '../data/random.ts';

export interface Batch {
  image: Uint8Array;
  labels: Uint8Array;
  /** Real images in the batch (the rest is padding with every pixel ignored). */
  images: number;
}

export function shuffledOrder(count: number, seed: number): number[] {
  const random = createRandom(seed);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export function makeBatch(set: SegmentationSet, indices: number[], batch: number, ignore = 255): Batch {
  const imageSize = set.channels * set.height * set.width;
  const labelSize = set.height * set.width;
  const image = new Uint8Array(batch * imageSize);
  const labels = new Uint8Array(batch * labelSize).fill(ignore);
  indices.forEach((index, slot) => {
    image.set(set.images.subarray(index * imageSize, (index + 1) * imageSize), slot * imageSize);
    labels.set(set.labels.subarray(index * labelSize, (index + 1) * labelSize), slot * labelSize);
  });
  return { image, labels, images: indices.length };
}
