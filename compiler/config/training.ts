// The catalogue's optimizers, learning-rate schedules and evaluation metrics.
import type { Entry, Param } from './types.ts';
import { bool, entry, int, num, ofFamily, probability, str } from './types.ts';

const adamParams = (weightDecay: number): Param[] => [
  { name: 'lr', type: num({ above: 0 }), default: 1e-3, doc: 'learning rate' },
  { name: 'beta1', type: num({ min: 0, below: 1 }), default: 0.9, doc: 'first-moment decay' },
  { name: 'beta2', type: num({ min: 0, below: 1 }), default: 0.999, doc: 'second-moment decay' },
  { name: 'eps', type: num({ above: 0 }), default: 1e-8, doc: 'denominator term' },
  { name: 'weight_decay', type: num({ min: 0 }), default: weightDecay, doc: 'weight decay' },
];

/** The optimizers' option block: parameter groups and frozen weights. */
const optimizerBlock: Param[] = [
  {
    name: 'groups',
    type: { kind: 'list', of: entry('group') },
    default: [],
    doc: 'parameter groups with their own lr or weight decay, the first match taking a weight',
  },
  {
    name: 'freeze',
    type: { kind: 'list', of: str },
    default: [],
    doc: 'name prefixes of weights that are never updated (no gradient step, no optimizer state)',
  },
];

export const OPTIMIZERS: Entry[] = [
  {
    name: 'adam',
    family: 'optimizer',
    doc: 'Adam; weight decay is L2 in the gradient (torch Adam).',
    example: 'adam(lr = 1e-3)',
    params: adamParams(0),
    block: optimizerBlock,
  },
  {
    name: 'adamw',
    family: 'optimizer',
    doc: 'AdamW: decoupled weight decay.',
    example: 'adamw(lr = 1e-3, weight_decay = 1e-2)',
    params: adamParams(1e-2),
    block: optimizerBlock,
  },
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
    block: optimizerBlock,
    refine: (o) =>
      o.nesterov && !((o.momentum as number) > 0 && o.dampening === 0)
        ? [['needs momentum > 0 and dampening = 0 for nesterov = true', 'nesterov']]
        : [],
  },
];

export const GROUPS: Entry[] = [
  {
    name: 'group',
    family: 'group',
    doc:
      'A parameter group: the weights whose name starts with `prefix` (all of them, or only those with ' +
      'one axis: biases and the scale and shift of norms), with their own lr and weight decay (torch ' +
      'param_groups; a schedule scales each group from its own lr).',
    example: 'group(prefix = "unet.0.", lr = 1e-4)',
    params: [
      { name: 'prefix', type: str, default: '', doc: 'the start of the weights\' names ("" for all)' },
      {
        name: 'of',
        type: { kind: 'symbol', values: ['all', 'biases_and_norms'] },
        default: 'all',
        doc: 'every matching weight, or only the one-axis ones (biases, norm scales and shifts)',
      },
      { name: 'lr', type: num({ above: 0 }), defaultText: "the optimizer's", doc: 'learning rate' },
      { name: 'weight_decay', type: num({ min: 0 }), defaultText: "the optimizer's", doc: 'weight decay' },
    ],
  },
];

/** Whether `name` is `val.loss` or `val.<metric>`, a quantity a plateau schedule can watch. */
const monitored = (name: string) =>
  name === 'val.loss' ||
  (name.startsWith('val.') && METRICS.some((m) => m.scalar && `val.${m.name}` === name));

export const SCHEDULES: Entry[] = [
  {
    name: 'constant',
    family: 'schedule',
    doc: "The optimizer's learning rate throughout.",
    example: 'constant',
    params: [],
  },
  {
    name: 'cosine',
    family: 'schedule',
    doc:
      'Cosine annealing per epoch from the learning rate to `min` over the training (torch ' +
      'CosineAnnealingLR).',
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
      {
        name: 'per',
        type: { kind: 'symbol', values: ['iteration', 'epoch'] },
        default: 'iteration',
        doc: 'step after every iteration or epoch',
      },
    ],
  },
  {
    name: 'plateau',
    family: 'schedule',
    doc:
      'Multiply the learning rate by `factor` when `monitor` stops improving for `patience` ' +
      'epochs (torch ReduceLROnPlateau; a loss is minimised, a metric maximised).',
    example: 'plateau(factor = 0.5, patience = 6, monitor = val.loss)',
    params: [
      { name: 'factor', type: num({ above: 0, below: 1 }), default: 0.5, doc: 'multiplier' },
      { name: 'patience', type: int(0), default: 3, doc: 'epochs without improvement before a reduction' },
      {
        name: 'monitor',
        type: { kind: 'symbol', test: monitored, what: 'val.loss or val.<metric>' },
        default: 'val.loss',
        doc: 'the watched quantity',
      },
      { name: 'min', type: num({ min: 0 }), default: 0, doc: 'lowest learning rate' },
      {
        name: 'threshold',
        type: num({ min: 0 }),
        default: 1e-4,
        doc: 'relative change that counts as improvement',
      },
      { name: 'cooldown', type: int(0), default: 0, doc: 'epochs to wait after a reduction' },
      {
        name: 'mode',
        type: { kind: 'symbol', values: ['auto', 'min', 'max'] },
        default: 'auto',
        doc: 'min: lower is better; max: higher; auto: min for val.loss and proportion_error, else max',
      },
    ],
  },
  {
    name: 'warmup',
    family: 'schedule',
    doc:
      'Linear warmup: the lr of `then` times (i + 1) / iterations for the first `iterations` training ' +
      'iterations (torch LinearLR(1 / iterations, total_iters = iterations - 1)); `then` keeps its own ' +
      'clock.',
    example: 'warmup(iterations = 500, then = cosine(min = 1e-5))',
    params: [
      { name: 'iterations', type: int(1), required: true, doc: 'iterations of warmup' },
      { name: 'then', type: entry('schedule'), default: 'constant', doc: 'the schedule warmed up' },
    ],
  },
  {
    name: 'step',
    family: 'schedule',
    doc: 'Multiply the learning rate by `gamma` every `size` epochs (torch StepLR(step_size, gamma)).',
    example: 'step(size = 10, gamma = 0.1)',
    params: [
      { name: 'size', type: int(1), default: 10, doc: 'epochs between reductions (step_size)' },
      { name: 'gamma', type: num({ above: 0 }), default: 0.1, doc: 'multiplier' },
    ],
  },
];

