// How long `segc check` takes on the whole stdlib and every experiment, in one process as an editor would:
// parse, resolve imports and stage each (types and shapes). "cold" parses every file each round; "warm"
// reuses the parses of unchanged files (what an editor re-checking after an edit sees). Medians of repeated
// rounds after a warm-up. Run: npx tsx bench/check-speed.ts [rounds]   (issue 3's budget: under 100 ms for
// stdlib + experiments)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles } from '../cli/check.ts';
import { clearParseCache } from '../compiler/resolve/index.ts';

const seg = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .map((f) => join(dir, f))
    .sort();
const sets = {
  'stdlib + experiments': [...seg('stdlib'), ...seg('experiments')],
  'spec examples': seg('test/fixtures/spec-examples'),
};
const rounds = Number(process.argv[2] ?? 20);

function once(files: string[], cold: boolean): number {
  if (cold) clearParseCache();
  const start = performance.now();
  for (const file of files) checkFiles([file]);
  return performance.now() - start;
}

function median(files: string[], cold: boolean): string {
  once(files, cold); // warm-up: module loading and JIT
  const times = Array.from({ length: rounds }, () => once(files, cold)).sort((a, b) => a - b);
  return `${times[Math.floor(times.length / 2)].toFixed(1)} ms (min ${times[0].toFixed(1)})`;
}

for (const [name, files] of Object.entries(sets)) {
  console.log(`${name} (${files.map((f) => f.split('/').pop()).join(', ')}):`);
  console.log(`  cold ${median(files, true)}, warm ${median(files, false)}, median of ${rounds} rounds`);
}
