// Startup of the segc command: a fresh process for `segc --help` and for `segc check
// experiments/quickstart.seg`, the built CLI (dist/segc.mjs, what the package installs) against the same
// commands run from the TypeScript sources through tsx (how bin/segc.mjs started before dist/), each as a ratio
// to `node -e 0` in the same rounds (and the checkout's launcher bin/segc.mjs, which first compares the
// sources' times with the bundle's). Rounds interleave the commands, so load on the machine hits all alike;
// medians of the wall time and (through GNU time, when /usr/bin/time exists) of the CPU time (user + system),
// which load on other cores disturbs less. Run: npx tsx bench/startup.ts [rounds]   (builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 15);
const node = process.execPath;
const gnuTime = existsSync('/usr/bin/time');

const commands: [name: string, args: string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['dist: segc --help', ['dist/segc.mjs', '--help']],
  ['dist: segc check quickstart', ['dist/segc.mjs', 'check', 'experiments/quickstart.seg']],
  ['bin/segc.mjs --help', ['bin/segc.mjs', '--help']],
  ['tsx: segc --help', ['--import', 'tsx', 'cli/segc.ts', '--help']],
  ['tsx: segc check quickstart', ['--import', 'tsx', 'cli/segc.ts', 'check', 'experiments/quickstart.seg']],
];

/** Wall and CPU seconds of one run of `node ...args` from the repository root. */
function measure(name: string, args: string[]): { wall: number; cpu: number } {
  const [file, argv] = gnuTime ? ['/usr/bin/time', ['-f', '%U %S', node, ...args]] : [node, args];
  const start = performance.now();
  const result = spawnSync(file, argv, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`${name} exited ${result.status}: ${result.stderr}`);
  const [user, system] = gnuTime
    ? result.stderr.trim().split('\n').pop()!.split(' ').map(Number)
    : [NaN, NaN];
  return { wall, cpu: user + system };
}

execFileSync(node, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
const load = loadavg()[0];
const runs = commands.map((): { wall: number; cpu: number }[] => []);
for (let round = 0; round < rounds; round++) {
  commands.forEach(([name, args], i) => runs[i].push(measure(name, args)));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const wall = runs.map((r) => median(r.map((m) => m.wall)));
const cpu = runs.map((r) => median(r.map((m) => m.cpu)));
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
console.log(
  `${date} UTC, node ${process.version}, ${rounds} rounds, load average ${load.toFixed(1)}, medians`,
);
console.log(`${'command'.padEnd(28)}  wall s  x node -e 0   cpu s  x node -e 0`);
for (const [i, [name]] of commands.entries()) {
  const cells = [wall[i].toFixed(3), `${(wall[i] / wall[0]).toFixed(1)}x`, cpu[i].toFixed(2)];
  cells.push(`${(cpu[i] / cpu[0]).toFixed(1)}x`);
  console.log(
    `${name.padEnd(28)}  ${cells[0]}  ${cells[1].padStart(10)}   ${cells[2].padStart(5)}  ${cells[3]}`,
  );
}
