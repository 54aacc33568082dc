// The catalogue of configuration signatures: every dataset, transform, optimizer, schedule and metric an experiment
// may name, with its options and their types, and the keys of the train, eval and test sections. `segc check`
// validates an experiment's settings against it (checkSettings); whether this version can *run* a declared entry is
// a separate question (runtime/train/config.ts, `unavailable`). docs/catalogue.md is generated from this table.
import type { Span } from '../../grammar/index.ts';
import type { Diagnostic } from '../diagnostics/index.ts';
import { createDiagnostic, suggest } from '../diagnostics/index.ts';
import type { ConfigCall, Setting } from './settings.ts';

export type Family = 'dataset' | 'transform' | 'optimizer' | 'schedule' | 'metric' | 'stats';

/** The type of an option's value. */
export type Type =
  | { kind: 'int'; min?: number; max?: number }
  /** `above`: exclusive lower bound; `below`: exclusive upper bound. */
  | { kind: 'number'; min?: number; max?: number; above?: number; below?: number }
  | { kind: 'string'; values?: string[] }
  | { kind: 'bool' }
  /** A name written without quotes (`iteration`, `val.loss`), one of `values` or passing `test`. */
  | { kind: 'symbol'; values?: string[]; test?: (name: string) => boolean; what?: string }
  | { kind: 'list'; of: Type; length?: number; what?: string }
  /** A catalogue entry of a family, written as a name (`dice`) or a call (`dice_per_image(threshold = 0.5)`). */
  | { kind: 'entry'; family: Family }
  | { kind: 'either'; of: Type[] };

export interface Param {
  name: string;
  type: Type;
  /** The value when the option is not given; absent for required options and those with no default. */
  default?: Setting;
  /** Must be given. */
  required?: boolean;
  /** What the default means when it is not a value (`the dataset's training size`). */
  defaultText?: string;
  doc: string;
}

/** Check-time image and label shape a dataset declares. `classes` or `channels` undefined: the network's. */
export interface DeclaredShape {
  channels?: number;
  classes?: number;
  /** Spatial sizes of a training sample: [H, W] or [D, H, W]. */
  size: number[];
  /** Spatial sizes of an evaluation sample, when they differ. */
  evalSize?: number[];
}

export interface Entry {
  name: string;
  family: Family;
  doc: string;
  /** Options in positional order: `hflip(0.5)` is `hflip(p = 0.5)`. */
  params: Param[];
  /** Keys of the entry's option block (datasets: the augmentation pipelines). */
  block?: Param[];
  /** How it is written, for messages and docs. */
  example: string;
  /** Metrics: whether it is one number (can be selected on); per-class tables are not. */
  scalar?: boolean;
  /** Datasets: the shape a checked experiment is staged at, from the options (defaults filled in). */
  shape?: (options: Record<string, Setting>) => DeclaredShape;
  /** Checks across options, after each option's type: returns [message, option] pairs. */
  refine?: (options: Record<string, Setting>, given: Set<string>) => Array<[string, string?]>;
}

const int = (min?: number, max?: number): Type => ({ kind: 'int', min, max });
const num = (bounds: Omit<Extract<Type, { kind: 'number' }>, 'kind'> = {}): Type => ({ kind: 'number', ...bounds });
const str: Type = { kind: 'string' };
const bool: Type = { kind: 'bool' };
const probability: Type = num({ min: 0, max: 1 });
const pair = (what = '[height, width]'): Type => ({ kind: 'list', of: int(1), length: 2, what });
const triple: Type = { kind: 'list', of: int(1), length: 3, what: '[depth, height, width]' };
const numbers = (length?: number): Type => ({ kind: 'list', of: num(), length });
const entry = (family: Family): Type => ({ kind: 'entry', family });
const transforms: Type = { kind: 'list', of: entry('transform') };
const interpolation: Type = { kind: 'symbol', values: ['nearest', 'linear', 'cubic'] };
const p = (value = 0.5): Param => ({ name: 'p', type: probability, default: value, doc: 'probability of applying it' });
const TRAINING_SIZE = "the dataset's training size";

const pipelines: Param[] = [
  { name: 'train augment', type: transforms, default: [], doc: 'transforms of a training sample, in order' },
  { name: 'eval augment', type: transforms, default: [], doc: 'transforms of a validation sample' },
  { name: 'test augment', type: transforms, default: [], defaultText: 'eval augment', doc: 'transforms of a test sample' },
];

const shapeOf = (channels: number | undefined, classes: number | undefined, size: Setting, evalSize?: Setting): DeclaredShape => ({
  channels,
  classes,
  size: size as number[],
  evalSize: evalSize as number[] | undefined,
});

