// The datasets by the catalogue's names (compiler/config/data.ts): each reader lists a folder into a
// Dataset; `shapes` is generated in memory.
import type { Dataset, Sample, Split } from './dataset.ts';
import { decodeSample } from './decode/sample.ts';
import { DataError, dataError } from './errors.ts';
import { readCityscapes } from './readers/cityscapes.ts';
import { readImageFolder } from './readers/image-folder.ts';
import { readNifti } from './readers/nifti.ts';
import { readPolyp } from './readers/polyp.ts';
import { readRetinalLesions } from './readers/retinal-lesions.ts';
import type { Listing, Options, Reader } from './readers/types.ts';
import { readVoc } from './readers/voc.ts';
import { shapesDataset } from './shapes-dataset.ts';

export const READERS: Record<string, Reader> = {
  image_folder: readImageFolder,
  voc: readVoc,
  cityscapes: readCityscapes,
  retinal_lesions: readRetinalLesions,
  polyp: readPolyp,
  nifti: readNifti,
};

/** A dataset whose files are listed; `problems` holds the samples left out (see Listing). */
export type ListedDataset = Dataset & { problems: DataError[] };

/** Opens the catalogue's dataset `name` with its resolved options; DataError for a missing folder or list. */
export function openDataset(name: string, options: Options): ListedDataset {
  if (name === 'shapes') return { ...shapesDataset(options), problems: [] };
  const reader = READERS[name];
  if (!reader) throw new Error(`No reader for the dataset '${name}'`);
  return listedDataset(reader(options));
}

export function listedDataset(listing: Listing): ListedDataset {
  const splits = Object.keys(listing.splits) as Split[];
  const entries = (split: Split) => {
    const list = listing.splits[split];
    if (!list) throw dataError('SEG6049', [listing.info.name, split], split);
    return list;
  };
  const rules = { classes: listing.info.classes, ignore: listing.info.ignore };
  return {
    ...listing.info,
    splits,
    problems: listing.problems,
    count: (split) => entries(split).length,
    entry: (split, index) => entries(split)[index],
    load: (split, index): Promise<Sample> => decodeSample(entries(split)[index], rules),
  };
}
