// `voc`: the Pascal VOC layout. JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette PNGs read as
// indices, 255 ignored), ImageSets/Segmentation/<split>.txt. labelme's exporter (labelme2voc.py) writes the
// same layout with SegmentationClassPNG/ (its SegmentationClass/ holds .npy arrays), class_names.txt and no
// ImageSets/: without ImageSets/Segmentation/ every split holds every image. The class names come from
// classes.txt or class_names.txt when present ('__ignore__', labelme's name for 255, is not a class), else
// VOC's 21.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SampleEntry, Split } from '../dataset.ts';
import { DataError, dataError, optionText } from '../errors.ts';
import { byStem, listFiles, readList, requireRoot, stem } from './files.ts';
import type { Listing, Options } from './types.ts';

export const VOC_CLASSES = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
];

/** Class names of a classes.txt / class_names.txt file: one per line, '__ignore__' dropped. */
export function readClassNames(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== '__ignore__');
}

export function readVoc(options: Options): Listing {
  const root = options.root as string;
  requireRoot(root);
  const notes: string[] = [];
  const imageDir = join(root, 'JPEGImages');
  const images = byStem(listFiles(imageDir, optionText('root', root)));
  const masksOption = (options.masks as string | undefined) ?? 'SegmentationClass';
  let maskDir = join(root, masksOption);
  const png = (name: string) => name.toLowerCase().endsWith('.png');
  if (
    masksOption === 'SegmentationClass' &&
    (!existsSync(maskDir) || listFiles(maskDir, '', png).length === 0) &&
    existsSync(join(root, 'SegmentationClassPNG'))
  ) {
    maskDir = join(root, 'SegmentationClassPNG');
    notes.push(`masks read from '${maskDir}' (labelme's layout)`);
  }
  const masks = byStem(listFiles(maskDir, optionText('masks', masksOption), png));
  let classNames = VOC_CLASSES;
  for (const name of ['classes.txt', 'class_names.txt']) {
    if (existsSync(join(root, name))) {
      classNames = readClassNames(join(root, name));
      notes.push(`${classNames.length} classes named in '${join(root, name)}'`);
      break;
    }
  }
  const problems: DataError[] = [];
  const entryOf = (id: string, list: string): SampleEntry | undefined => {
    const image = images.get(id);
    const mask = masks.get(id);
    if (!image) {
      problems.push(dataError('SEG6028', [id, list, imageDir], join(imageDir, id)));
      return undefined;
    }
    if (!mask) {
      const file = join(maskDir, `${id}.png`);
      problems.push(dataError('SEG6026', [file, join(imageDir, image)], file));
      return undefined;
    }
    const maskMode = { kind: 'index' as const };
    return { kind: 'image', id, image: join(imageDir, image), mask: join(maskDir, mask), maskMode };
  };
  const setDir = join(root, 'ImageSets', 'Segmentation');
  const splits: Listing['splits'] = {};
  if (!existsSync(setDir)) {
    notes.push(`no '${setDir}': every split holds every image with a mask`);
    const ids = [...masks.keys()].filter((id) => images.has(id));
    for (const split of ['train', 'val', 'test'] as Split[]) {
      splits[split] = ids.map((id) => entryOf(id, maskDir)!);
    }
  } else {
    for (const split of ['train', 'val', 'test'] as Split[]) {
      const file = join(setDir, `${split}.txt`);
      // VOC releases have no test.txt with masks: the test split is absent unless listed.
      if (split === 'test' && !existsSync(file)) continue;
      const ids = readList(file, optionText('root', root)).map(stem);
      splits[split] = ids.map((id) => entryOf(id, file)).filter((e): e is SampleEntry => e !== undefined);
    }
  }
  return {
    info: {
      name: 'voc',
      classes: classNames.length,
      classNames,
      ignore: 255,
      channels: 3,
      multilabel: false,
      notes,
    },
    splits,
    problems,
  };
}