const DATASETS: Entry[] = [
  {
    name: 'shapes',
    family: 'dataset',
    doc: 'Synthetic RGB images of random shapes on a background, with labels (class 0 the background).',
    example: 'shapes(size = [64, 64], classes = 3)',
    params: [
      { name: 'size', type: pair(), default: [64, 64], doc: 'image size' },
      { name: 'classes', type: int(2, 8), default: 3, doc: 'classes, the background included' },
      { name: 'foreground', type: num({ above: 0, max: 0.5 }), default: 0.1, doc: 'mean foreground fraction of an image' },
      { name: 'train', type: int(1), default: 256, doc: 'training images' },
      { name: 'val', type: int(1), default: 64, doc: 'validation images' },
      { name: 'seed', type: int(), default: 0, doc: 'generator seed' },
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, o.classes as number, o.size),
  },
  {
    name: 'retinal_lesions',
    family: 'dataset',
    doc: 'Retinal Lesions fundus images (UPSTREAM.md §4): per-lesion grayscale PNGs under `lesion_segs_896x896/`, ' +
      'split lists `train.txt`/`val.txt`/`test.txt`; binary: the union of the 8 lesions, 1 logit channel.',
    example: 'retinal_lesions(root = "data/retinal-lesions-v20191227", size = [512, 512], binary = true)',
    params: [
      { name: 'root', type: str, default: 'data/retinal-lesions-v20191227', doc: 'dataset folder' },
      { name: 'size', type: pair(), default: [512, 512], doc: 'resize to this (after the geometric transforms, as upstream)' },
      { name: 'binary', type: bool, default: false, doc: 'merge the 8 lesion classes into one (1 channel)' },
      { name: 'label_values', type: { kind: 'list', of: int(0, 255) }, default: [255], doc: 'mask gray levels counted as lesion' },
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, o.binary ? 1 : 8, o.size),
  },
  {
    name: 'cityscapes',
    family: 'dataset',
    doc: 'Cityscapes fine annotations as trainIds (19 classes, 255 ignored): `leftImg8bit/` and `gtFine/`.',
    example: 'cityscapes(root = "data/cityscapes", train_crop = [512, 1024])',
    params: [
      { name: 'root', type: str, default: 'data/cityscapes', doc: 'dataset folder' },
      { name: 'train_crop', type: pair(), default: [512, 1024], doc: 'size of a training sample' },
      { name: 'eval_size', type: pair(), default: [1024, 2048], doc: 'size of an evaluation sample' },
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, 19, o.train_crop, o.eval_size),
  },
  {
    name: 'polyp',
    family: 'dataset',
    doc: 'Polyp segmentation in the PraNet layout (`TrainDataset/`, `TestDataset/<set>/`), 2 classes, masks > 127.',
    example: 'polyp(root = "data/polyp", test_set = "Kvasir")',
    params: [
      { name: 'root', type: str, default: 'data/polyp', doc: 'dataset folder' },
      {
        name: 'test_set',
        type: { kind: 'string', values: ['CVC-300', 'CVC-ClinicDB', 'CVC-ColonDB', 'ETIS-LaribPolypDB', 'Kvasir'] },
        default: 'Kvasir',
        doc: 'the test subset',
      },
      { name: 'size', type: pair(), default: [512, 512], doc: 'size of a training sample' },
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, 2, o.size),
  },
  {
    name: 'voc',
    family: 'dataset',
    doc: 'Pascal VOC segmentation (21 classes with the background, 255 ignored): `JPEGImages/`, `SegmentationClass/`.',
    example: 'voc(root = "data/VOCdevkit/VOC2012")',
    params: [
      { name: 'root', type: str, default: 'data/VOCdevkit/VOC2012', doc: 'dataset folder' },
      { name: 'crop', type: pair(), default: [512, 512], doc: 'size of a training sample' },
      { name: 'eval_size', type: pair(), default: [480, 480], doc: 'size of an evaluation sample' },
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, 21, o.crop, o.eval_size),
  },
  {
    name: 'image_folder',
    family: 'dataset',
    doc: 'The jpg/jpeg/png images of a folder, without labels: for prediction with a trained network.',
    example: 'image_folder(root = "images/")',
    params: [
      { name: 'root', type: str, required: true, doc: 'the folder' },
      { name: 'size', type: pair(), default: [512, 512], doc: 'resize to this' },
      { name: 'mean', type: numbers(3), default: [0.485, 0.456, 0.406], doc: 'channel means (images in [0, 1])' },
      { name: 'std', type: { kind: 'list', of: num({ above: 0 }), length: 3 }, default: [0.229, 0.224, 0.225], doc: 'channel standard deviations' },
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, undefined, o.size),
  },
  {
    name: 'nifti',
    family: 'dataset',
    doc: 'NIfTI volumes with label maps, matched by sorted file name, trained on random patches.',
    example: 'nifti(images = "data/*_t1.nii.gz", labels = "data/*_seg.nii.gz", patch = [64, 64, 64])',
    params: [
      { name: 'images', type: str, required: true, doc: 'glob of the image volumes' },
      { name: 'labels', type: str, required: true, doc: 'glob of the label volumes' },
      { name: 'patch', type: triple, default: [64, 64, 64], doc: 'size of a training patch' },
      {
        name: 'spacing',
        type: { kind: 'either', of: [{ kind: 'string', values: ['native'] }, { kind: 'list', of: num({ above: 0 }), length: 3 }] },
        default: 'native',
        doc: '"native", or a voxel spacing [d, h, w] in mm to resample to',
      },
      { name: 'split', type: { kind: 'list', of: num({ above: 0, max: 1 }), what: 'fractions [train, val] or [train, val, test]' }, default: [0.8, 0.2], doc: 'fractions of the volumes per split, summing to 1' },
      { name: 'seed', type: int(), default: 0, doc: 'seed of the split and the patches' },
      { name: 'channels', type: int(1), default: 1, doc: 'image channels (modalities)' },
      { name: 'classes', type: int(2), defaultText: "the network's output channels", doc: 'classes of the label maps' },
    ],
    block: pipelines,
    refine: (o) => {
      const split = o.split as number[];
      if (split.length < 2 || split.length > 3) return [['must be [train, val] or [train, val, test]', 'split']];
      const sum = split.reduce((a, b) => a + b, 0);
      return Math.abs(sum - 1) > 1e-6 ? [[`must sum to 1, got ${+sum.toFixed(6)}`, 'split']] : [];
    },
    shape: (o) => shapeOf(o.channels as number, o.classes as number | undefined, o.patch),
  },
];

function ofFamily(family: Family, list: Omit<Entry, 'family'>[]): Entry[] {
  return list.map((e) => ({ ...e, family }));
}

const sized = (what: string): Param => ({
  name: 'size',
  type: { kind: 'either', of: [int(1), pair()] },
  defaultText: TRAINING_SIZE,
  doc: what,
});

