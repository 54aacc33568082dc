// `segc doc` and `segc fmt` end to end: spawns `node bin/segc.mjs`, checks exit codes, output and what is
// written; plus documentModule's exact Markdown on a small module.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { documentModule, parseSource } from '../../grammar/index.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const scratch = mkdtempSync(join(tmpdir(), 'segc-fmt-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from the repository root; never rejects, the exit code is part of the result. */
function segc(...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/segc.mjs', ...args], { cwd: root }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

const messy = 'fn  f( a,b=1 )=a+b*2   // why\nexperiment e { train{epochs=5 batch=16} }\n';
const canonical = [
  'fn f(a, b = 1) = a + b * 2 // why',
  '',
  'experiment e {',
  '  train { epochs = 5, batch = 16 }',
  '}',
  '',
].join('\n');

describe('segc doc', () => {
  it('prints each definition of stdlib/losses.seg with its signature and doc, in source order', async () => {
    const r = await segc('doc', 'stdlib/losses.seg');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith('# stdlib/losses.seg\n\n## ')).toBe(true);
    expect(r.stdout).toContain(
      [
        '## ce_l1',
        '',
        '```seg',
        'loss ce_l1(z: logits[N,C,S], y: labels[N,S], alpha = 1.0, T = 1.0, w: [C] = 1, ignore: int = 255)',
        '```',
        '',
        "The paper's proposal: CE plus the L1 distance between predicted (temperature T) and true " +
          'proportions.',
        '',
      ].join('\n'),
    );
    const module = parseSource(readFileSync(join(root, 'stdlib/losses.seg'), 'utf8'), 'losses.seg').module;
    const headings = [...r.stdout.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(module.definitions.map((d) => d.name.name));
  });

  it('documents an experiment by its params', async () => {
    const r = await segc('doc', 'experiments/quickstart.seg');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '# experiments/quickstart.seg\n\n## quickstart\n\n```seg\nexperiment quickstart {\n' +
        '  param alpha = 1.0\n  param T = 10.0\n}\n```\n',
    );
  });

  it('reports syntax errors exactly like segc check, exit code 1', async () => {
    const [doc, check] = await Promise.all([
      segc('doc', 'test/fixtures/cli/syntax-error.seg'),
      segc('check', 'test/fixtures/cli/syntax-error.seg'),
    ]);
    expect(doc.code).toBe(1);
    expect(doc.stdout).toBe('');
    expect(doc.stderr).toContain("syntax-error.seg:12:3: error SEG1003: Expected ')' but found 'train'.");
    expect(doc.stderr).toBe(check.stderr);
  });

  it('documentModule: title, headings, signatures broken like the formatter, docs without slashes', () => {
    const source = [
      '// Not a doc comment.',
      'import std/losses { ce }',
      '/// Adds.',
      '///',
      '/// Second paragraph.',
      'fn add(a: [N], b = 1) = a + b',
      'loss wide(prediction: logits[N,C,S], labels_of_pixels: labels[N,S], alpha = 1.0, temperature = 1.0, ' +
        'smooth = 0.5) {',
      '  return ce(prediction, labels_of_pixels)',
      '}',
      '/// The experiment.',
      'experiment x { train { epochs = 1 } }',
      '',
    ].join('\n');
    expect(documentModule(source, 'm.seg', 'm.seg').markdown).toBe(
      [
        '# m.seg',
        '',
        '## add',
        '',
        '```seg',
        'fn add(a: [N], b = 1)',
        '```',
        '',
        'Adds.',
        '',
        'Second paragraph.',
        '',
        '## wide',
        '',
        '```seg',
        'loss wide(prediction: logits[N,C,S], labels_of_pixels: labels[N,S], alpha = 1.0, temperature = 1.0,',
        '          smooth = 0.5)',
        '```',
        '',
        '## x',
        '',
        '```seg',
        'experiment x',
        '```',
        '',
        'The experiment.',
        '',
      ].join('\n'),
    );
  });
});

describe('segc fmt', () => {
  it('--check on a formatted file: exit 0, no output', async () => {
    const r = await segc('fmt', '--check', 'experiments/quickstart.seg');
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--check on a messy file: exit 1, lists the file and nothing else, writes nothing', async () => {
    const file = join(scratch, 'messy-check.seg');
    writeFileSync(file, messy);
    const r = await segc('fmt', '--check', 'experiments/quickstart.seg', file);
    expect(r).toEqual({ code: 1, stdout: `${file}\n`, stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe(messy);
  });

  it('rewrites files in place (no temporary file left), after which --check passes', async () => {
    const dir = mkdtempSync(join(scratch, 'inplace-'));
    const file = join(dir, 'messy.seg');
    writeFileSync(file, messy);
    copyFileSync(join(root, 'experiments/quickstart.seg'), join(dir, 'quickstart.seg'));
    const r = await segc('fmt', file, join(dir, 'quickstart.seg'));
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe(canonical);
    expect(readdirSync(dir).sort()).toEqual(['messy.seg', 'quickstart.seg']);
    expect((await segc('fmt', '--check', file)).code).toBe(0);
  });

  it('--stdout prints the formatted text and leaves the file alone', async () => {
    const file = join(scratch, 'messy-stdout.seg');
    writeFileSync(file, messy);
    const r = await segc('fmt', '--stdout', file);
    expect(r).toEqual({ code: 0, stdout: canonical, stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe(messy);
  });

  it('leaves a file with syntax errors alone and prints what segc check prints, exit code 1', async () => {
    const file = join(scratch, 'syntax-error.seg');
    const text = readFileSync(join(root, 'test/fixtures/cli/syntax-error.seg'), 'utf8');
    writeFileSync(file, text);
    const good = join(scratch, 'messy-beside-error.seg');
    writeFileSync(good, messy);
    const [fmt, check] = await Promise.all([segc('fmt', file, good), segc('check', file)]);
    expect(fmt.code).toBe(1);
    expect(fmt.stdout).toBe('');
    expect(fmt.stderr).toBe(check.stderr);
    expect(fmt.stderr).toContain("syntax-error.seg:12:3: error SEG1003: Expected ')' but found 'train'.");
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readFileSync(good, 'utf8')).toBe(canonical);
  });
});
