// Builds dist/: the segc command (dist/segc.mjs) and the library (dist/index.mjs), each one ES module bundled by
// esbuild, so a start parses one file instead of compiling TypeScript and importing chevrotain's 644 lodash-es
// modules. Packages with native addons or worker files stay external (they load from node_modules). Run by
// `npm run build` and by `prepare` (npm ci); `--types` also writes the library's declarations to dist/types/.
// Each file is written whole and renamed into place, so concurrent builds never leave a torn bundle.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Pure-JavaScript dependencies bundled for startup; every other dependency is imported from node_modules. */
const BUNDLED = ['chevrotain', 'commander', 'cli-progress'];
const external = Object.keys(manifest.dependencies ?? {}).filter((name) => !BUNDLED.includes(name));

/** Bundled CommonJS (commander) calls require() for Node's modules: give the ES module a real one. */
const requireShim =
  "import { createRequire as __segcRequire } from 'node:module';\n" +
  'const require = __segcRequire(import.meta.url);';

/**
 * The bundles. The data loader's decoding thread is dist/worker.mjs: runtime/data/loader.ts names its worker
 * `./worker.mjs` beside itself, which from a bundle is this file (from the sources, runtime/data/worker.mjs).
 */
const entries = [
  { source: 'cli/segc.ts', output: 'segc.mjs', banner: `#!/usr/bin/env node\n${requireShim}` },
  { source: 'index.ts', output: 'index.mjs', banner: requireShim },
  {
    contents: "export { decodeInWorker as default } from './runtime/data/decode/worker-task.ts';",
    output: 'worker.mjs',
    banner: requireShim,
  },
];

function writeAtomic(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents, { mode: 0o755 });
  renameSync(temporary, path);
}

/**
 * Bundles every entry into dist/; returns the files written, relative to the package root. dist/inputs.json
 * lists the project's source files the bundles hold (bin/segc.mjs rebuilds when one is newer or gone).
 */
export async function buildBundles() {
  const written = [];
  const inputs = new Set(['package.json', 'scripts/build.mjs']);
  for (const entry of entries) {
    const result = await build({
      ...(entry.source
        ? { entryPoints: [join(root, entry.source)] }
        : { stdin: { contents: entry.contents, resolveDir: root, sourcefile: entry.output, loader: 'ts' } }),
      outfile: join(dist, entry.output),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      external,
      banner: { js: entry.banner },
      legalComments: 'none',
      sourcemap: true,
      sourcesContent: false,
      write: false,
      metafile: true,
      absWorkingDir: root,
      logLevel: 'warning',
    });
    for (const file of result.outputFiles) {
      writeAtomic(file.path, file.contents);
      written.push(relative(root, file.path));
    }
    for (const input of Object.keys(result.metafile.inputs)) {
      if (!input.includes('node_modules/') && !input.startsWith('<stdin>') && input !== entry.output)
        inputs.add(input);
    }
  }
  writeAtomic(join(dist, 'inputs.json'), `${JSON.stringify([...inputs].sort(), null, 1)}\n`);
  return written;
}

/**
 * Declarations of the library (index.ts and what it reaches) into dist/types/, with the sources' `.ts` import
 * specifiers rewritten to `.js` so that a consumer's TypeScript resolves them to the `.d.ts` beside them.
 */
export function buildTypes() {
  const out = join(dist, 'types');
  const staging = `${out}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.types.json'), '--outDir', staging], {
      stdio: 'inherit',
    });
  } catch (error) {
    // A type error still emits every declaration; it is reported here and fails `npm run typecheck` (and CI).
    if (!existsSync(join(staging, 'index.d.ts'))) throw error;
    console.warn('scripts/build.mjs: the declarations were written despite the type errors above');
  }
  rewriteSpecifiers(staging);
  rmSync(out, { recursive: true, force: true });
  renameSync(staging, out);
}

function rewriteSpecifiers(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) rewriteSpecifiers(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.replace(/((?:from |import\()\s*['"]\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1.js$2'));
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // esbuild prints its errors (file:line:col) itself.
  const written = await buildBundles().catch(() => process.exit(1));
  if (process.argv.includes('--types')) {
    buildTypes();
    written.push('dist/types/');
  }
  console.log(`built ${written.join(', ')}`);
}