const TRANSFORMS: Entry[] = ofFamily('transform', [
  { name: 'hflip', doc: 'Horizontal flip.', example: 'hflip(0.5)', params: [p()] },
  { name: 'vflip', doc: 'Vertical flip.', example: 'vflip(0.5)', params: [p()] },
  {
    name: 'flip',
    doc: 'Flip along each of the named spatial axes, independently.',
    example: 'flip(axes = [D, H, W], p = 0.5)',
    params: [{ name: 'axes', type: { kind: 'list', of: { kind: 'symbol', values: ['D', 'H', 'W'] } }, default: ['H', 'W'], doc: 'axes to flip' }, p()],
  },
  {
    name: 'one_of',
    doc: 'With probability p, one of the transforms, chosen uniformly (albumentations OneOf).',
    example: 'one_of(0.3, [contrast(0.2), gamma(80, 120)])',
    params: [p(), { name: 'transforms', type: transforms, required: true, doc: 'the choices' }],
  },
  {
    name: 'one_or_other',
    doc: 'With probability p the first transform (or list), otherwise the second (albumentations OneOrOther).',
    example: 'one_or_other(0.3, resize(), [random_scale(0.5, 1.5), random_crop()])',
    params: [
      p(),
      { name: 'first', type: { kind: 'either', of: [entry('transform'), transforms] }, required: true, doc: 'taken with probability p' },
      { name: 'second', type: { kind: 'either', of: [entry('transform'), transforms] }, required: true, doc: 'taken otherwise' },
    ],
  },
  { name: 'contrast', doc: 'Random contrast change by up to ±limit.', example: 'contrast(0.2)', params: [{ name: 'limit', type: num({ min: 0 }), default: 0.2, doc: 'largest change' }, p()] },
  { name: 'brightness', doc: 'Random brightness change by up to ±limit.', example: 'brightness(0.2)', params: [{ name: 'limit', type: num({ min: 0 }), default: 0.2, doc: 'largest change' }, p()] },
  {
    name: 'gamma',
    doc: 'Random gamma, in percent (80 to 120: gamma 0.8 to 1.2).',
    example: 'gamma(80, 120)',
    params: [{ name: 'low', type: num({ above: 0 }), default: 80, doc: 'lowest gamma ×100' }, { name: 'high', type: num({ above: 0 }), default: 120, doc: 'highest gamma ×100' }, p()],
  },
  {
    name: 'brightness_contrast',
    doc: 'Random brightness and contrast changes (albumentations RandomBrightnessContrast).',
    example: 'brightness_contrast(0.3, 0.3, p = 0.5)',
    params: [{ name: 'brightness', type: num({ min: 0 }), default: 0.2, doc: 'largest brightness change' }, { name: 'contrast', type: num({ min: 0 }), default: 0.2, doc: 'largest contrast change' }, p()],
  },
  {
    name: 'hue_saturation_value',
    doc: 'Random hue, saturation and value shifts (albumentations HueSaturationValue).',
    example: 'hue_saturation_value(20, 30, 20)',
    params: [
      { name: 'hue', type: num({ min: 0 }), default: 20, doc: 'largest hue shift' },
      { name: 'saturation', type: num({ min: 0 }), default: 30, doc: 'largest saturation shift' },
      { name: 'value', type: num({ min: 0 }), default: 20, doc: 'largest value shift' },
      p(),
    ],
  },
  {
    name: 'elastic',
    doc: 'Elastic deformation (albumentations ElasticTransform).',
    example: 'elastic(alpha = 120, sigma = 6, alpha_affine = 3.6)',
    params: [
      { name: 'alpha', type: num({ min: 0 }), default: 1, doc: 'displacement scale' },
      { name: 'sigma', type: num({ above: 0 }), default: 50, doc: 'smoothing of the displacement field' },
      { name: 'alpha_affine', type: num({ min: 0 }), default: 50, doc: 'range of the random affine part' },
      p(),
    ],
  },
  {
    name: 'grid_distortion',
    doc: 'Grid distortion (albumentations GridDistortion).',
    example: 'grid_distortion(steps = 5, limit = 0.3)',
    params: [{ name: 'steps', type: int(1), default: 5, doc: 'grid cells per side' }, { name: 'limit', type: num({ min: 0 }), default: 0.3, doc: 'largest distortion' }, p()],
  },
  {
    name: 'optical_distortion',
    doc: 'Optical (barrel/pincushion) distortion (albumentations OpticalDistortion).',
    example: 'optical_distortion(limit = 2, shift = 0.5)',
    params: [{ name: 'limit', type: num({ min: 0 }), default: 0.05, doc: 'largest distortion' }, { name: 'shift', type: num({ min: 0 }), default: 0.05, doc: 'largest centre shift' }, p()],
  },
  {
    name: 'shift_scale_rotate',
    doc: 'Random shift (fraction of the size), scale (±) and rotation (± degrees); linear, reflected borders.',
    example: 'shift_scale_rotate(0.0625, 0.1, 45, p = 0.5)',
    params: [
      { name: 'shift', type: num({ min: 0 }), default: 0.0625, doc: 'largest shift, as a fraction of the size' },
      { name: 'scale', type: num({ min: 0 }), default: 0.1, doc: 'largest scale change' },
      { name: 'rotate', type: num({ min: 0 }), default: 45, doc: 'largest rotation in degrees' },
      p(),
    ],
  },
  {
    name: 'random_scale',
    doc: 'Rescale by a random factor in [low, high].',
    example: 'random_scale(0.5, 1.5, mode = cubic)',
    params: [
      { name: 'low', type: num({ above: 0 }), default: 0.9, doc: 'smallest factor' },
      { name: 'high', type: num({ above: 0 }), default: 1.1, doc: 'largest factor' },
      { name: 'mode', type: interpolation, default: 'linear', doc: 'image interpolation (masks: nearest)' },
      p(1),
    ],
  },
  { name: 'random_crop', doc: 'A random crop.', example: 'random_crop([512, 1024])', params: [sized('crop size, [height, width] or one number for a square')] },
  {
    name: 'resize',
    doc: 'Resize (image interpolated, mask nearest).',
    example: 'resize([512, 512])',
    params: [sized('target size, [height, width] or one number for a square'), { name: 'mode', type: interpolation, default: 'linear', doc: 'image interpolation' }, p(1)],
  },
  {
    name: 'longest_max_size',
    doc: 'Rescale so that the longest side is `size`.',
    example: 'longest_max_size(640)',
    params: [{ name: 'size', type: int(1), required: true, doc: 'longest side' }, { name: 'mode', type: interpolation, default: 'linear', doc: 'image interpolation' }],
  },
  {
    name: 'pad_if_needed',
    doc: 'Pad (centred, constant) up to at least `size`.',
    example: 'pad_if_needed(mask = 255)',
    params: [
      sized('smallest size, [height, width] or one number for a square'),
      { name: 'image', type: num(), default: 0, doc: 'image padding value' },
      { name: 'mask', type: int(0, 255), default: 255, doc: 'label padding value (255: ignored)' },
    ],
  },
  {
    name: 'normalize',
    doc: 'Per-channel (x / 255 - mean) / std, from named statistics or explicit lists.',
    example: 'normalize(imagenet)',
    params: [
      { name: 'stats', type: entry('stats'), doc: 'statistics, as `imagenet` from std/augment' },
      { name: 'mean', type: numbers(), doc: 'channel means' },
      { name: 'std', type: { kind: 'list', of: num({ above: 0 }) }, doc: 'channel standard deviations' },
    ],
    refine: (_, given) => {
      const named = given.has('mean') || given.has('std');
      if (given.has('stats') && named) return [["takes statistics or 'mean' and 'std', not both", 'mean']];
      if (!given.has('stats') && !(given.has('mean') && given.has('std'))) {
        return [["needs statistics, as in normalize(imagenet) (import std/augment { imagenet }), or both 'mean' and 'std'"]];
      }
      return [];
    },
  },
  { name: 'intensity_scale', doc: 'Multiply intensities by a random factor in [1 - factor, 1 + factor].', example: 'intensity_scale(0.1)', params: [{ name: 'factor', type: num({ min: 0 }), default: 0.1, doc: 'largest relative change' }, p(1)] },
  { name: 'zscore', doc: 'Normalise each image (volume) to zero mean and unit variance over its nonzero voxels.', example: 'zscore()', params: [] },
]);

