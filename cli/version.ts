// segc's version, from the package.json one folder up: the checkout's or the installed package's (cli/ when
// run from source, dist/ when bundled).
import { readFileSync } from 'node:fs';

export function segcVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(manifest.version);
}
