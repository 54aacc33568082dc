// `image_folder`: images/ and masks/ under root, paired by file stem (or the stems of a list file per split);
// masks as class indices, binary (grey > threshold) or through a value map. Without masks (masks = "", or a
// root that holds the images itself, as upstream's image_folder) the images have no labels: prediction only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MaskMode, SampleEntry, Split } from '../dataset.ts';
import { DataError, dataError, optionText } from '../errors.ts';
import { byStem, isImage, listFiles, readList, requireRoot, stem } from './files.ts';
import type { Listing, Options } from './types.ts';

export function maskMode(options: Options): MaskMode {
  const values = (options.values as number[] | undefined) ?? [];
  if (values.length > 0) return { kind: 'values', values };
  if (options.mask === 'binary') return { kind: 'binary', threshold: (options.threshold as number) ?? 127 };
  return { kind: 'index' };
}

export function classCount(options: Options, mode: MaskMode): number {
  if (options.classes !== undefined) return options.classes as number;
  return mode.kind === 'values' ? mode.values.length : 2;
}

export function readImageFolder(options: Options): Listing {
  const root = options.root as string;
  requireRoot(root);
  const imagesOption = (options.images as string | undefined) ?? 'images';
  const masksOption = (options.masks as string | undefined) ?? 'masks';
  let imageDir = join(root, imagesOption);
  let maskDir: string | undefined = masksOption === '' ? undefined : join(root, masksOption);
  const notes: string[] = [];
  if (
    !existsSync(imageDir) &&
    imagesOption === 'images' &&
    listFiles(root, optionText('root', root)).length
  ) {
    // Upstream's layout: the images are the folder's own files, without masks.
    imageDir = root;
    maskDir = undefined;
    notes.push(`'${root}' holds the images itself: read without masks (prediction only)`);
  }
  const names = listFiles(imageDir, optionText('images', imagesOption));
  if (names.length === 0) {
    throw dataError('SEG6029', [imageDir], imageDir);
  }
  const masks = maskDir && byStem(listFiles(maskDir, optionText('masks', masksOption), isImage));
  const mode = maskMode(options);
  const problems: DataError[] = [];
  const images = byStem(names);
  const entryOf = (id: string, listed?: string): SampleEntry | undefined => {
    const name = images.get(id);
    if (!name) {
      problems.push(dataError('SEG6025', [id, String(listed), imageDir], join(imageDir, id)));
      return undefined;
    }
    const entry: SampleEntry = { kind: 'image', id, image: join(imageDir, name), maskMode: mode };
    if (masks) {
      const mask = masks.get(id);
      if (!mask) {
        problems.push(
          dataError(
            'SEG6030',
            [join(imageDir, name), id, String(maskDir)],
            join(maskDir!, `${id}.png`),
            optionText('masks', masksOption),
          ),
        );
        return undefined;
      }
      entry.mask = join(maskDir!, mask);
    }
    return entry;
  };
  const splits: Listing['splits'] = {};
  const lists: [Split, string][] = [
    ['train', (options.train_list as string) ?? ''],
    ['val', (options.val_list as string) ?? ''],
    ['test', (options.test_list as string) ?? ''],
  ];
  const all = [...images.keys()];
  for (const [split, list] of lists) {
    const ids = list === '' ? all : readList(join(root, list), optionText(`${split}_list`, list)).map(stem);
    const listed = list === '' ? undefined : join(root, list);
    splits[split] = ids.map((id) => entryOf(id, listed)).filter((e): e is SampleEntry => e !== undefined);
  }
  if (lists.every(([, list]) => list === '')) {
    notes.push('no split lists (train_list, val_list, test_list): every split holds every image');
  }
  return {
    info: {
      name: 'image_folder',
      classes: classCount(options, mode),
      ignore: 255,
      channels: 3,
      multilabel: false,
      notes,
    },
    splits,
    problems: dedupe(problems),
  };
}

/** Each problem once (an image in every split is listed three times). */
export function dedupe(problems: DataError[]): DataError[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message) !== undefined);
}
