// segc sweep / segc worker: a sweep's runs in this process (K at a time on one device) or through a
// PostgreSQL queue (pg-boss) that workers on many machines take runs from; one line per run as it ends, and
// the table of each variant's metrics (mean ± std over seeds) at the end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { openDevice } from '../runtime/device.ts';
import type { DevicePreference } from '../runtime/device.ts';
import { SUMMARY_FILE } from '../runtime/checkpoint/run-folder.ts';
import { STATE_FILE } from '../runtime/train/state.ts';
import { runSweep } from '../jobs/embedded.ts';
import { expandSweep } from '../jobs/expand.ts';
import type { SweepRun } from '../jobs/expand.ts';
import { enqueueSweep, startWorker, sweepStatus } from '../jobs/queue.ts';
import { formatTable } from '../jobs/table.ts';
import { sweepDisplay } from './sweep-progress.ts';

type Guarded = (body: () => Promise<void> | void) => Promise<void>;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function whole(value: string): number {
  const n = positive(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function addSweepCommands(program: Command, guarded: Guarded): void {
  program
    .command('sweep')
    .description("run every run of an experiment's sweep section (loss variants x grid x seeds)")
    .argument('<file>', '.seg experiment file with a sweep { ... } section')
    .option('--out <dir>', 'the sweep folder: one folder per run (default runs/<experiment>)')
    .option('--parallel <k>', 'runs trained at the same time on the device', whole, 1)
    .option('--device <kind>', 'gpu, cpu or auto', 'auto')
    .option('--queue <url>', 'enqueue the runs in PostgreSQL (postgres://...) for segc worker instead')
    .option('--status', 'show which runs are queued, running, done or failed (with --queue), or done here')
    .option(
      '--heartbeat <seconds>',
      'queue: seconds between worker heartbeats (jobs expire after 3)',
      positive,
    )
    .action(
      (
        file: string,
        opts: {
          out?: string;
          parallel: number;
          device: DevicePreference;
          queue?: string;
          status?: boolean;
          heartbeat?: number;
        },
      ) =>
        guarded(async () => {
          const write = (line: string) => process.stdout.write(`${line}\n`);
          if (opts.status) {
            const rows = opts.queue ? await sweepStatus(file, opts.queue) : folderStatus(file, opts.out);
            for (const { run, state } of rows) write(`${state.padEnd(8)} ${run.id}`);
            const counts = new Map<string, number>();
            for (const { state } of rows) counts.set(state, (counts.get(state) ?? 0) + 1);
            write([...counts].map(([state, n]) => `${n} ${state}`).join(', '));
            return;
          }
          if (opts.queue) {
            const { added, existing } = await enqueueSweep(file, opts.queue, { heartbeat: opts.heartbeat });
            write(`segc: enqueued ${added} runs (${existing} already queued or done)`);
            return;
          }
          const sweep = expandSweep(file);
          const out = opts.out ?? join('runs', sweep.experiment);
          write(
            `segc: sweep ${sweep.experiment}: ${sweep.runs.length} runs in ${out}, ` +
              `${opts.parallel} at a time`,
          );
          const display = sweepDisplay();
          const result = await runSweep(file, {
            sweep,
            out,
            parallel: opts.parallel,
            device: opts.device,
            onEvent: display.onEvent,
            onRunEnd: (run, outcome, r) => {
              const values = sweep.metrics.map((m) => `${m} ${(r.values[m] ?? NaN).toFixed(4)}`).join('  ');
              const how =
                outcome === 'done' ? 'already done' : outcome === 'resumed' ? 'resumed, done' : 'done';
              display.done(run);
              display.line(`segc: ${run.name} ${how}: ${values}`);
            },
          }).finally(display.stop);
          write('');
          write(formatTable(result.rows, sweep.metrics));
        }),
    );

  program
    .command('worker')
    .description('take runs from a sweep queue and train them until stopped (Ctrl-C: finish and leave)')
    .requiredOption('--queue <url>', 'the PostgreSQL queue (postgres://...)')
    .requiredOption('--out <dir>', 'the sweep folder (shared storage): one folder per run')
    .option('--concurrency <k>', 'runs trained at the same time by this worker', whole, 1)
    .option('--device <kind>', 'gpu, cpu or auto', 'auto')
    .option('--heartbeat <seconds>', 'seconds between heartbeats (a job unheard of for 3 expires)', positive)
    .action(
      (opts: {
        queue: string;
        out: string;
        concurrency: number;
        device: DevicePreference;
        heartbeat?: number;
      }) =>
        guarded(async () => {
          const write = (line: string) => process.stdout.write(`${line}\n`);
          const opened = await openDevice(opts.device);
          const display = sweepDisplay();
          const worker = await startWorker(opts.queue, {
            out: opts.out,
            device: opened,
            concurrency: opts.concurrency,
            heartbeat: opts.heartbeat,
            onEvent: display.onEvent,
            onRunStart: (run) => display.line(`segc worker: started ${run.id}`),
            onRunEnd: (run, outcome) => {
              display.done(run);
              display.line(`segc worker: ${outcome === 'done' ? 'skipped' : 'finished'} ${run.id}`);
            },
            onRunError: (run, error) => {
              display.done(run);
              display.line(`segc worker: failed ${run.id}: ${error.message}`);
            },
          });
          write(`segc worker: taking runs from the queue into ${opts.out} (${opts.concurrency} at a time)`);
          await new Promise<void>((done) => {
            const leave = () => {
              write('segc worker: stopping after the runs in progress');
              worker.stop().then(done, done).finally(display.stop);
            };
            process.once('SIGINT', leave);
            process.once('SIGTERM', leave);
          });
          opened.device.destroy();
        }),
    );
}

/** Without a queue: done (summary.json), interrupted (a checkpoint) or not started, from the sweep folder. */
function folderStatus(file: string, out: string | undefined): { run: SweepRun; state: string }[] {
  const sweep = expandSweep(file);
  return sweep.runs.map((run) => {
    const dir = join(out ?? join('runs', sweep.experiment), run.id);
    const state = existsSync(join(dir, SUMMARY_FILE))
      ? 'done'
      : existsSync(join(dir, STATE_FILE))
        ? 'stopped'
        : 'waiting';
    return { run, state };
  });
}
