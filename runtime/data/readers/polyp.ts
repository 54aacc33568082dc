// `polyp`: PraNet's release. TrainDataset/{images,masks}/<name> with train.txt / val.txt listing file names
// (the same name in both folders); TestDataset/<test_set>/{images,masks}, each folder listed and sorted
// separately and paired by index (as upstream). Masks: grey > 127 is the polyp (2 classes).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SampleEntry, Split } from '../dataset.ts';
import { DataError, dataError, optionText } from '../errors.ts';
import { listFiles, readList, requireRoot, stem } from './files.ts';
import type { Listing, Options } from './types.ts';

const BINARY = { kind: 'binary' as const, threshold: 127 };

export function readPolyp(options: Options): Listing {
  const root = options.root as string;
  requireRoot(root);
  const option = optionText('root', root);
  const problems: DataError[] = [];
  const splits: Listing['splits'] = {};
  const train = join(root, 'TrainDataset');
  for (const split of ['train', 'val'] as Split[]) {
    const list = join(train, `${split}.txt`);
    splits[split] = readList(list, option).flatMap((name): SampleEntry[] => {
      const image = join(train, 'images', name);
      const mask = join(train, 'masks', name);
      if (!existsSync(image)) {
        problems.push(dataError('SEG6034', [image, list], image, option));
        return [];
      }
      if (!existsSync(mask)) {
        problems.push(dataError('SEG6026', [mask, image], mask, option));
        return [];
      }
      return [{ kind: 'image', id: stem(name), image, mask, maskMode: BINARY }];
    });
  }
  const set = (options.test_set as string | undefined) ?? 'Kvasir';
  const testDir = join(root, 'TestDataset', set);
  if (existsSync(testDir)) {
    const setOption = optionText('test_set', set);
    const image = (n: string) => /\.(jpg|png)$/i.test(n);
    const images = listFiles(join(testDir, 'images'), setOption, image);
    const masks = listFiles(join(testDir, 'masks'), setOption, image);
    if (images.length !== masks.length) {
      problems.push(dataError('SEG6035', [testDir, images.length, masks.length], testDir, setOption));
    }
    splits.test = images.slice(0, masks.length).map((name, i) => ({
      kind: 'image',
      id: stem(name),
      image: join(testDir, 'images', name),
      mask: join(testDir, 'masks', masks[i]),
      maskMode: BINARY,
    }));
  }
  return {
    info: {
      name: 'polyp',
      classes: 2,
      classNames: ['_background_', 'polyp'],
      ignore: 255,
      channels: 3,
      multilabel: false,
      notes: [],
    },
    splits,
    problems,
  };
}