const STATS: Entry[] = [
  {
    name: 'stats',
    family: 'stats',
    doc: 'Channel statistics for normalize (images scaled to [0, 1]); std/augment defines `imagenet` with it.',
    example: 'stats(mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225])',
    params: [
      { name: 'mean', type: numbers(), required: true, doc: 'channel means' },
      { name: 'std', type: { kind: 'list', of: num({ above: 0 }) }, required: true, doc: 'channel standard deviations' },
    ],
  },
];

const adamParams = (weightDecay: number): Param[] => [
  { name: 'lr', type: num({ above: 0 }), default: 1e-3, doc: 'learning rate' },
  { name: 'beta1', type: num({ min: 0, below: 1 }), default: 0.9, doc: 'first-moment decay' },
  { name: 'beta2', type: num({ min: 0, below: 1 }), default: 0.999, doc: 'second-moment decay' },
  { name: 'eps', type: num({ above: 0 }), default: 1e-8, doc: 'denominator term' },
  { name: 'weight_decay', type: num({ min: 0 }), default: weightDecay, doc: 'weight decay' },
];

const OPTIMIZERS: Entry[] = [
  { name: 'adam', family: 'optimizer', doc: 'Adam; weight decay is L2 in the gradient (torch Adam).', example: 'adam(lr = 1e-3)', params: adamParams(0) },
  { name: 'adamw', family: 'optimizer', doc: 'AdamW: decoupled weight decay.', example: 'adamw(lr = 1e-3, weight_decay = 1e-2)', params: adamParams(1e-2) },
  {
    name: 'sgd',
    family: 'optimizer',
    doc: 'Stochastic gradient descent with momentum (torch SGD); weight decay is L2 in the gradient.',
    example: 'sgd(lr = 0.01, momentum = 0.9, nesterov = true)',
    params: [
      { name: 'lr', type: num({ above: 0 }), default: 0.01, doc: 'learning rate' },
      { name: 'momentum', type: num({ min: 0, below: 1 }), default: 0.9, doc: 'momentum' },
      { name: 'dampening', type: num({ min: 0, max: 1 }), default: 0, doc: 'dampening of the momentum' },
      { name: 'nesterov', type: bool, default: true, doc: 'Nesterov momentum' },
      { name: 'weight_decay', type: num({ min: 0 }), default: 0, doc: 'weight decay' },
    ],
    refine: (o) => (o.nesterov && !((o.momentum as number) > 0 && o.dampening === 0) ? [['needs momentum > 0 and dampening = 0 for nesterov = true', 'nesterov']] : []),
  },
];

/** Whether `name` is `val.loss` or `val.<metric>`, a quantity a plateau schedule can watch. */
const monitored = (name: string) => name === 'val.loss' || (name.startsWith('val.') && entries('metric').some((m) => m.scalar && `val.${m.name}` === name));

const SCHEDULES: Entry[] = [
  { name: 'constant', family: 'schedule', doc: 'The optimizer\'s learning rate throughout.', example: 'constant', params: [] },
  {
    name: 'cosine',
    family: 'schedule',
    doc: 'Cosine annealing per epoch from the learning rate to `min` over the training (torch CosineAnnealingLR).',
    example: 'cosine(min = 1e-5)',
    params: [{ name: 'min', type: num({ min: 0 }), default: 0, doc: 'final learning rate' }],
  },
  {
    name: 'poly',
    family: 'schedule',
    doc: '(lr - min) · (1 - t/T)^power + min, per iteration or per epoch (upstream poly).',
    example: 'poly(power = 0.9, min = 1e-4, per = iteration)',
    params: [
      { name: 'power', type: num({ above: 0 }), default: 0.9, doc: 'exponent' },
      { name: 'min', type: num({ min: 0 }), default: 0, doc: 'final learning rate' },
      { name: 'per', type: { kind: 'symbol', values: ['iteration', 'epoch'] }, default: 'iteration', doc: 'step after every iteration or epoch' },
    ],
  },
  {
    name: 'plateau',
    family: 'schedule',
    doc: 'Multiply the learning rate by `factor` when `monitor` stops improving for `patience` epochs (torch ReduceLROnPlateau; a loss is minimised, a metric maximised).',
    example: 'plateau(factor = 0.5, patience = 6, monitor = val.loss)',
    params: [
      { name: 'factor', type: num({ above: 0, below: 1 }), default: 0.5, doc: 'multiplier' },
      { name: 'patience', type: int(0), default: 3, doc: 'epochs without improvement before a reduction' },
      { name: 'monitor', type: { kind: 'symbol', test: monitored, what: 'val.loss or val.<metric>' }, default: 'val.loss', doc: 'the watched quantity' },
      { name: 'min', type: num({ min: 0 }), default: 0, doc: 'lowest learning rate' },
      { name: 'threshold', type: num({ min: 0 }), default: 1e-4, doc: 'relative change that counts as improvement' },
      { name: 'cooldown', type: int(0), default: 0, doc: 'epochs to wait after a reduction' },
    ],
  },
  {
    name: 'step',
    family: 'schedule',
    doc: 'Multiply the learning rate by `factor` every `every` epochs (torch StepLR).',
    example: 'step(every = 10, factor = 0.1)',
    params: [
      { name: 'every', type: int(1), default: 10, doc: 'epochs between reductions' },
      { name: 'factor', type: num({ above: 0 }), default: 0.1, doc: 'multiplier' },
    ],
  },
];

