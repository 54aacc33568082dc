// What an `eval augment` may hold (compiler/config/run.ts): the fixed resamplings resize, longest_max_size and
// pad_if_needed, then at most the normalize of `train augment`; a random transform is SEG5051 at the list.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRunConfig } from '../../compiler/config/run.ts';
import { resolveModules } from '../../compiler/resolve/index.ts';
import { readExperiment } from '../../compiler/stage/index.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function codes(evalAugment: string): string[] {
  const text = [
    'import std/augment { imagenet, polyp_eval }',
    'import std/losses { ce }',
    'import std/nets { unet }',
    'experiment e {',
    '  data = shapes(size = [32, 32], classes = 3) {',
    '    train augment = [hflip(0.5), normalize(imagenet)]',
    `    eval augment = ${evalAugment}`,
    '  }',
    '  model = unet(in = 3, classes = 3, widths = [2, 4])',
    '  loss = ce(logits, y)',
    '}',
  ].join('\n');
  const resolved = resolveModules(join(root, 'test/fixtures/catalog', 'eval-augment.seg'), text);
  expect(resolved.diagnostics).toEqual([]);
  const read = readExperiment(resolved.entry);
  expect(read.diagnostics).toEqual([]);
  return readRunConfig(read.spec!).diagnostics.map((d) => `${d.code} ${d.span?.line}`);
}

describe('eval augment', () => {
  it('takes fixed resampling and the training normalize', () => {
    expect(codes('[normalize(imagenet)]')).toEqual([]);
    expect(codes('[resize([32, 32]), normalize(imagenet)]')).toEqual([]);
    expect(codes('polyp_eval')).toEqual([]);
    expect(codes('[pad_if_needed([32, 32])]')).toEqual([]);
  });

  it('refuses random transforms and another normalize, at the list', () => {
    expect(codes('[hflip(0.5), normalize(imagenet)]')).toEqual(['SEG5051 7']);
    expect(codes('[resize(), normalize(mean = [0.5, 0.5, 0.5], std = [0.2, 0.2, 0.2])]')).toEqual([
      'SEG5051 7',
    ]);
  });
});
