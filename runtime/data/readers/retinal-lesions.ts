// `retinal_lesions`: images_896x896/<id>.jpg, lesion_segs_896x896/<id>/<class>.png (one grey PNG per lesion
// present; a missing file is no lesion), classes.txt ('class_name,abbrev' lines: the channel order),
// train.txt / val.txt / test.txt listing ids. Grey levels in label_values count as lesion (upstream:
// [127, 255]). binary: the union of the lesions, one {0, 1} map; else K {0, 1} planes [K, H, W].
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SampleEntry, Split } from '../dataset.ts';
import { DataError, dataError, optionText } from '../errors.ts';
import { byStem, listFiles, readList, requireRoot } from './files.ts';
import type { Listing, Options } from './types.ts';

export function readRetinalLesions(options: Options): Listing {
  const root = options.root as string;
  requireRoot(root);
  const option = optionText('root', root);
  const classesFile = join(root, 'classes.txt');
  if (!existsSync(classesFile)) throw dataError('SEG6024', [classesFile], classesFile, option);
  const classNames = readFileSync(classesFile, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.split(',')[0].trim())
    .filter((name) => name !== '');
  const imageDir = join(root, 'images_896x896');
  const images = byStem(listFiles(imageDir, option));
  const lesionDir = join(root, 'lesion_segs_896x896');
  if (!existsSync(lesionDir)) throw dataError('SEG6022', [lesionDir], lesionDir, option);
  const binary = (options.binary as boolean | undefined) ?? false;
  const values = (options.label_values as number[] | undefined) ?? [255];
  const problems: DataError[] = [];
  const splits: Listing['splits'] = {};
  for (const split of ['train', 'val', 'test'] as Split[]) {
    const file = join(root, `${split}.txt`);
    if (split === 'test' && !existsSync(file)) continue;
    const entries: SampleEntry[] = [];
    for (const id of readList(file, option)) {
      const image = images.get(id);
      if (!image) {
        problems.push(dataError('SEG6025', [id, file, imageDir], join(imageDir, id)));
        continue;
      }
      const masks = classNames.map((name) => {
        const mask = join(lesionDir, id, `${name}.png`);
        return existsSync(mask) ? mask : undefined;
      });
      entries.push({ kind: 'lesions', id, image: join(imageDir, image), masks, values, binary });
    }
    splits[split] = entries;
  }
  return {
    info: {
      name: 'retinal_lesions',
      classes: binary ? 2 : classNames.length,
      classNames: binary ? ['background', 'lesion'] : classNames,
      ignore: 255,
      channels: 3,
      multilabel: !binary,
      notes: [],
    },
    splits,
    problems,
  };
}