const METRICS: Entry[] = ofFamily('metric', [
  { name: 'dice', scalar: true, doc: 'Foreground Dice over the whole split (per-class sums, mean over the foreground classes).', example: 'dice', params: [] },
  { name: 'miou', scalar: true, doc: 'Mean IoU over all classes, sums accumulated over the split (an absent class counts as 0).', example: 'miou', params: [] },
  { name: 'proportion_error', scalar: true, doc: 'Mean absolute error of the predicted class proportions, per image.', example: 'proportion_error', params: [] },
  { name: 'macc', scalar: true, doc: 'Mean per-class pixel accuracy, sums accumulated over the split.', example: 'macc', params: [] },
  {
    name: 'dice_per_image',
    scalar: true,
    doc: 'Dice per image and channel of the thresholded probabilities, averaged over images (retinal evaluator).',
    example: 'dice_per_image(threshold = 0.5)',
    params: [{ name: 'threshold', type: probability, default: 0.5, doc: 'probability threshold (sigmoid outputs)' }],
  },
  { name: 'per_class_iou', scalar: false, doc: 'IoU of each class (a table).', example: 'per_class_iou', params: [] },
  { name: 'per_class_dice', scalar: false, doc: 'Dice of each class (a table).', example: 'per_class_dice', params: [] },
  {
    name: 'nsd',
    scalar: true,
    doc: 'Normalised surface Dice at a tolerance, per image, images with empty ground truth skipped.',
    example: 'nsd(tolerance = 1)',
    params: [
      { name: 'tolerance', type: num({ min: 0 }), default: 1, doc: 'tolerance in mm' },
      { name: 'spacing', type: { kind: 'list', of: num({ above: 0 }) }, default: [2, 1], doc: 'pixel spacing in mm, per spatial axis' },
    ],
  },
  {
    name: 'hd95',
    scalar: true,
    doc: '95th-percentile Hausdorff distance, per image, images with an empty prediction or ground truth skipped.',
    example: 'hd95',
    params: [{ name: 'spacing', type: { kind: 'list', of: num({ above: 0 }) }, defaultText: '1 per axis', doc: 'pixel spacing in mm, per spatial axis' }],
  },
]);

/** Every catalogue entry, by family. */
export const CATALOGUE: Entry[] = [...DATASETS, ...TRANSFORMS, ...STATS, ...OPTIMIZERS, ...SCHEDULES, ...METRICS];

/** Names that are configuration constructors in a setting (a call of one is a configuration object). */
export const CONSTRUCTORS = new Set(CATALOGUE.map((e) => e.name));

export function entries(family: Family): Entry[] {
  return CATALOGUE.filter((e) => e.family === family);
}

export function findEntry(family: Family, name: string): Entry | undefined {
  return CATALOGUE.find((e) => e.family === family && e.name === name);
}

/** The default of option `key` of entry `name` (the catalogue's). */
export function defaultOf(family: Family, name: string, key: string): Setting | undefined {
  return findEntry(family, name)?.params.find((q) => q.name === key)?.default;
}

/** Setting fns of the standard library, by name: a hint when one is used without its import. */
export const LIBRARY_NAMES: Record<string, string> = Object.fromEntries(
  ['imagenet', 'retinal_train', 'cityscapes_train', 'polyp_train', 'polyp_eval', 'voc_train', 'voc_eval'].map((n) => [n, 'std/augment']),
);

const FAMILY_TEXT: Record<Family, { one: string; many: string; example: string }> = {
  dataset: { one: 'dataset', many: 'datasets', example: 'shapes(size = [64, 64])' },
  transform: { one: 'transform', many: 'transforms', example: 'hflip(0.5)' },
  optimizer: { one: 'optimizer', many: 'optimizers', example: 'adam(lr = 1e-3)' },
  schedule: { one: 'schedule', many: 'schedules', example: 'cosine(min = 1e-5)' },
  metric: { one: 'metric', many: 'metrics', example: 'dice' },
  stats: { one: 'statistics', many: 'statistics', example: 'imagenet (import std/augment { imagenet })' },
};

export const TRAIN_KEYS: Param[] = [
  { name: 'epochs', type: int(1), default: 10, doc: 'training epochs' },
  { name: 'batch', type: int(1), default: 8, doc: 'images per training step' },
  { name: 'seed', type: int(), default: 0, doc: 'seed of the initial weights and the data order' },
];

export const EVAL_KEYS: Param[] = [
  { name: 'every', type: int(1), default: 1, doc: 'epochs between evaluations on the validation split' },
  { name: 'metrics', type: { kind: 'list', of: entry('metric') }, default: ['dice', 'miou', 'proportion_error'], doc: 'metrics to compute' },
  { name: 'select', type: { kind: 'symbol' }, defaultText: 'the first metric', doc: 'the metric that picks the best checkpoint (higher is better)' },
  { name: 'batch', type: int(1), defaultText: 'train batch', doc: 'images per evaluation step' },
];

export const TEST_KEYS: Param[] = [
  { name: 'split', type: { kind: 'symbol', values: ['train', 'val', 'test'] }, default: 'test', doc: 'the split to test on' },
  { name: 'after_training', type: bool, default: false, doc: 'test the selected checkpoint when training ends' },
  {
    name: 'checkpoint',
    type: { kind: 'either', of: [{ kind: 'symbol', values: ['best', 'last'] }, str] },
    default: 'best',
    doc: 'best, last, or the path of a checkpoint',
  },
  { name: 'batch', type: int(1), defaultText: 'eval batch', doc: 'images per step' },
  { name: 'metrics', type: { kind: 'list', of: entry('metric') }, defaultText: 'eval metrics', doc: 'metrics to compute' },
  { name: 'save_predictions', type: bool, default: false, doc: 'write each prediction as a PNG of label values' },
];

export const SECTION_KEYS: Record<string, Param[]> = { train: TRAIN_KEYS, eval: EVAL_KEYS, test: TEST_KEYS };

