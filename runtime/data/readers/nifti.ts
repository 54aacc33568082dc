// `nifti`: image and label volumes matched by sorted file name from two globs (a `*` or `?` in the file
// name; the folder is literal), split into train/val(/test) by the given fractions after a seeded shuffle.
// Intensities become uint8 by `intensity` (decode/intensity.ts); training takes patches (data/patches.ts).
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Intensity, SampleEntry, Split } from '../dataset.ts';
import { dataError, optionText } from '../errors.ts';
import { createRandom } from '../random.ts';
import { listFiles, stem } from './files.ts';
import type { Listing, Options } from './types.ts';

/** The sorted files matching a glob whose wildcards are in the file name. */
export function glob(pattern: string, option: string): string[] {
  const folder = dirname(pattern);
  if (/[*?[]/.test(folder)) {
    throw dataError('SEG6031', [pattern], pattern, option);
  }
  const escaped = basename(pattern).replace(/[.+^${}()|\\]/g, '\\$&');
  const regex = new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  if (!existsSync(folder)) throw dataError('SEG6022', [folder], folder, option);
  const files = listFiles(folder, option, (name) => regex.test(name)).map((name) => join(folder, name));
  if (files.length === 0) throw dataError('SEG6032', [pattern], pattern, option);
  return files;
}

export function intensityOf(options: Options): Intensity {
  const given = options.intensity ?? 'zscore';
  if (Array.isArray(given)) return { kind: 'clip', low: given[0] as number, high: given[1] as number };
  return { kind: 'zscore' };
}

export function readNifti(options: Options): Listing {
  const images = glob(options.images as string, optionText('images', options.images));
  const labels = glob(options.labels as string, optionText('labels', options.labels));
  if (images.length !== labels.length) {
    throw dataError(
      'SEG6033',
      [images.length, String(options.images), labels.length, String(options.labels)],
      options.images as string,
      optionText('labels', options.labels),
    );
  }
  const fractions = (options.split as number[] | undefined) ?? [0.8, 0.2];
  const order = images.map((_, i) => i);
  const random = createRandom((options.seed as number | undefined) ?? 0);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const intensity = intensityOf(options);
  const splits: Listing['splits'] = {};
  const names: Split[] = ['train', 'val', 'test'];
  let start = 0;
  fractions.forEach((fraction, k) => {
    const end = k === fractions.length - 1 ? order.length : start + Math.round(fraction * order.length);
    splits[names[k]] = order.slice(start, end).map((i): SampleEntry => ({
      kind: 'volume',
      id: stem(images[i]),
      image: images[i],
      mask: labels[i],
      intensity,
    }));
    start = end;
  });
  const channels = (options.channels as number | undefined) ?? 1;
  return {
    info: {
      name: 'nifti',
      classes: (options.classes as number | undefined) ?? 2,
      ignore: 255,
      channels,
      multilabel: false,
      notes: [],
    },
    splits,
    problems: [],
  };
}
