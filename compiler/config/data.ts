// The catalogue's datasets (with the shape each declares), augmentation transforms and normalisation
// statistics.
import type { DeclaredShape, Entry, Param } from './types.ts';
import {
  bool,
  entry,
  int,
  interpolation,
  num,
  numbers,
  ofFamily,
  p,
  pair,
  str,
  transforms,
  triple,
} from './types.ts';
import type { Setting } from './types.ts';

const TRAINING_SIZE = "the dataset's training size";

const pipelines: Param[] = [
  { name: 'train augment', type: transforms, default: [], doc: 'transforms of a training sample, in order' },
  { name: 'eval augment', type: transforms, default: [], doc: 'transforms of a validation sample' },
  {
    name: 'test augment',
    type: transforms,
    default: [],
    defaultText: 'eval augment',
    doc: 'transforms of a test sample',
  },
];

/** Options every dataset read from files has: what bad data does, and the loader's threads and cache. */
const loading: Param[] = [
  {
    name: 'on_error',
    type: { kind: 'string', values: ['stop', 'skip'] },
    default: 'stop',
    doc:
      'a bad file (corrupt, missing, a wrong size or label) stops the run, or is reported once and ' +
      'skipped',
  },
  {
    name: 'workers',
    type: int(0),
    default: 0,
    defaultText: 'the cores less one, at most 4',
    doc: 'decoding threads (0 given: the default)',
  },
  { name: 'cache', type: num({ min: 0 }), default: 0, doc: 'MiB of decoded samples kept in memory' },
];

const shapeOf = (
  channels: number | undefined,
  classes: number | undefined,
  size: Setting,
  evalSize?: Setting,
): DeclaredShape => ({
  channels,
  classes,
  size: size as number[],
  evalSize: evalSize as number[] | undefined,
});