export const METRICS: Entry[] = ofFamily('metric', [
  {
    name: 'dice',
    sums: ['confusion'],
    scalar: true,
    better: 'higher',
    doc: 'Foreground Dice over the whole split (per-class sums, mean over the foreground classes).',
    example: 'dice',
    params: [],
  },
  {
    name: 'miou',
    sums: ['confusion'],
    scalar: true,
    better: 'higher',
    doc: 'Mean IoU over all classes, sums accumulated over the split (an absent class counts as 0).',
    example: 'miou',
    params: [],
  },
  {
    name: 'proportion_error',
    sums: ['proportion_error'],
    scalar: true,
    better: 'lower',
    doc: 'Mean absolute error of the predicted class proportions, per image.',
    example: 'proportion_error',
    params: [],
  },
  {
    name: 'macc',
    sums: ['confusion'],
    scalar: true,
    better: 'higher',
    doc: 'Mean per-class pixel accuracy, sums accumulated over the split.',
    example: 'macc',
    params: [],
  },
  {
    name: 'dice_per_image',
    sums: ['dice_per_image'],
    scalar: true,
    better: 'higher',
    doc:
      'Dice per image and channel of the thresholded probabilities, averaged over images ' +
      '(retinal evaluator).',
    example: 'dice_per_image(threshold = 0.5)',
    params: [
      { name: 'threshold', type: probability, default: 0.5, doc: 'probability threshold (sigmoid outputs)' },
    ],
  },
  {
    name: 'per_class_iou',
    sums: ['confusion'],
    scalar: false,
    better: 'higher',
    doc: 'IoU of each class (a table).',
    example: 'per_class_iou',
    params: [],
  },
  {
    name: 'per_class_dice',
    sums: ['confusion'],
    scalar: false,
    better: 'higher',
    doc: 'Dice of each class (a table).',
    example: 'per_class_dice',
    params: [],
  },
  {
    name: 'nsd',
    sums: ['prediction'],
    scalar: true,
    better: 'higher',
    doc:
      'Normalised surface Dice at a tolerance: the share of the border voxels of prediction and truth ' +
      "within the tolerance of the other's border, per image and foreground class; an empty truth is " +
      'skipped, an empty prediction scores 0.',
    example: 'nsd(tolerance = 1)',
    params: [
      { name: 'tolerance', type: num({ min: 0 }), default: 1, doc: 'tolerance in mm' },
      {
        name: 'spacing',
        type: { kind: 'list', of: num({ above: 0 }) },
        default: [2, 1],
        doc: 'pixel spacing in mm, per spatial axis',
      },
    ],
  },
  {
    name: 'hd95',
    sums: ['prediction'],
    scalar: true,
    better: 'lower',
    doc:
      "95th percentile of the distances between the prediction's and the truth's border voxels (MedPy's " +
      'hd95), per image and foreground class; an empty prediction or truth is skipped.',
    example: 'hd95',
    params: [
      {
        name: 'spacing',
        type: { kind: 'list', of: num({ above: 0 }) },
        defaultText: '1 per axis',
        doc: 'pixel spacing in mm, per spatial axis',
      },
    ],
  },
]);

/** Which way is better for a metric, or a loss (`loss`, `val.loss`, a loss term: lower); drops `val.`. */
export function metricDirection(name: string): 'higher' | 'lower' {
  const metric = METRICS.find((m) => m.name === name.replace(/^val\./, ''));
  return metric?.better ?? 'lower';
}

/** Whether value `a` of the metric (or loss) `name` is better than `b` (strictly). */
export function isBetter(name: string, a: number, b: number): boolean {
  return metricDirection(name) === 'higher' ? a > b : a < b;
}
