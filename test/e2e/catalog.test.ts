// The catalogue of configuration signatures (compiler/config/index.ts): every spec example checks clean,
// checking is separate from availability (`segc check` accepts what the catalogue declares, `segc run`
// refuses what this version cannot run yet, before touching the GPU), the catalogue is self-consistent and
// docs/catalogue.md is generated from it.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../cli/check.ts';
import { resolveModules } from '../../compiler/resolve/index.ts';
import {
  CATALOGUE,
  LIBRARY_NAMES,
  SECTION_KEYS,
  checkSettings,
  defaultFits,
  describeType,
} from '../../compiler/config/index.ts';
import { catalogueMarkdown } from '../../compiler/config/doc.ts';
import { readExperiment } from '../../compiler/stage/index.ts';
import { readRunConfig } from '../../compiler/config/run.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const examples = join(root, 'test/fixtures/spec-examples');
const portable = (text: string) => text.replaceAll(`${root}/`, '');

function spec(file: string) {
  const resolved = resolveModules(file);
  expect(resolved.diagnostics).toEqual([]);
  const read = readExperiment(resolved.entry);
  expect(read.diagnostics).toEqual([]);
  return read.spec!;
}

function segc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
  return new Promise((done) => {
    execFile(process.execPath, ['bin/segc.mjs', ...args], { cwd: root, env }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('spec examples', () => {
  const files = readdirSync(examples)
    .filter((f) => f.endsWith('.seg'))
    .sort();

  it('are all here (a new example is checked by the next test as soon as it is added)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'brain3d_ce-l1.seg',
        'cityscapes_fpn101_ce-l1.seg',
        'my_losses.seg',
        'quickstart.seg',
        'retinal_unet_bce-l1_512.seg',
      ]),
    );
  });

  it.each(files)('segc check %s prints nothing and exits 0', (file) => {
    expect(runCheck([join(examples, file)])).toEqual({ stderr: '', exitCode: 0 });
  });

  it('their settings are all in the catalogue; what this version cannot run is named, where it is written', () => {
    // Every setting of the two examples runs: their datasets, recipes (elastic, one_or_other, random_scale),
    // SGD with Nesterov, poly per iteration and plateau (test/e2e/spec-examples.test.ts trains both).
    const retinal = readRunConfig(spec(join(examples, 'retinal_unet_bce-l1_512.seg')));
    expect(retinal.diagnostics.map((d) => d.message)).toEqual([]);
    expect(retinal.config).toBeDefined();
    const cityscapes = readRunConfig(spec(join(examples, 'cityscapes_fpn101_ce-l1.seg'))).diagnostics.map(
      (d) => d.message,
    );
    expect(cityscapes).toEqual([]);
    // Pretrained weights are loaded when training starts (runtime/weights/), not refused.
    expect(cityscapes.filter((m) => m.includes('weights'))).toEqual([]);
  });
});