export const DATASETS: Entry[] = [
  {
    name: 'shapes',
    family: 'dataset',
    doc: 'Synthetic RGB images of random shapes on a background, with labels (class 0 the background).',
    example: 'shapes(size = [64, 64], classes = 3)',
    params: [
      {
        name: 'size',
        type: { kind: 'list', of: int(8, 1024), length: 2, what: '[height, width]' },
        default: [64, 64],
        doc: 'image size',
      },
      { name: 'classes', type: int(2, 8), default: 3, doc: 'classes, the background included' },
      {
        name: 'foreground',
        type: num({ above: 0, max: 0.5 }),
        default: 0.1,
        doc: 'mean foreground fraction of an image',
      },
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
    doc:
      'Retinal Lesions fundus images (UPSTREAM.md §4): per-lesion grayscale PNGs under ' +
      '`lesion_segs_896x896/`, ' +
      'split lists `train.txt`/`val.txt`/`test.txt`; binary: the union of the 8 lesions, 1 logit channel; ' +
      'else multilabel masks, one 0/1 plane and one sigmoid channel per lesion (`classes = 8`).',
    example: 'retinal_lesions(root = "data/retinal-lesions-v20191227", size = [512, 512], binary = true)',
    params: [
      { name: 'root', type: str, default: 'data/retinal-lesions-v20191227', doc: 'dataset folder' },
      {
        name: 'size',
        type: pair(),
        default: [512, 512],
        doc: 'resize to this (after the geometric transforms, as upstream)',
      },
      {
        name: 'binary',
        type: bool,
        default: false,
        doc: 'merge the 8 lesion classes into one (1 channel); false: 8 masks (multilabel)',
      },
      {
        name: 'label_values',
        type: { kind: 'list', of: int(0, 255) },
        default: [255],
        doc: 'mask gray levels counted as lesion',
      },
      ...loading,
    ],
    block: pipelines,
    // Binary: two classes (background, lesion) on which a 1-channel network trains in binary mode; else
    // multilabel masks, one 0/1 plane per lesion (a sigmoid per channel).
    shape: (o) => ({ ...shapeOf(3, o.binary ? 2 : 8, o.size), multilabel: !o.binary }),
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
      ...loading,
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, 19, o.train_crop, o.eval_size),
  },
  {
    name: 'polyp',
    family: 'dataset',
    doc:
      'Polyp segmentation in the PraNet layout (`TrainDataset/`, `TestDataset/<set>/`), 2 ' +
      'classes, masks > 127.',
    example: 'polyp(root = "data/polyp", test_set = "Kvasir")',
    params: [
      { name: 'root', type: str, default: 'data/polyp', doc: 'dataset folder' },
      {
        name: 'test_set',
        type: {
          kind: 'string',
          values: ['CVC-300', 'CVC-ClinicDB', 'CVC-ColonDB', 'ETIS-LaribPolypDB', 'Kvasir'],
        },
        default: 'Kvasir',
        doc: 'the test subset',
      },
      { name: 'size', type: pair(), default: [512, 512], doc: 'size of a training sample' },
      ...loading,
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, 2, o.size),
  },
  {
    name: 'voc',
    family: 'dataset',
    doc:
      'Pascal VOC segmentation (21 classes with the background, 255 ignored): `JPEGImages/`, ' +
      "`SegmentationClass/` palette PNGs, `ImageSets/Segmentation/<split>.txt`; labelme's export too " +
      '(`SegmentationClassPNG/`, `class_names.txt`: the classes it names).',
    example: 'voc(root = "data/VOCdevkit/VOC2012")',
    params: [
      { name: 'root', type: str, default: 'data/VOCdevkit/VOC2012', doc: 'dataset folder' },
      { name: 'crop', type: pair(), default: [512, 512], doc: 'size of a training sample' },
      { name: 'eval_size', type: pair(), default: [480, 480], doc: 'size of an evaluation sample' },
      {
        name: 'masks',
        type: str,
        default: 'SegmentationClass',
        doc: 'folder of the mask PNGs (SegmentationClassPNG/ is found when it holds none)',
      },
      {
        name: 'classes',
        type: int(2),
        defaultText: '21',
        doc: 'classes, the background included (as many as classes.txt or class_names.txt names)',
      },
      ...loading,
    ],
    block: pipelines,
    shape: (o) => shapeOf(3, (o.classes as number | undefined) ?? 21, o.crop, o.eval_size),
  },
  {
    name: 'image_folder',
    family: 'dataset',
    doc:
      'Images in `images/` with masks in `masks/` paired by file stem (or the images of a folder without ' +
      'masks, for prediction); masks as class indices, binary (grey > threshold) or through a value map.',
    example: 'image_folder(root = "data/skin", mask = "binary", size = [256, 256])',
    params: [
      { name: 'root', type: str, required: true, doc: 'the folder' },
      { name: 'size', type: pair(), default: [512, 512], doc: 'size of a sample' },
      {
        name: 'mean',
        type: numbers(3),
        default: [0.485, 0.456, 0.406],
        doc: 'channel means (images in [0, 1])',
      },
      {
        name: 'std',
        type: { kind: 'list', of: num({ above: 0 }), length: 3 },
        default: [0.229, 0.224, 0.225],
        doc: 'channel standard deviations',
      },
      { name: 'images', type: str, default: 'images', doc: "the images' folder under root" },
      { name: 'masks', type: str, default: 'masks', doc: 'the masks\' folder under root ("": no masks)' },
      {
        name: 'mask',
        type: { kind: 'string', values: ['index', 'binary'] },
        default: 'index',
        doc: 'a mask value is the class index, or binary: grey > threshold is class 1',
      },
      { name: 'threshold', type: int(0, 65535), default: 127, doc: 'the binary threshold' },
      {
        name: 'values',
        type: { kind: 'list', of: int(0, 65535) },
        default: [],
        doc: 'a value map: grey values[i] is class i',
      },
      {
        name: 'classes',
        type: int(2),
        defaultText: "the value map's length, else 2",
        doc: 'classes of the masks, the background included',
      },
      { name: 'train_list', type: str, default: '', doc: 'file under root listing the training stems' },
      { name: 'val_list', type: str, default: '', doc: 'file listing the validation stems' },
      { name: 'test_list', type: str, default: '', doc: 'file listing the test stems ("": every image)' },
      ...loading,
    ],
    block: pipelines,
    shape: (o) =>
      shapeOf(3, (o.classes as number | undefined) ?? ((o.values as number[]).length || 2), o.size),
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
        type: {
          kind: 'either',
          of: [
            { kind: 'string', values: ['native'] },
            { kind: 'list', of: num({ above: 0 }), length: 3 },
          ],
        },
        default: 'native',
        doc: '"native" (a voxel spacing [d, h, w] in mm to resample to is declared, not available yet)',
      },
      {
        name: 'split',
        type: {
          kind: 'list',
          of: num({ above: 0, max: 1 }),
          what: 'fractions [train, val] or [train, val, test]',
        },
        default: [0.8, 0.2],
        doc: 'fractions of the volumes per split, summing to 1',
      },
      { name: 'seed', type: int(), default: 0, doc: 'seed of the split and the patches' },
      { name: 'channels', type: int(1), default: 1, doc: 'image channels (modalities)' },
      {
        name: 'classes',
        type: int(2),
        defaultText: "the network's output channels",
        doc: 'classes of the label maps',
      },
      {
        name: 'intensity',
        type: {
          kind: 'either',
          of: [
            { kind: 'string', values: ['zscore'] },
            { kind: 'list', of: num(), length: 2 },
          ],
        },
        default: 'zscore',
        doc: 'to uint8: "zscore" (mean ± 4 std of each volume), or [low, high] clipped and scaled',
      },
      {
        name: 'mirror',
        type: bool,
        default: false,
        doc: "evaluation averages each window over its 8 mirrorings (nnU-Net's test-time augmentation)",
      },
      ...loading,
    ],
    block: pipelines,
    refine: (o) => {
      const split = o.split as number[];
      if (split.length < 2 || split.length > 3)
        return [['must be [train, val] or [train, val, test]', 'split']];
      const sum = split.reduce((a, b) => a + b, 0);
      return Math.abs(sum - 1) > 1e-6 ? [[`must sum to 1, got ${+sum.toFixed(6)}`, 'split']] : [];
    },
    shape: (o) => shapeOf(o.channels as number, o.classes as number | undefined, o.patch),
  },
];

