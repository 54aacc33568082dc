// docs/catalogue.md from the catalogue (compiler/config/index.ts): every dataset, transform, optimizer,
// schedule and metric with its options, types and defaults, and the section keys. Regenerate with
//
//     npx tsx compiler/config/doc.ts > docs/catalogue.md
//
// (test/e2e/catalog.test.ts fails when the file is out of date).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry, Family, Param } from './index.ts';
import { RUNNABLE_TRANSFORMS, SECTION_KEYS, describeType, entries } from './index.ts';
import type { Setting } from './types.ts';

const TITLES: Array<[Family, string, string]> = [
  [
    'dataset',
    'Datasets',
    '`data = NAME(options) { option block }`. The option block holds the augmentation pipelines.',
  ],
  [
    'transform',
    'Transforms',
    'Items of an augmentation pipeline (`train augment = [hflip(0.5), ...]`), applied in order.',
  ],
  ['stats', 'Statistics', 'The argument of `normalize`.'],
  [
    'optimizer',
    'Optimizers',
    '`optimizer = NAME(options) { groups = [...], freeze = [...] }`; default `adam()`. The option block ' +
      '(optional) holds the parameter groups and the frozen weights.',
  ],
  [
    'group',
    'Parameter groups',
    "Items of `groups` in the optimizer's option block: the first group that matches a weight takes it; " +
      "the rest keep the optimizer's own values.",
  ],
  ['schedule', 'Schedules', '`schedule = NAME(options)` (learning rate); default `constant`.'],
  [
    'metric',
    'Metrics',
    'Items of `eval { metrics = [...] }` (and `test`), as a name or a call with options.',
  ],
];

function value(v: Setting): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
  if (typeof v === 'object') return `${v.name}(...)`;
  return String(v);
}

function table(params: Param[]): string[] {
  if (params.length === 0) return ['No options.', ''];
  const rows = params.map((p) => {
    const fallback = p.required
      ? '*required*'
      : p.default !== undefined
        ? `\`${value(p.default)}\``
        : (p.defaultText ?? '—');
    const shown =
      p.default !== undefined && typeof p.default === 'string' && p.type.kind === 'string'
        ? `\`"${p.default}"\``
        : fallback;
    const also = p.defaultText && p.default !== undefined ? ` (${p.defaultText})` : '';
    return `| \`${p.name}\` | ${describeType(p.type)} | ${shown}${also} | ${p.doc} |`;
  });
  return ['| option | type | default | meaning |', '|---|---|---|---|', ...rows, ''];
}

function entry(e: Entry): string[] {
  const lines = [`### \`${e.name}\``, '', `${e.doc} Example: \`${e.example}\`.`, ''];
  if (e.family === 'metric')
    lines.push(
      e.scalar
        ? 'One number: `select` may name it.'
        : 'A table (a value per class): it cannot be selected on.',
      '',
    );
  lines.push(...table(e.params));
  if (e.block) lines.push('Option block:', '', ...table(e.block));
  return lines;
}

export function catalogueMarkdown(): string {
  const lines = [
    '# The configuration catalogue',
    '',
    '<!-- Generated from compiler/config/index.ts by compiler/config/doc.ts; do not ' + 'edit by hand. -->',
    '',
    'Every dataset, transform, optimizer, schedule and metric an experiment may name, with its ' +
      'options. `segc check`',
    'checks an experiment against this catalogue (SEG5001-SEG5017: unknown names and options with the ' +
      'valid ones, values of the',
    'wrong type or out of range). Options are given by name, or by position in the order ' +
      'listed (`hflip(0.5)` is',
    '`hflip(p = 0.5)`). A name in a setting is written without quotes (`per = iteration`); a ' +
      'string in quotes',
    '(`root = "data/cityscapes"`).',
    '',
    '`segc check` accepts everything declared here (with a warning for what this version cannot run);',
    '`segc run` runs a part of it and refuses the rest with a',
    "diagnostic before touching the GPU (`Transform 'flip' in 'train augment' is declared but not " +
      'available yet`, on images). This',
    'version runs the datasets `shapes`, `image_folder`, `voc`, `cityscapes`, `polyp`, `retinal_lesions` ' +
      '(binary, or multilabel masks) and `nifti` ' +
      '(docs/data.md; volumes take `flip`, `rot90`, `intensity_scale`, `zscore`), the',
    `transforms ${RUNNABLE_TRANSFORMS.map((t) => `\`${t}\``).join(', ')} in \`train augment\` (on the GPU; ` +
      '`eval augment` may hold `resize`, `longest_max_size` and `pad_if_needed`, then repeat its ' +
      '`normalize`),',
    'every optimizer and schedule, every metric (docs/metrics.md; `hd95` and `nsd` not on multilabel ' +
      'masks), `test { after_training = ' +
      'true }`,',
    '`eval.batch` equal to `train.batch` and no pretrained `weights`.',
    '',
    '## Sections',
    '',
  ];
  for (const [name, params] of Object.entries(SECTION_KEYS))
    lines.push(`### \`${name} { ... }\``, '', ...table(params));
  for (const [family, title, intro] of TITLES) {
    lines.push(`## ${title}`, '', intro, '');
    for (const e of entries(family)) lines.push(...entry(e));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.stdout.write(catalogueMarkdown());
