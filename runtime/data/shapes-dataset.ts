// `shapes` behind the Dataset seam: each split generated once (seeded: the same images every time), a
// sample returned as [H, W, 3].
import type { Dataset, Sample, Split } from './dataset.ts';
import type { SegmentationSet } from './shapes.ts';
import { generateShapes } from './shapes.ts';
import type { Options } from './readers/types.ts';

export function shapesDataset(options: Options): Dataset {
  const common = {
    size: options.size as [number, number],
    classes: options.classes as number,
    foreground: options.foreground as number,
  };
  const seed = options.seed as number;
  const sets: Partial<Record<Split, SegmentationSet>> = {};
  const counts = { train: options.train as number, val: options.val as number };
  const set = (split: Split) => {
    if (split === 'test') split = 'val';
    const offset = split === 'val' ? 1_000_003 : 0;
    return (sets[split] ??= generateShapes({ ...common, count: counts[split], seed: seed + offset }));
  };
  return {
    name: 'shapes',
    classes: common.classes,
    ignore: 255,
    channels: 3,
    multilabel: false,
    notes: [],
    splits: ['train', 'val'],
    count: (split) => counts[split === 'test' ? 'val' : split],
    load: async (split, index): Promise<Sample> => {
      const s = set(split);
      const plane = s.height * s.width;
      const planar = s.images.subarray(index * 3 * plane, (index + 1) * 3 * plane);
      const image = new Uint8Array(3 * plane);
      for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) image[i * 3 + c] = planar[c * plane + i];
      const labels = s.labels.slice(index * plane, (index + 1) * plane);
      return { id: `${split}-${index}`, image, size: [s.height, s.width], channels: 3, labels };
    },
  };
}
