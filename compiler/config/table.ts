// The whole catalogue and its look-ups (entries of a family, an entry by name, an option's default), the
// standard library's setting names, and the keys of the train, eval and test sections.
import { DATASETS, STATS, TRANSFORMS } from './data.ts';
import { GROUPS, METRICS, OPTIMIZERS, SCHEDULES } from './training.ts';
import type { Entry, Family, Param } from './types.ts';
import { bool, entry, int, num, str } from './types.ts';
import type { Setting } from './types.ts';

/** Every catalogue entry, by family. */
export const CATALOGUE: Entry[] = [
  ...DATASETS,
  ...TRANSFORMS,
  ...STATS,
  ...OPTIMIZERS,
  ...GROUPS,
  ...SCHEDULES,
  ...METRICS,
];

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
  ['imagenet', 'retinal_train', 'cityscapes_train', 'polyp_train', 'polyp_eval', 'voc_train', 'voc_eval'].map(
    (n) => [n, 'std/augment'],
  ),
);

export const TRAIN_KEYS: Param[] = [
  { name: 'epochs', type: int(1), default: 10, doc: 'training epochs' },
  { name: 'batch', type: int(1), default: 8, doc: 'images per training step' },
  { name: 'seed', type: int(), default: 0, doc: 'seed of the initial weights and the data order' },
  {
    name: 'accumulate',
    type: int(1),
    default: 1,
    doc: 'batches whose mean gradient makes one optimizer step (gradient accumulation)',
  },
  {
    name: 'clip_norm',
    type: num({ above: 0 }),
    defaultText: 'no clipping',
    doc: 'clip the global norm of the gradients to this value before each step (torch clip_grad_norm_)',
  },
];

export const EVAL_KEYS: Param[] = [
  { name: 'every', type: int(1), default: 1, doc: 'epochs between evaluations on the validation split' },
  {
    name: 'metrics',
    type: { kind: 'list', of: entry('metric') },
    default: ['dice', 'miou', 'proportion_error'],
    doc: 'metrics to compute',
  },
  {
    name: 'select',
    type: { kind: 'symbol' },
    defaultText: 'the first metric',
    doc:
      'the metric that picks the best epoch, saved as model-best.safetensors ' +
      "(in the metric's direction: lower for proportion_error and hd95, higher otherwise)",
  },
  { name: 'batch', type: int(1), defaultText: 'train batch', doc: 'images per evaluation step' },
];

export const TEST_KEYS: Param[] = [
  {
    name: 'split',
    type: { kind: 'symbol', values: ['train', 'val', 'test'] },
    default: 'test',
    doc: 'the split to test on',
  },
  {
    name: 'after_training',
    type: bool,
    default: false,
    doc: 'test the selected checkpoint when training ends',
  },
  {
    name: 'checkpoint',
    type: { kind: 'either', of: [{ kind: 'symbol', values: ['best', 'last'] }, str] },
    default: 'best',
    doc: 'best, last, or the path of a checkpoint',
  },
  { name: 'batch', type: int(1), defaultText: 'eval batch', doc: 'images per step' },
  {
    name: 'metrics',
    type: { kind: 'list', of: entry('metric') },
    defaultText: 'eval metrics',
    doc: 'metrics to compute',
  },
  {
    name: 'save_predictions',
    type: bool,
    default: false,
    doc: 'write each prediction as a PNG of label values',
  },
];

export const SECTION_KEYS: Record<string, Param[]> = { train: TRAIN_KEYS, eval: EVAL_KEYS, test: TEST_KEYS };
