// Startup of the segc command: wall time of a fresh process for `segc --help` and `segc check
// experiments/quickstart.seg`, the built CLI (dist/segc.mjs, what the package installs) against the same
// commands run from the TypeScript sources through tsx (how bin/segc.mjs started before dist/), each as a ratio
// to `node -e 0` measured in the same rounds. Rounds interleave the commands, so load on the machine hits all
// alike; medians are reported. Run: npx tsx bench/startup.ts [rounds]   (builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 15);
const node = process.execPath;

const commands: [name: string, args: string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['dist: segc --help', ['dist/segc.mjs', '--help']],
  ['dist: segc check quickstart', ['dist/segc.mjs', 'check', 'experiments/quickstart.seg']],
  ['tsx: segc --help', ['--import', 'tsx', 'cli/segc.ts', '--help']],
  ['tsx: segc check quickstart', ['--import', 'tsx', 'cli/segc.ts', 'check', 'experiments/quickstart.seg']],
];

execFileSync(node, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
const times = commands.map((): number[] => []);
for (let round = 0; round < rounds; round++) {
  commands.forEach(([name, args], i) => {
    const start = performance.now();
    const result = spawnSync(node, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}: ${result.stderr}`);
    times[i].push(elapsed);
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const baseline = median(times[0]);
console.log(`${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${rounds} rounds, medians`);
for (const [i, [name]] of commands.entries()) {
  const ms = median(times[i]);
  const ratio = (ms / baseline).toFixed(2);
  console.log(
    `${name.padEnd(30)} ${(ms / 1000).toFixed(3)} s  ${ratio}x node -e 0  (min ${(Math.min(...times[i]) / 1000).toFixed(3)} s)`,
  );
}
