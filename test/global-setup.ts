// Builds dist/ (scripts/build.mjs) once before the suite, so the tests that spawn `node bin/segc.mjs` run the
// bundle of the sources as they are now, which is what the package installs. If the sources do not build, the
// suite still runs: bin/segc.mjs finds dist/ stale, tries again and fails, so only the CLI's tests fail.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    console.warn('test/global-setup.ts: dist/ was not built (errors above); the tests of the CLI will fail');
  }
}
