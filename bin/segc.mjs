#!/usr/bin/env node
// The segc command in a checkout: runs the bundle dist/segc.mjs (what the package installs as `segc`), first
// rebuilding it (scripts/build.mjs, well under a second) when one of the sources it was built from
// (dist/inputs.json) is newer than it or gone, so that an edit is never run stale. Installed packages run
// dist/segc.mjs directly.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist/segc.mjs');

function stale() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(root, 'dist/inputs.json'), 'utf8'));
    return inputs.some((input) => statSync(join(root, input)).mtimeMs > built);
  } catch {
    return true; // no bundle, no list, or a source gone (moved or deleted)
  }
}

if (stale()) {
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
