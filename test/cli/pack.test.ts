// The package as a user gets it: `npm pack` the checkout, install the tarball in a temporary folder (offline,
// from npm's cache, with the versions of package-lock.json) and use it there on an experiment outside the
// repository: `segc --version`, `check` (the stdlib comes from the installed package), a one-step `run`, the
// library's compileExperiment and its TypeScript declarations.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileExperiment } from '../../index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** npm's and node's environment without the npm_* variables of an enclosing `npm test`. */
const env = Object.fromEntries(
  Object.entries({ ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() }).filter(
    ([key]) => !key.toLowerCase().startsWith('npm_'),
  ),
);

const work = mkdtempSync(join(tmpdir(), 'segc-pack-'));
const consumer = join(work, 'consumer');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Packed {
  filename: string;
  unpackedSize: number;
  files: { path: string; size: number }[];
}
let packed: Packed;

/**
 * package.json and package-lock.json of a project that depends on the tarball: the tarball's entry, then the
 * checkout's locked run-time packages (dev ones left out) with their registry addresses, so `npm ci --offline`
 * installs exactly them from npm's cache.
 */
function writeConsumerProject(tarball: string): void {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { env, encoding: 'utf8' }).trim();
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { segc: spec } },
    'node_modules/segc': {
      version: manifest.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of Object.entries<Record<string, unknown>>(lock.packages)) {
    if (path === '' || entry.dev) continue;
    const name = String(entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    const { devOptional: _, ...locked } = entry;
    const tail = `${name.split('/').pop()}-${String(entry.version)}.tgz`;
    packages[path] = { resolved: `${registry.replace(/\/?$/, '/')}${name}/-/${tail}`, ...locked };
  }
  mkdirSync(consumer, { recursive: true });
  const project = { name: 'consumer', private: true, type: 'module', dependencies: { segc: spec } };
  writeFileSync(join(consumer, 'package.json'), JSON.stringify(project, null, 2));
  const consumerLock = { name: 'consumer', lockfileVersion: 3, requires: true, packages };
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock, null, 2));
}

beforeAll(() => {
  // The tarball must hold what the sources build to now, declarations included.
  execFileSync(process.execPath, ['scripts/build.mjs', '--types'], { cwd: root, env, stdio: 'pipe' });
  const pack = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  packed = JSON.parse(pack)[0];
  writeConsumerProject(join(work, packed.filename));
  execFileSync('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: consumer,
    env,
    stdio: 'pipe',
  });
  mkdirSync(join(consumer, 'exp'));
  writeFileSync(join(consumer, 'exp/outside.seg'), OUTSIDE);
  writeFileSync(join(consumer, 'exp/bad.seg'), OUTSIDE.replace('loss = ce(', 'loss = cee('));
  cpSync(join(root, 'test/fixtures/data/image_folder'), join(consumer, 'photos'), { recursive: true });
  writeFileSync(join(consumer, 'exp/photos.seg'), PHOTOS);
}, 600_000);

/** A U-Net small enough for one quick step: 2 training images in one batch of 2. */
const OUTSIDE = `// An experiment outside the segc package.
import std/losses { ce, proportion }
import std/nets { unet }

experiment outside {
  data = shapes(size = [8, 8], classes = 3, foreground = 0.2, train = 2, val = 2, seed = 3)
  model = unet(in = 3, classes = 3, widths = [2, 4])
  param alpha = 1.0
  loss = ce(logits, y) + alpha * mean(abs(proportion(softmax[C](logits), y) - proportion(onehot(y), y)))
  optimizer = adam(lr = 1e-3)
  train { epochs = 3, batch = 2, seed = 1 }
}
`;

/** Three small photos (JPEG, PNG) with masks, decoded by sharp in the loader's worker threads. */
const PHOTOS = `import std/losses { ce }
import std/nets { unet }

experiment photos {
  data = image_folder(root = "photos", size = [12, 16], classes = 3, workers = 1)
  model = unet(in = 3, classes = 3, widths = [4, 8])
  loss = ce(logits, y)
  optimizer = adam(lr = 1e-2)
  train { epochs = 1, batch = 3, seed = 1 }
}
`;

