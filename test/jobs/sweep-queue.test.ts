// Sweeps end to end on the CPU adapter: six tiny runs (2 loss variants x 3 seeds) in-process, then the same
// sweep through a real PostgreSQL (Debian's server, started here on a unix socket) and pg-boss, taken by two
// worker processes, one of them killed with SIGKILL in the middle of a run. Every run finishes once, and
// every run's final metrics equal the in-process run's.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { runSweep } from '../../jobs/embedded.ts';
import { writeReport } from '../../report/index.ts';
import { LOCK_FILE } from '../../jobs/lock.ts';
import { startPostgres } from '../helpers/postgres.ts';
import type { Postgres } from '../helpers/postgres.ts';

const file = 'test/fixtures/experiments/tiny-sweep.seg';
const root = mkdtempSync(join(tmpdir(), 'segc-sweep-'));
const embedded = join(root, 'embedded');
const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

interface Cli {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function cli(args: string[]): Cli {
  const child = spawn(process.execPath, ['bin/segc.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => text, exited };
}

async function until(what: string, test: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('segc sweep', () => {
  it('runs every run in-process, 2 at a time, and tabulates mean ± std over seeds', async () => {
    const ends: string[] = [];
    const result = await runSweep(file, {
      out: embedded,
      parallel: 2,
      onRunEnd: (_, outcome) => ends.push(outcome),
    });
    expect(ends).toEqual(['trained', 'trained', 'trained', 'trained', 'trained', 'trained']);
    expect(result.rows.map((r) => [r.group, r.runs])).toEqual([
      ['ce', 3],
      ['ce_l1', 3],
    ]);
    for (const row of result.rows) {
      // The table's numbers from the runs' own summary.json files, by hand: mean and sample std.
      const dice = result.sweep.runs
        .filter((r) => r.group === row.group)
        .map((r) => summary(join(embedded, r.id)).final.values.dice as number);
      const mean = (dice[0] + dice[1] + dice[2]) / 3;
      const std = Math.sqrt(((dice[0] - mean) ** 2 + (dice[1] - mean) ** 2 + (dice[2] - mean) ** 2) / 2);
      expect(row.stats.dice.mean).toBeCloseTo(mean, 12);
      expect(row.stats.dice.std).toBeCloseTo(std, 12);
    }
    const saved = JSON.parse(readFileSync(join(embedded, 'sweep.json'), 'utf8'));
    expect(saved.runs.map((r: { id: string }) => r.id)).toEqual(result.sweep.runs.map((r) => r.id));
    // Each run's validation class maps (for the report's overlays) are those of its selected model.
    for (const r of result.sweep.runs)
      expect(existsSync(join(embedded, r.id, 'predictions-val.safetensors'))).toBe(true);
    const report = await writeReport([embedded], { out: join(root, 'report.html') });
    expect(report.figures).toContain('overlays');
    const html = readFileSync(join(root, 'report.html'), 'utf8');
    const grid = /<table class="overlays">[\s\S]*?<\/table>/.exec(html)![0];
    expect([...grid.matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1])).toEqual([
      'image',
      'truth',
      'ce',
      'ce_l1',
    ]);
    // tiny: 2 validation images of 8 x 8, each in all four columns.
    const pngs = [...grid.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) =>
      decode(Buffer.from(m[1], 'base64')),
    );
    expect(pngs).toHaveLength(2 * 4);
    for (const png of pngs) expect([png.width, png.height, png.channels]).toEqual([8, 8, 3]);
    // Run again: every run is found finished and nothing trains.
    const again: string[] = [];
    const second = await runSweep(file, { out: embedded, onRunEnd: (_, outcome) => again.push(outcome) });
    expect(again).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    expect(second.rows).toEqual(result.rows);
  });

  describe('through a PostgreSQL queue', () => {
    let pg: Postgres | undefined;
    const workers: Cli[] = [];
    afterAll(() => {
      for (const w of workers) w.child.kill('SIGKILL');
      pg?.stop();
    });

    it('takes the runs with two workers, one killed mid-run: each run finishes once, as in-process', async () => {
      pg = startPostgres();
      const queued = join(root, 'queued');
      const enqueue = () => cli(['sweep', file, '--queue', pg!.url, '--heartbeat', '2']);
      const first = enqueue();
      expect(await first.exited, first.output()).toBe(0);
      expect(first.output()).toContain('segc: enqueued 6 runs (0 already queued or done)');
      const twice = enqueue();
      expect(await twice.exited, twice.output()).toBe(0);
      expect(twice.output()).toContain('segc: enqueued 0 runs (6 already queued or done)');

      const worker = () =>
        cli(['worker', '--queue', pg!.url, '--out', queued, '--heartbeat', '2', '--device', 'cpu']);
      const a = worker();
      const b = worker();
      workers.push(a, b);
      // Kill worker a once a run it holds has a checkpoint (its first epoch is saved, its second is not).
      let killed: string | undefined;
      const held = () =>
        (existsSync(queued) ? readdirSync(queued) : []).find((id) => {
          const dir = join(queued, id);
          const owner = existsSync(join(dir, LOCK_FILE)) ? readFileSync(join(dir, LOCK_FILE), 'utf8') : '';
          return (
            owner.startsWith(`${a.child.pid}-`) &&
            existsSync(join(dir, 'checkpoint.safetensors')) &&
            !existsSync(join(dir, 'summary.json'))
          );
        });
      await until('worker a holds a half-trained run', () => (killed = held()) !== undefined, 300);
      a.child.kill('SIGKILL');
      await a.exited;
      const done = () => readdirSync(queued).filter((id) => existsSync(join(queued, id, 'summary.json')));
      await until('every run is done', () => done().length === 6, 300);

      const status = cli(['sweep', file, '--queue', pg!.url, '--status']);
      expect(await status.exited, status.output()).toBe(0);
      expect(status.output()).toContain('\n6 done\n');
      b.child.kill('SIGTERM');
      expect(await b.exited, b.output()).toBe(0);

      // Each run finished once over both workers; the killed one was finished (resumed) by worker b.
      const finished = [a, b].flatMap((w) =>
        [...w.output().matchAll(/segc worker: finished (\S+)/g)].map((m) => m[1]),
      );
      expect([...finished].sort()).toEqual([...done()].sort());
      expect(a.output()).toContain(`segc worker: started ${killed}`);
      expect(a.output()).not.toContain(`segc worker: finished ${killed}`);
      expect(b.output()).toContain(`segc worker: finished ${killed}`);
      for (const id of done()) {
        const epochs = readFileSync(join(queued, id, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n');
        expect(
          epochs.map((l) => JSON.parse(l).epoch),
          id,
        ).toEqual([1, 2]);
        const mine = summary(join(queued, id)).final.values;
        const theirs = summary(join(embedded, id)).final.values;
        for (const [name, value] of Object.entries(theirs))
          expect(mine[name], `${id} ${name}`).toBeCloseTo(value as number, 6);
      }
    });
  });
});