// ---- checking ---------------------------------------------------------------------------------------------------

/** What checkSettings reads: the experiment's settings and where they are written. */
export interface CheckedSettings {
  data: ConfigCall;
  /** Option blocks by setting: `blocks.data['train augment']`. */
  blocks?: Record<string, Record<string, Setting>>;
  optimizer: ConfigCall;
  schedule?: ConfigCall;
  train: Record<string, Setting>;
  eval: Record<string, Setting>;
  test?: Record<string, Setting>;
  /** Spans of keys and settings by path (`train.epochs`, `data`). */
  spans: Record<string, Span>;
  /** Spans of values by path (`train.epochs`, `eval.metrics.1`). */
  values: Record<string, Span>;
  /** Paths of values written as names, not string literals (or a test of a path). */
  symbols?: Set<string> | ((path: string) => boolean);
}

/** Describes a type for messages: "a whole number >= 1", "a list of 2 whole numbers >= 1 ([height, width])". */
export function describeType(type: Type): string {
  switch (type.kind) {
    case 'int':
      return `a whole number${bounds(type.min, undefined, type.max, undefined)}`;
    case 'number':
      return `a number${bounds(type.min, type.above, type.max, type.below)}`;
    case 'string':
      return type.values ? `one of ${type.values.map((v) => JSON.stringify(v)).join(', ')}` : 'a string';
    case 'bool':
      return 'true or false';
    case 'symbol':
      return type.what ?? (type.values ? `one of ${type.values.join(', ')}` : 'a name');
    case 'list': {
      if (type.of.kind === 'symbol' && type.of.values) return `a list of names among ${type.of.values.join(', ')}`;
      if (type.of.kind === 'entry') return `a list of ${FAMILY_TEXT[type.of.family].many}, as in [${FAMILY_TEXT[type.of.family].example}]`;
      const of = describeType(type.of).replace(/^an? /, '');
      const items = type.length ? `${type.length} ${plural(of)}` : plural(of);
      return type.what ? `${type.what} (${items.replace(/^(\d+) /, '$1 ')})` : `a list of ${items}`;
    }
    case 'entry':
      return `${article(FAMILY_TEXT[type.family].one)} such as ${FAMILY_TEXT[type.family].example}`;
    case 'either':
      return type.of.map(describeType).join(' or ');
  }
}