/** The installed `segc` (node_modules/.bin/segc, as npm linked it), run in the consumer folder. */
function segc(...args: string[]) {
  const result = spawnSync(join(consumer, 'node_modules/.bin/segc'), args, {
    cwd: consumer,
    env,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the packed package', () => {
  it('holds the built CLI, the library with its declarations and the stdlib; no sources, tests or benchmarks', () => {
    const paths = packed.files.map((file) => file.path);
    for (const path of ['dist/segc.mjs', 'dist/index.mjs', 'dist/worker.mjs', 'dist/types/index.d.ts']) {
      expect(paths).toContain(path);
    }
    expect(paths).toContain('stdlib/losses.seg');
    const shipped = /^(dist|stdlib|experiments|docs)\/|^(package\.json|README\.md|LICENSE)$/;
    expect(paths.filter((path) => !shipped.test(path))).toEqual([]);
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs as a command: segc --version prints the version of package.json', () => {
    const result = segc('--version');
    expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it('checks an experiment outside the repository against the stdlib inside the installed package', () => {
    expect(segc('check', 'exp/outside.seg')).toEqual({ code: 0, stdout: '', stderr: '' });
    const explained = segc('check', '--explain', 'exp/outside.seg');
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('\n# node_modules/segc/stdlib/losses.seg\n');
    expect(explained.stdout).toContain('\n# node_modules/segc/stdlib/nets.seg\n');
  });

  it('reports an error in such an experiment as a diagnostic, not a stack trace', () => {
    const result = segc('check', 'exp/bad.seg');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^exp\/bad\.seg:9:\d+: /m);
    expect(result.stderr).toContain('cee');
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  });

  it('trains it for one step: the logged loss is its terms ce + alpha * l1', () => {
    const result = segc('run', 'exp/outside.seg', '--set', 'train.epochs=1', '--out', 'runs/one');
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(consumer, 'runs/one/summary.json'), 'utf8'));
    expect(summary.epochs).toHaveLength(1);
    const { loss, ce, l1 } = summary.epochs[0].train;
    expect(ce).toBeGreaterThan(0);
    expect(l1).toBeGreaterThan(0);
    expect(loss).toBeCloseTo(ce + 1.0 * l1, 5);
    expect(existsSync(join(consumer, 'runs/one/model.safetensors'))).toBe(true);
  });

  it('trains on image files: the decoding worker threads run from the package (dist/worker.mjs)', () => {
    const result = segc('run', 'exp/photos.seg', '--out', 'runs/photos');
    expect(result.code, result.stderr).toBe(0);
    // The same run from the TypeScript sources (through tsx, as `segc` ran before dist/) trains alike.
    const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const cli = join(root, 'cli/segc.ts');
    const sources = spawnSync(
      process.execPath,
      ['--import', tsx, cli, 'run', 'exp/photos.seg', '--out', 'runs/photos-sources'],
      { cwd: consumer, env, encoding: 'utf8' },
    );
    expect(sources.status, sources.stderr).toBe(0);
    const [packaged, reference] = ['photos', 'photos-sources'].map((run) => {
      const summary = JSON.parse(readFileSync(join(consumer, `runs/${run}/summary.json`), 'utf8'));
      return summary.epochs.map((epoch: { train: object; val: object }) => [epoch.train, epoch.val]);
    });
    expect(packaged).toHaveLength(1);
    expect(packaged).toEqual(reference);
  });

  it("exports the library: the package's compileExperiment plans the kernels the sources plan", () => {
    const script = `import { compileExperiment } from 'segc';
const { trainPlan, evalPlan } = compileExperiment('exp/outside.seg');
const kernels = (plan) => plan.kernels.map((k) => [k.name, k.wgsl]);
console.log(JSON.stringify({ train: kernels(trainPlan), eval: kernels(evalPlan) }));
`;
    writeFileSync(join(consumer, 'compile.mjs'), script);
    const output = execFileSync(process.execPath, ['compile.mjs'], { cwd: consumer, env, encoding: 'utf8' });
    const fromSources = compileExperiment(join(consumer, 'exp/outside.seg'));
    const kernels = (plan: typeof fromSources.trainPlan) => plan.kernels.map((k) => [k.name, k.wgsl]);
    const packaged = JSON.parse(output);
    expect(packaged.train.length).toBeGreaterThan(10);
    expect(packaged).toEqual({ train: kernels(fromSources.trainPlan), eval: kernels(fromSources.evalPlan) });
  });

  it("types the library: a consumer's TypeScript sees the declared signatures", () => {
    const source = `import { compileExperiment, Trainer } from 'segc';
import type { CompiledExperiment, RunSummary, TrainerEvent } from 'segc';
const compiled: CompiledExperiment = compileExperiment('exp/outside.seg', { target: 'cpu' });
export const kernels: number = compiled.trainPlan.kernels.length;
// @ts-expect-error an experiment is named by its file
compileExperiment(42);
const events: TrainerEvent[] = [];
export const run: Promise<RunSummary> = new Trainer('exp/outside.seg', { stopAfter: 1 })
  .on((event) => events.push(event))
  .run();
`;
    writeFileSync(join(consumer, 'consumer.ts'), source);
    const compilerOptions = {
      strict: true,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      types: [],
    };
    const tsconfig = { compilerOptions, files: ['consumer.ts'] };
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
      cwd: consumer,
      env,
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
