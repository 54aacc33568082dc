// The Dataset seam: what every reader (runtime/data/readers/) gives the loader. A dataset lists its samples
// per split at open time (file names only: cheap, and a missing file is found before training); a sample is
// decoded from its entry, a plain object that crosses to a worker thread unchanged.

export type Split = 'train' | 'val' | 'test';

export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** How a mask file's grey values become labels. */
export type MaskMode =
  /** The value is the class index (palette index of a palette PNG, grey value otherwise). */
  | { kind: 'index' }
  /** Grey > threshold is class 1, else class 0 (upstream's polyp masks: > 127). */
  | { kind: 'binary'; threshold: number }
  /** Grey value values[i] is class i; any other value is an error. */
  | { kind: 'values'; values: number[] };

/** One sample's files and how to read them: what a worker thread needs to decode it. */
export type SampleEntry =
  | {
      kind: 'image';
      id: string;
      image: string;
      /** Absent: an image without labels (prediction only). */
      mask?: string;
      maskMode: MaskMode;
    }
  | {
      /** One grey PNG per class (a missing file: no pixel of that class), as Retinal Lesions. */
      kind: 'lesions';
      id: string;
      image: string;
      /** Per class, its mask file or undefined. */
      masks: (string | undefined)[];
      /** Grey levels counted as the class. */
      values: number[];
      /** Union of the classes into one {0, 1} map instead of a multilabel stack. */
      binary: boolean;
    }
  | {
      kind: 'volume';
      id: string;
      image: string;
      mask?: string;
      intensity: Intensity;
    };

/** How volume intensities become the uint8 the plans upload. */
export type Intensity =
  /** Per volume: (v - mean) / std, then [-4, 4] mapped linearly onto 0..255 (clipped). */
  | { kind: 'zscore' }
  /** Clip to [low, high], then mapped linearly onto 0..255. */
  | { kind: 'clip'; low: number; high: number };

export interface Sample {
  id: string;
  /** [H, W, C] (images) or [D, H, W, C] (volumes), row-major. */
  image: Uint8Array;
  /** [H, W] or [D, H, W]. */
  size: number[];
  channels: number;
  /**
   * Class index per pixel ([H, W] / [D, H, W]; u16 where a label can exceed 255), or for a multilabel set
   * {0, 1} masks, K planes [K, H, W]. Absent for images without labels.
   */
  labels?: Uint8Array | Uint16Array;
  /** K of a multilabel mask stack; absent for class indices. */
  labelChannels?: number;
  /** Voxel spacing [d, h, w] in mm (volumes). */
  spacing?: number[];
  /** Orientation of the volume's axes as nibabel's aff2axcodes (volumes), e.g. 'RAS'. */
  orientation?: string;
}

export interface DatasetInfo {
  /** The catalogue's dataset name. */
  name: string;
  /** Classes of the labels (the background included); for a multilabel set, the mask channels. */
  classes: number;
  classNames?: string[];
  /** The label value every loss and metric skips. */
  ignore: number;
  channels: number;
  multilabel: boolean;
  /** Notes for the user about how the folder was read (e.g. no split lists: every split is every image). */
  notes: string[];
}

export interface Dataset extends DatasetInfo {
  splits: Split[];
  count(split: Split): number;
  /** The files of a sample, for decoding in a worker thread; absent for a set generated in memory. */
  entry?(split: Split, index: number): SampleEntry;
  /** Decodes a sample on this thread (the loader decodes in worker threads; see loader.ts). */
  load(split: Split, index: number): Promise<Sample>;
}
