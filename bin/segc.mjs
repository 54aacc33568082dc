#!/usr/bin/env node
// The segc command in a checkout: runs the bundle dist/segc.mjs (what the package installs as `segc`), first
// rebuilding it (scripts/build.mjs, well under a second) when a source is newer than it, so that an edit is
// never run stale. Installed packages run dist/segc.mjs directly.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist/segc.mjs');
const SOURCES = [
  'index.ts',
  'package.json',
  'scripts/build.mjs',
  'diagnostics',
  'grammar',
  'compiler',
  'runtime',
  'cli',
];

/** The latest modification time under `path`, folders included (a deleted or renamed file changes its folder). */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

let built = 0;
try {
  built = statSync(bundle).mtimeMs;
} catch {}
if (SOURCES.some((source) => newest(join(root, source)) > built)) {
  const { buildBundles } = await import('../scripts/build.mjs');
  try {
    await buildBundles();
  } catch {
    // esbuild has printed the errors, with file:line:col.
    process.stderr.write('segc: error: building dist/ from the sources failed (see above)\n');
    process.exit(1);
  }
}
await import(bundle);