describe('checking is separate from availability', () => {
  const declared = 'test/fixtures/catalog/nifti-unavailable.seg';

  it('segc check accepts a declared transform that runs cannot apply to volumes yet, with a warning', () => {
    const { stderr, exitCode } = runCheck([join(root, declared)]);
    expect(exitCode).toBe(0);
    expect(portable(stderr)).toBe(
      [
        `${declared}:7:5: warning SEG5053: Transform 'hflip' in 'train augment' is declared but not ` +
          `available yet; this version runs 'flip', 'rot90', 'intensity_scale', 'zscore'.`,
        '      train augment = [hflip(0.5)]',
        `      ^${'~'.repeat(12)}`,
        '  hint: segc run refuses this until it is available.',
        '',
      ].join('\n'),
    );
  });

  it('segc run refuses it with the availability diagnostic, exit 1, before touching the GPU', async () => {
    const r = await segc('run', declared, '--out', join(tmpdir(), 'segc-catalog-never-written'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(portable(r.stderr)).toBe(
      [
        `${declared}:7:5: error SEG5053: Transform 'hflip' in 'train augment' is declared but not ` +
          `available yet; this version runs 'flip', 'rot90', 'intensity_scale', 'zscore'.`,
        '      train augment = [hflip(0.5)]',
        `      ^${'~'.repeat(12)}`,
        '',
      ].join('\n'),
    );
  });

  it('pretrained weights check and are runnable (the file is read when training starts)', () => {
    const file = join(root, 'test/fixtures/catalog/shapes-weights.seg');
    expect(runCheck([file])).toEqual({ stderr: '', exitCode: 0 });
    expect(readRunConfig(spec(file)).diagnostics.map((d) => d.message)).toEqual([]);
  });

  it('--set values are checked against the catalogue too, without a place', () => {
    const tiny = spec(join(root, 'test/fixtures/experiments/tiny.seg'));
    expect(readRunConfig(tiny, { 'train.epochs': 0 }).diagnostics.map((d) => [d.span, d.message])).toEqual([
      [undefined, "Option 'epochs' of 'train' (in --set) must be a whole number >= 1, got 0."],
    ]);
    expect(readRunConfig(tiny, { 'optimizer.lr': 0.01, 'train.epochs': 2 }).config?.optimizer.lr).toBe(0.01);
  });
});

describe('the catalogue', () => {
  it('names each entry once per family, and each default fits its type', () => {
    const keys = CATALOGUE.map((e) => `${e.family}:${e.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const entry of CATALOGUE) {
      for (const param of [...entry.params, ...(entry.block ?? [])]) {
        expect(describeType(param.type), `${entry.name}.${param.name}`).not.toBe('');
        expect(
          Boolean(param.required) && param.default !== undefined,
          `${entry.name}.${param.name}: required with a default`,
        ).toBe(false);
        if (param.default !== undefined)
          expect(
            defaultFits(param.default, param.type),
            `${entry.name}.${param.name} = ${JSON.stringify(param.default)}`,
          ).toBe(true);
      }
    }
    for (const [section, params] of Object.entries(SECTION_KEYS)) {
      for (const param of params) {
        expect(describeType(param.type), `${section}.${param.name}`).not.toBe('');
        if (param.default !== undefined)
          expect(defaultFits(param.default, param.type), `${section}.${param.name}`).toBe(true);
      }
    }
  });

  it('runs with the defaults the catalogue documents', () => {
    const minimal = spec(join(root, 'test/fixtures/experiments/tiny.seg'));
    const { config } = readRunConfig({
      ...minimal,
      optimizer: { name: 'adam', args: [], options: {} },
      train: {},
      eval: {},
    });
    expect(config?.optimizer).toEqual({
      name: 'adam',
      lr: 1e-3,
      weightDecay: 0,
      settings: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
      groups: [],
      freeze: [],
      accumulate: 1,
    });
    expect(config?.train).toEqual({ epochs: 10, batch: 8, seed: 0 });
    expect(config?.eval).toEqual({
      every: 1,
      metrics: ['dice', 'miou', 'proportion_error'],
      options: { dice: {}, miou: {}, proportion_error: {} },
      select: 'dice',
    });
  });

  it("std/augment's setting fns are the library names it hints at, and each is a valid pipeline", () => {
    const augment = resolveModules(join(root, 'stdlib/augment.seg')).entry.module.definitions;
    const fns = augment
      .filter((d) => d.defKind === 'fn')
      .map((d) => d.name.name)
      .sort();
    expect(fns).toEqual(Object.keys(LIBRARY_NAMES).sort());
    for (const f of fns.filter((name) => name !== 'imagenet')) {
      const text = [
        `import std/augment { ${f} }`,
        'import std/losses { ce }',
        'import std/nets { unet }',
        'experiment pipeline {',
        `  data = shapes(size = [32, 32], classes = 3) { train augment = ${f} }`,
        '  model = unet(in = 3, classes = 3, widths = [2, 4])',
        '  loss = ce(logits, y)',
        '}',
      ].join('\n');
      const resolved = resolveModules(join(root, 'test/fixtures/catalog', `pipeline-${f}.seg`), text);
      expect(resolved.diagnostics, f).toEqual([]);
      const read = readExperiment(resolved.entry);
      expect(read.diagnostics, f).toEqual([]);
      expect(checkSettings(read.spec!), f).toEqual([]);
      expect(read.spec!.blocks?.data['train augment'], f).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'normalize' })]),
      );
    }
  });

  it('docs/catalogue.md is generated from it (regenerate: npx tsx compiler/config/doc.ts > docs/catalogue.md)', () => {
    expect(readFileSync(join(root, 'docs/catalogue.md'), 'utf8')).toBe(catalogueMarkdown());
  });
});
