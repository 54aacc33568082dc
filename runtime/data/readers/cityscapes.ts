// `cityscapes`: leftImg8bit/<split>/<city>/<base>leftImg8bit.png with
// gtFine/<split>/<city>/<base>gtFine_labelTrainIds.png (mmsegmentation's convert_datasets/cityscapes.py
// writes them), cities and files sorted; 19 classes (trainIds 0-18), 255 ignored. The test split has no
// labels.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SampleEntry, Split } from '../dataset.ts';
import { DataError, dataError, optionText } from '../errors.ts';
import { listFiles, listFolders, requireRoot } from './files.ts';
import type { Listing, Options } from './types.ts';

export const CITYSCAPES_CLASSES = [
  'road',
  'sidewalk',
  'building',
  'wall',
  'fence',
  'pole',
  'traffic light',
  'traffic sign',
  'vegetation',
  'terrain',
  'sky',
  'person',
  'rider',
  'car',
  'truck',
  'bus',
  'train',
  'motorcycle',
  'bicycle',
];

const IMAGE_SUFFIX = 'leftImg8bit.png';
const LABEL_SUFFIX = 'gtFine_labelTrainIds.png';

export function readCityscapes(options: Options): Listing {
  const root = options.root as string;
  requireRoot(root);
  const option = optionText('root', root);
  const problems: DataError[] = [];
  const splits: Listing['splits'] = {};
  for (const split of ['train', 'val', 'test'] as Split[]) {
    const imageSplit = join(root, 'leftImg8bit', split);
    if (split === 'test' && !existsSync(imageSplit)) continue;
    const entries: SampleEntry[] = [];
    for (const city of listFolders(imageSplit, option)) {
      const labelDir = join(root, 'gtFine', split, city);
      for (const name of listFiles(join(imageSplit, city), option, (n) => n.endsWith(IMAGE_SUFFIX))) {
        const base = name.slice(0, -IMAGE_SUFFIX.length);
        const image = join(imageSplit, city, name);
        const id = `${city}/${base.replace(/_$/, '')}`;
        if (split === 'test') {
          entries.push({ kind: 'image', id, image, maskMode: { kind: 'index' } });
          continue;
        }
        const mask = join(labelDir, base + LABEL_SUFFIX);
        if (!existsSync(mask)) {
          problems.push(dataError('SEG6027', [mask, image], mask, option));
          continue;
        }
        entries.push({ kind: 'image', id, image, mask, maskMode: { kind: 'index' } });
      }
    }
    splits[split] = entries;
  }
  return {
    info: {
      name: 'cityscapes',
      classes: 19,
      classNames: CITYSCAPES_CLASSES,
      ignore: 255,
      channels: 3,
      multilabel: false,
      notes: [],
    },
    splits,
    problems,
  };
}