function bounds(min?: number, above?: number, max?: number, below?: number): string {
  const lo = min !== undefined ? { n: min, open: false } : above !== undefined ? { n: above, open: true } : undefined;
  const hi = max !== undefined ? { n: max, open: false } : below !== undefined ? { n: below, open: true } : undefined;
  if (lo && hi && !lo.open && !hi.open) return ` from ${lo.n} to ${hi.n}`;
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.n}, ${hi.n}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '>='} ${lo.n}`;
  if (hi) return ` ${hi.open ? '<' : '<='} ${hi.n}`;
  return '';
}

const article = (word: string) => (/^[aeiou]/.test(word) && word !== 'statistics' ? `an ${word}` : word === 'statistics' ? word : `a ${word}`);
const plural = (noun: string) =>
  noun.replace(/^(whole number|number|string|name|list)/, '$1s').replace(/^(true or false)$/, 'booleans');

/** A value as the user wrote it, for messages. */
function show(value: Setting, symbol: boolean): string {
  if (typeof value === 'string') return symbol ? `the name '${value}'` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const text = `[${value.map((v) => (typeof v === 'object' ? '...' : typeof v === 'string' ? v : String(v))).join(', ')}]`;
    return text.length <= 40 ? text : 'a list';
  }
  return `'${value.name}(...)'`;
}

/**
 * Checks every setting against the catalogue: unknown datasets, transforms, optimizers, schedules and metrics,
 * unknown options and section keys (with "Did you mean" and the valid ones), values of the wrong type or out of
 * range, each reported at the value (or the key) as SEG5001. `fromCommandLine` holds the paths given with `--set`
 * (`train.epochs`), reported without a place.
 */
export function checkSettings(settings: CheckedSettings, fromCommandLine: Set<string> = new Set()): Diagnostic[] {
  return new Checker(settings, fromCommandLine).run();
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly s: CheckedSettings,
    readonly fromCommandLine: Set<string>,
  ) {}

  run(): Diagnostic[] {
    const s = this.s;
    this.call('data', s.data, 'dataset');
    this.call('optimizer', s.optimizer, 'optimizer');
    if (s.schedule) this.call('schedule', s.schedule, 'schedule');
    const blocks = s.blocks ?? {};
    for (const [key, block] of Object.entries(blocks)) {
      const owner = key === 'data' ? findEntry('dataset', s.data.name) : undefined;
      if (key !== 'data') {
        const first = Object.keys(block)[0];
        this.report(`'${key}' takes no option block; only 'data' has one (its augmentation pipelines).`, `${key}.${first}`, true);
      } else if (owner) {
        this.options(`the option block of '${owner.name}'`, `data`, block, owner.block ?? [], false);
      }
    }
    this.section('train', s.train, TRAIN_KEYS);
    this.section('eval', s.eval, EVAL_KEYS);
    if (s.test) this.section('test', s.test, TEST_KEYS);
    this.select();
    // In the order they are written (--set mistakes, which have no place in the file, first).
    return this.diagnostics.sort((a, b) => (a.span?.start ?? -1) - (b.span?.start ?? -1));
  }

  /** Reports at the value at `path` (or its key when `atKey`), without a place for a --set path. */
  report(message: string, path: string, atKey = false, hint?: string): void {
    const fromSet = this.fromCommandLine.has(path);
    const span = fromSet ? undefined : (atKey ? this.s.spans[path] : this.s.values[path]) ?? this.s.values[path] ?? this.nearest(path);
    this.diagnostics.push({ ...createDiagnostic('SEG5001', span, message), hint: fromSet ? undefined : hint });
  }

  /** The span of the closest enclosing path that has one (`data.0` → `data`). */
  nearest(path: string): Span | undefined {
    for (let at = path; at.includes('.'); ) {
      at = at.slice(0, at.lastIndexOf('.'));
      const span = this.s.values[at] ?? this.s.spans[at];
      if (span) return span;
    }
    return this.s.spans[path];
  }

  isSymbol(path: string): boolean {
    const symbols = this.s.symbols;
    return typeof symbols === 'function' ? symbols(path) : symbols?.has(path) ?? false;
  }

  section(name: string, given: Record<string, Setting>, keys: Param[]): void {
    this.options(`'${name}'`, name, given, keys, true);
  }

  /** Checks the given options against `params`: unknown keys, then each value's type, then required ones. */
  options(what: string, path: string, given: Record<string, Setting>, params: Param[], section: boolean): boolean {
    let ok = true;
    const known = params.map((q) => q.name);
    for (const [key, value] of Object.entries(given)) {
      const param = params.find((q) => q.name === key);
      const at = `${path}.${key}`;
      if (!param) {
        ok = false;
        const valid = known.length > 0 ? `valid options are ${known.map((k) => `'${k}'`).join(', ')}` : 'it takes none';
        const where = this.fromCommandLine.has(at) ? ' in --set' : '';
        this.report(`Unknown option '${key}' for ${what}${where}; ${valid}.`, at, true, suggest(key, known));
        continue;
      }
      ok = this.value(value, param.type, at, `Option '${key}' of ${what}${section ? '' : ''}`) && ok;
    }
    return ok;
  }

  /** Checks a value against a type; reports (at the value) and returns false when it does not fit. */
  value(value: Setting, type: Type, path: string, what: string): boolean {
    const fail = () => {
      const where = this.fromCommandLine.has(path) ? ' (in --set)' : '';
      this.report(`${what}${where} must be ${describeType(type)}, got ${show(value, this.isSymbol(path))}.`, path, false, this.hint(value, type, path));
      return false;
    };
    switch (type.kind) {
      case 'int':
        return typeof value === 'number' && Number.isInteger(value) && inRange(value, type) ? true : fail();
      case 'number':
        return typeof value === 'number' && inRange(value, type) ? true : fail();
      case 'bool':
        return typeof value === 'boolean' ? true : fail();
      case 'string':
        return typeof value === 'string' && !this.isSymbol(path) && (!type.values || type.values.includes(value)) ? true : fail();
      case 'symbol': {
        if (typeof value !== 'string' || !this.isSymbol(path)) return fail();
        if (type.values && !type.values.includes(value)) {
          this.report(`${what} must be ${describeType(type)}, got '${value}'.`, path, false, suggest(value, type.values));
          return false;
        }
        return type.test && !type.test(value) ? fail() : true;
      }
      case 'list': {
        if (!Array.isArray(value) || (type.length !== undefined && value.length !== type.length)) return fail();
        // Items of a list of entries are reported one by one (`Unknown metric 'iou'`); others as the whole list.
        if (type.of.kind === 'entry') {
          const family = type.of.family;
          return value.map((item, i) => this.entryValue(item, family, `${path}.${i}`)).every(Boolean);
        }
        if (type.of.kind === 'symbol' && value.every((item, i) => this.shapeFits(item, type.of, `${path}.${i}`))) {
          return value.map((item, i) => this.value(item, type.of, `${path}.${i}`, `An item of ${what.replace(/^Option/, 'option')}`)).every(Boolean);
        }
        return value.every((item, i) => this.quiet(item, type.of, `${path}.${i}`)) ? true : fail();
      }
      case 'entry':
        return this.entryValue(value, type.family, path);
      case 'either': {
        const branch = type.of.find((t) => this.shapeFits(value, t, path)) ;
        if (!branch) return fail();
        if (branch.kind === 'entry' || branch.kind === 'list') return this.value(value, branch, path, what);
        return this.quiet(value, branch, path) ? true : fail();
      }
    }
  }

  /** A hint for a value of the wrong kind: quotes to add or remove, an import to add. */
  hint(value: Setting, type: Type, path: string): string | undefined {
    if (typeof value !== 'string') return undefined;
    const symbol = this.isSymbol(path);
    if (symbol && LIBRARY_NAMES[value]) return `'${value}' is in ${LIBRARY_NAMES[value]}: import ${LIBRARY_NAMES[value]} { ${value} }`;
    const alternatives = type.kind === 'either' ? type.of : [type];
    if (symbol && alternatives.some((t) => t.kind === 'string')) return `Write it as a string, in quotes: "${value}".`;
    if (!symbol && alternatives.some((t) => t.kind === 'symbol' && (!t.values || t.values.includes(value)))) return `Write it as a name, without quotes: ${value}.`;
    return undefined;
  }

  /** Whether a value fits a scalar or list type, without reporting. */
  quiet(value: Setting, type: Type, path: string): boolean {
    const saved = this.diagnostics.length;
    const ok = this.value(value, type, path, '');
    this.diagnostics.length = saved;
    return ok;
  }

  /** Whether a value has the form of a type (a number for a number, a list for a list...), to pick a branch. */
  shapeFits(value: Setting, type: Type, path: string): boolean {
    switch (type.kind) {
      case 'int':
      case 'number':
        return typeof value === 'number';
      case 'bool':
        return typeof value === 'boolean';
      case 'string':
        return typeof value === 'string' && !this.isSymbol(path);
      case 'symbol':
        return typeof value === 'string' && this.isSymbol(path);
      case 'list':
        return Array.isArray(value);
      case 'entry':
        return (typeof value === 'string' && this.isSymbol(path)) || (typeof value === 'object' && !Array.isArray(value));
      case 'either':
        return type.of.some((t) => this.shapeFits(value, t, path));
    }
  }

  /** A value that must be an entry of `family`: a name or a call of one. */
  entryValue(value: Setting, family: Family, path: string): boolean {
    const call = typeof value === 'string' && this.isSymbol(path) ? { name: value, args: [], options: {} } : typeof value === 'object' && !Array.isArray(value) ? value : undefined;
    if (!call) {
      this.report(`Expected ${describeType({ kind: 'entry', family })}, got ${show(value, this.isSymbol(path))}.`, path);
      return false;
    }
    return this.call(path, call, family);
  }

  /** A configuration call of `family` at `path`: the name, then its arguments against the entry's options. */
  call(path: string, call: ConfigCall, family: Family): boolean {
    const text = FAMILY_TEXT[family];
    const entry = findEntry(family, call.name);
    const library = LIBRARY_NAMES[call.name];
    if (!entry && library) {
      this.report(`'${call.name}' is not defined in this file; it is in ${library}.`, path, false, `import ${library} { ${call.name} }`);
      return false;
    }
    if (!entry && family === 'stats') {
      this.report(`Unknown statistics '${call.name}'; write stats(mean = [...], std = [...]), or imagenet from std/augment.`, path, false, suggest(call.name, Object.keys(LIBRARY_NAMES)));
      return false;
    }
    if (!entry) {
      const names = entries(family).map((e) => e.name);
      const other = CATALOGUE.find((e) => e.name === call.name);
      const hint = other ? `'${call.name}' is ${article(FAMILY_TEXT[other.family].one)}, not ${article(text.one)}.` : suggest(call.name, names);
      this.report(`Unknown ${text.one} '${call.name}'; valid ${text.many} are ${names.join(', ')}.`, path, false, hint);
      return false;
    }
    const what = `'${entry.name}'`;
    const given: Record<string, Setting> = { ...call.options };
    const givenPaths = new Map<string, string>(Object.keys(call.options).map((k) => [k, `${path}.${k}`]));
    let ok = true;
    call.args.forEach((arg, i) => {
      const param = entry.params[i];
      if (!param) {
        const names = entry.params.map((q) => q.name).join(', ');
        const most = entry.params.length === 0 ? 'takes no arguments' : `takes at most ${entry.params.length} by position (${names})`;
        this.report(`${what} ${most}; this is argument ${i + 1}.`, `${path}.${i}`);
        ok = false;
      } else if (param.name in call.options) {
        this.report(`Option '${param.name}' of ${what} is given both by position and by name.`, `${path}.${param.name}`, true);
        ok = false;
      } else {
        given[param.name] = arg;
        givenPaths.set(param.name, `${path}.${i}`);
      }
    });
    // Options by name, at their own paths; positional ones at the argument's path.
    for (const [key, value] of Object.entries(given)) {
      const at = givenPaths.get(key)!;
      const param = entry.params.find((q) => q.name === key);
      if (!param) {
        const known = entry.params.map((q) => q.name);
        const valid = known.length > 0 ? `valid options are ${known.map((k) => `'${k}'`).join(', ')}` : 'it takes none';
        const where = this.fromCommandLine.has(at) ? ' in --set' : '';
        this.report(`Unknown option '${key}' for ${what}${where}; ${valid}.`, at, true, suggest(key, known));
        ok = false;
      } else {
        ok = this.value(value, param.type, at, `Option '${key}' of ${what}`) && ok;
      }
    }
    for (const param of entry.params) {
      if (param.required && !(param.name in given)) {
        this.report(`${what} needs '${param.name}' (${param.doc}), as in ${entry.example}.`, path);
        ok = false;
      }
    }
    if (ok && entry.refine) {
      const filled = withDefaults(entry, given);
      for (const [message, key] of entry.refine(filled, new Set(Object.keys(given)))) {
        const at = key && givenPaths.has(key) ? givenPaths.get(key)! : path;
        this.report(key && givenPaths.has(key) ? `Option '${key}' of ${what} ${message}.` : `${what} ${message}.`, at);
        ok = false;
      }
    }
    return ok;
  }

  /** `select` names one of the experiment's metrics (a scalar one). */
  select(): void {
    const evaluation = this.s.eval;
    const metrics = Array.isArray(evaluation.metrics) ? evaluation.metrics : (EVAL_KEYS[1].default as Setting[]);
    const names = metrics.map((m) => (typeof m === 'string' ? m : !Array.isArray(m) && typeof m === 'object' ? m.name : String(m)));
    const select = evaluation.select;
    if (select === undefined) return;
    const path = 'eval.select';
    const name = typeof select === 'string' ? select : typeof select === 'object' && !Array.isArray(select) ? select.name : undefined;
    const entry = name !== undefined ? findEntry('metric', name) : undefined;
    if (!entry) {
      const all = entries('metric').map((e) => e.name);
      this.report(`Cannot select on ${name === undefined ? show(select, false) : `'${name}'`}; valid metrics are ${all.join(', ')}.`, path, false, name ? suggest(name, all) : undefined);
    } else if (!entry.scalar) {
      this.report(`Cannot select on '${entry.name}': it is a table with a value per class, not one number.`, path);
    } else if (!names.includes(entry.name)) {
      this.report(`Cannot select on '${entry.name}': it is not one of the metrics (${names.join(', ')}).`, path);
    }
  }
}

/** Whether a catalogue default fits its type (its strings taken as names, or else as strings). */
export function defaultFits(value: Setting, type: Type): boolean {
  const empty = { name: '', args: [], options: {} };
  const settings = (symbols: boolean): CheckedSettings => ({ data: empty, optimizer: empty, train: {}, eval: {}, spans: {}, values: {}, symbols: () => symbols });
  return [true, false].some((symbols) => new Checker(settings(symbols), new Set()).quiet(value, type, 'default'));
}

function inRange(v: number, t: { min?: number; max?: number; above?: number; below?: number }): boolean {
  return Number.isFinite(v) && (t.min === undefined || v >= t.min) && (t.max === undefined || v <= t.max) &&
    (t.above === undefined || v > t.above) && (t.below === undefined || v < t.below);
}

/** The options of a call of `entry` with the catalogue's defaults filled in. */
export function withDefaults(entry: Entry, given: Record<string, Setting>): Record<string, Setting> {
  const filled: Record<string, Setting> = {};
  for (const param of entry.params) if (param.default !== undefined) filled[param.name] = param.default;
  return { ...filled, ...given };
}

/** The options of a call, positional arguments named after the entry's parameters, with defaults filled in. */
export function callOptions(entry: Entry, call: ConfigCall): Record<string, Setting> {
  const given: Record<string, Setting> = { ...call.options };
  call.args.forEach((arg, i) => {
    if (entry.params[i]) given[entry.params[i].name] = arg;
  });
  return withDefaults(entry, given);
}

/** The shape a checked experiment is staged at: the dataset's declared shape (the call must have checked). */
export function declaredShape(data: ConfigCall): DeclaredShape | undefined {
  const entry = findEntry('dataset', data.name);
  return entry?.shape?.(callOptions(entry, data));
}