const sized = (what: string): Param => ({
  name: 'size',
  type: { kind: 'either', of: [int(1), pair()] },
  defaultText: TRAINING_SIZE,
  doc: what,
});

/**
 * The transforms that run (compiler/codegen/augment/, on the GPU); the others are declared only, and
 * `segc run` refuses them.
 */
export const RUNNABLE_TRANSFORMS = [
  'hflip',
  'vflip',
  'rot90',
  'random_crop',
  'resize',
  'longest_max_size',
  'pad_if_needed',
  'shift_scale_rotate',
  'optical_distortion',
  'grid_distortion',
  'brightness_contrast',
  'brightness',
  'contrast',
  'gamma',
  'hue_saturation_value',
  'elastic',
  'random_scale',
  'one_of',
  'one_or_other',
  'normalize',
];

/** The transforms an `eval augment` (or `test augment`) may hold before its normalize: fixed resampling. */
export const EVAL_TRANSFORMS = ['resize', 'longest_max_size', 'pad_if_needed'];

export const TRANSFORMS: Entry[] = ofFamily('transform', [
  { name: 'hflip', doc: 'Horizontal flip.', example: 'hflip(0.5)', params: [p()] },
  { name: 'vflip', doc: 'Vertical flip.', example: 'vflip(0.5)', params: [p()] },
  {
    name: 'rot90',
    doc:
      'Rotation by a random multiple of 90 degrees, counterclockwise (albumentations RandomRotate90); ' +
      'volumes turn in the plane of the two named axes (np.rot90).',
    example: 'rot90(0.5)',
    params: [
      p(),
      {
        name: 'axes',
        type: { kind: 'list', of: { kind: 'symbol', values: ['D', 'H', 'W'] }, length: 2 },
        default: ['H', 'W'],
        doc: 'the plane of the rotation (volumes; images turn in [H, W])',
      },
    ],
  },
  {
    name: 'flip',
    doc: 'Flip along each of the named spatial axes, independently.',
    example: 'flip(axes = [D, H, W], p = 0.5)',
    params: [
      {
        name: 'axes',
        type: { kind: 'list', of: { kind: 'symbol', values: ['D', 'H', 'W'] } },
        default: ['H', 'W'],
        doc: 'axes to flip',
      },
      p(),
    ],
  },
  {
    name: 'one_of',
    doc: 'With probability p, one of the transforms, chosen uniformly (albumentations OneOf).',
    example: 'one_of(0.3, [contrast(0.2), gamma(80, 120)])',
    params: [p(), { name: 'transforms', type: transforms, required: true, doc: 'the choices' }],
  },
  {
    name: 'one_or_other',
    doc:
      'With probability p the first transform (or list), otherwise the second (albumentations ' +
      'OneOrOther).',
    example: 'one_or_other(0.3, resize(), [random_scale(0.5, 1.5), random_crop()])',
    params: [
      p(),
      {
        name: 'first',
        type: { kind: 'either', of: [entry('transform'), transforms] },
        required: true,
        doc: 'taken with probability p',
      },
      {
        name: 'second',
        type: { kind: 'either', of: [entry('transform'), transforms] },
        required: true,
        doc: 'taken otherwise',
      },
    ],
  },
  {
    name: 'contrast',
    doc: 'Random contrast change by up to ±limit.',
    example: 'contrast(0.2)',
    params: [{ name: 'limit', type: num({ min: 0 }), default: 0.2, doc: 'largest change' }, p()],
  },
  {
    name: 'brightness',
    doc: 'Random brightness change by up to ±limit.',
    example: 'brightness(0.2)',
    params: [{ name: 'limit', type: num({ min: 0 }), default: 0.2, doc: 'largest change' }, p()],
  },
  {
    name: 'gamma',
    doc: 'Random gamma, in percent (80 to 120: gamma 0.8 to 1.2).',
    example: 'gamma(80, 120)',
    params: [
      { name: 'low', type: num({ above: 0 }), default: 80, doc: 'lowest gamma ×100' },
      { name: 'high', type: num({ above: 0 }), default: 120, doc: 'highest gamma ×100' },
      p(),
    ],
  },
  {
    name: 'brightness_contrast',
    doc: 'Random brightness and contrast changes (albumentations RandomBrightnessContrast).',
    example: 'brightness_contrast(0.3, 0.3, p = 0.5)',
    params: [
      { name: 'brightness', type: num({ min: 0 }), default: 0.2, doc: 'largest brightness change' },
      { name: 'contrast', type: num({ min: 0 }), default: 0.2, doc: 'largest contrast change' },
      p(),
    ],
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
    params: [
      { name: 'steps', type: int(1), default: 5, doc: 'grid cells per side' },
      { name: 'limit', type: num({ min: 0 }), default: 0.3, doc: 'largest distortion' },
      p(),
    ],
  },
  {
    name: 'optical_distortion',
    doc: 'Optical (barrel/pincushion) distortion (albumentations OpticalDistortion).',
    example: 'optical_distortion(limit = 2, shift = 0.5)',
    params: [
      { name: 'limit', type: num({ min: 0 }), default: 0.05, doc: 'largest distortion' },
      { name: 'shift', type: num({ min: 0 }), default: 0.05, doc: 'largest centre shift' },
      p(),
    ],
  },
  {
    name: 'shift_scale_rotate',
    doc:
      'Random shift (fraction of the size), scale (±) and rotation (± degrees); linear, ' +
      'reflected borders.',
    example: 'shift_scale_rotate(0.0625, 0.1, 45, p = 0.5)',
    params: [
      {
        name: 'shift',
        type: num({ min: 0 }),
        default: 0.0625,
        doc: 'largest shift, as a fraction of the size',
      },
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
  {
    name: 'random_crop',
    doc: 'A random crop.',
    example: 'random_crop([512, 1024])',
    params: [sized('crop size, [height, width] or one number for a square')],
  },
  {
    name: 'resize',
    doc: 'Resize (image interpolated, mask nearest).',
    example: 'resize([512, 512])',
    params: [
      sized('target size, [height, width] or one number for a square'),
      { name: 'mode', type: interpolation, default: 'linear', doc: 'image interpolation' },
      p(1),
    ],
  },
  {
    name: 'longest_max_size',
    doc: 'Rescale so that the longest side is `size`.',
    example: 'longest_max_size(640)',
    params: [
      { name: 'size', type: int(1), required: true, doc: 'longest side' },
      { name: 'mode', type: interpolation, default: 'linear', doc: 'image interpolation' },
    ],
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
        return [
          [
            'statistics, as in normalize(imagenet) (import std/augment { imagenet }), or both ' +
              "'mean' and 'std'",
          ],
        ];
      }
      return [];
    },
  },
  {
    name: 'intensity_scale',
    doc: 'Multiply intensities by a random factor in [1 - factor, 1 + factor].',
    example: 'intensity_scale(0.1)',
    params: [{ name: 'factor', type: num({ min: 0 }), default: 0.1, doc: 'largest relative change' }, p(1)],
  },
  {
    name: 'zscore',
    doc:
      'Normalise each volume (a training patch, or the whole volume at evaluation) to zero mean and unit ' +
      'variance per channel over its voxels that are not padding.',
    example: 'zscore()',
    params: [],
  },
]);

export const STATS: Entry[] = [
  {
    name: 'stats',
    family: 'stats',
    doc:
      'Channel statistics for normalize (images scaled to [0, 1]); std/augment defines ' +
      '`imagenet` with it.',
    example: 'stats(mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225])',
    params: [
      { name: 'mean', type: numbers(), required: true, doc: 'channel means' },
      {
        name: 'std',
        type: { kind: 'list', of: num({ above: 0 }) },
        required: true,
        doc: 'channel standard deviations',
      },
    ],
  },
];
