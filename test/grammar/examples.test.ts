// Every spec example and the LANGUAGE.md definitions parse without diagnostics, into the expected structure.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSource, type ForStatement } from '../../grammar/index.ts';
import { show } from './show-expression.ts';

const examplesDir = new URL('../fixtures/spec-examples/', import.meta.url);
const parse = (url: URL) => parseSource(readFileSync(url, 'utf8'), url.pathname.split('/').pop()!);

describe('spec examples', () => {
  const files = readdirSync(examplesDir).filter((name) => name.endsWith('.seg'));

  it('finds the examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of files) {
    it(`parses ${name} without diagnostics`, () => {
      const { module, diagnostics } = parse(new URL(name, examplesDir));
      expect(diagnostics).toEqual([]);
      expect(module.imports.length).toBeGreaterThan(0);
    });
  }

  it('quickstart: two imports, one experiment with params alpha and T', () => {
    const { module } = parse(new URL('quickstart.seg', examplesDir));
    expect(module.imports.map((i) => [i.path, i.names.map((n) => n.name)])).toEqual([
      ['std/losses', ['ce', 'proportion']],
      ['std/nets', ['unet']],
    ]);
    expect(module.experiments).toHaveLength(1);
    const items = module.experiments[0].items;
    expect(items.filter((i) => i.kind === 'param').map((i) => i.name.name)).toEqual(['alpha', 'T']);
    const loss = items.find((i) => i.kind === 'setting' && i.key[0].name === 'loss');
    expect(loss?.kind === 'setting' && show(loss.value)).toBe(
      '(+ ce(logits y) (* alpha mean(abs((- proportion(softmax[C]((* T logits)) y) ' +
        'proportion(onehot(y) y))))))',
    );
    const train = items.find((i) => i.kind === 'section' && i.name.name === 'train');
    const settings = train?.kind === 'section' ? train.settings : [];
    const shown = settings.map((s) => `${s.key[0].name}=${show(s.value)}`);
    expect(shown).toEqual(['epochs=5', 'batch=16', 'seed=1']);
  });

  it('brain3d: data setting with an option block of multi-word keys', () => {
    const { module } = parse(new URL('brain3d_ce-l1.seg', examplesDir));
    const data = module.experiments[0].items[0];
    expect(data.kind).toBe('setting');
    if (data.kind !== 'setting') return;
    const keys = data.options?.map((o) => o.key.map((k) => k.name).join(' '));
    expect(keys).toEqual(['train augment', 'eval augment']);
  });

  it('retinal: member access on a keyword-like name (val.loss)', () => {
    const { module } = parse(new URL('retinal_unet_bce-l1_512.seg', examplesDir));
    const items = module.experiments[0].items;
    const schedule = items.find((i) => i.kind === 'setting' && i.key[0].name === 'schedule');
    expect(schedule?.kind === 'setting' && show(schedule.value)).toBe(
      'plateau(factor=0.5 patience=6 monitor=val.loss)',
    );
  });

  it('my_losses: three loss definitions with doc comments', () => {
    const { module } = parse(new URL('my_losses.seg', examplesDir));
    expect(module.definitions.map((d) => [d.defKind, d.name.name])).toEqual([
      ['loss', 'tversky'],
      ['loss', 'ce_kl'],
      ['loss', 'ce_floor'],
    ]);
    expect(module.definitions[0].doc).toBe(
      'Tversky loss: alpha weighs false positives, beta false negatives (per class, batch-pooled).',
    );
    expect(module.definitions.every((d) => d.doc !== undefined)).toBe(true);
    expect(module.definitions[2].expression).toBeDefined();
    expect(module.definitions[0].body).toHaveLength(6);
  });
});

describe('LANGUAGE.md definitions and unet', () => {
  const { module, diagnostics } = parse(new URL('../fixtures/grammar/unet.seg', import.meta.url));

  it('parses without diagnostics', () => {
    expect(diagnostics).toEqual([]);
    expect(module.definitions.map((d) => `${d.defKind} ${d.name.name}`)).toEqual([
      'loss ce',
      'fn proportion',
      'loss ce_l1',
      'block conv_bn_relu',
      'net unet',
    ]);
  });

  it('parses parameter types and defaults', () => {
    const ce = module.definitions[0];
    const params = ce.params.map((p) => [p.name.name, p.type?.base?.name, p.type?.dims?.map((d) => d.name)]);
    expect(params).toEqual([
      ['z', 'logits', ['N', 'C', 'S']],
      ['y', 'labels', ['N', 'S']],
      ['w', undefined, ['C']],
    ]);
    expect(ce.params[2].default).toMatchObject({ kind: 'number', value: 1, isInteger: true });
    const nll = ce.body?.[1];
    expect(nll?.kind === 'let' && show(nll.value)).toBe('(- sum[C]((* onehot(y) log_softmax[C](z))))');
  });

  it('has a destructuring for over reversed(zip(widths[:-1], skips)) with an axis call concat[C]', () => {
    const unet = module.definitions[4];
    const loops = (unet.body ?? []).filter((s): s is ForStatement => s.kind === 'for');
    expect(loops).toHaveLength(2);
    expect(loops[0].destructure).toBe(false);
    expect(show(loops[0].iterable)).toBe('widths[:(- 1)]');
    expect(loops[1].destructure).toBe(true);
    expect(loops[1].targets.map((t) => t.name)).toEqual(['w', 's']);
    expect(show(loops[1].iterable)).toBe('reversed(zip(widths[:(- 1)] skips))');
    const assign = loops[1].body[0];
    expect(assign.kind === 'assign' && show(assign.value)).toBe(
      'conv_bn_relu(conv_bn_relu(concat[C](upsample(x 2) s) w) w)',
    );
  });

  it('parses keyword arguments and number kinds', () => {
    const block = module.definitions[3];
    expect(block.expression && show(block.expression)).toBe(
      'relu(batchnorm(conv(x c k pad=(/ k 2) bias=false)))',
    );
    const proportion = module.definitions[1].expression;
    expect(proportion?.kind).toBe('binary');
    if (proportion?.kind !== 'binary' || proportion.left.kind !== 'binary') return;
    expect(proportion.left.right).toMatchObject({ kind: 'number', value: 1e-10, isInteger: false });
  });
});
