// Sweeps over many machines: the runs of a sweep as jobs in PostgreSQL through pg-boss, and the worker that
// takes them. A job's id is derived from its run-id, so enqueuing a sweep twice adds nothing; a worker keeps
// its active jobs alive with a heartbeat, so a dead worker's job expires and is delivered again, and resumes
// from its last checkpoint; a lock in the run's folder (shared storage) keeps two workers off one run.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type PgBoss from 'pg-boss';
import { userError } from '../diagnostics/index.ts';
import type { OpenedDevice } from '../runtime/device.ts';
import type { TrainerEvent } from '../runtime/train/events.ts';
import type { SweepRun } from './expand.ts';
import { expandSweep } from './expand.ts';
import { runOne } from './run-one.ts';
import type { RunOutcome } from './run-one.ts';
import { releaseLock, takeLock } from './lock.ts';
import { startHeartbeat } from './heartbeat.ts';

export const QUEUE_NAME = 'segc-runs';

export interface JobData {
  file: string;
  experiment: string;
  run: SweepRun;
}

export interface QueueTiming {
  /** Seconds between a worker's heartbeats; a job unheard of for 3 heartbeats expires and is retried. */
  heartbeat?: number;
}

const DEFAULT_HEARTBEAT = 30;

/** Connects to the queue's database and creates the queue when it is new. */
export async function openQueue(url: string, timing: QueueTiming = {}): Promise<PgBoss> {
  const heartbeat = timing.heartbeat ?? DEFAULT_HEARTBEAT;
  // pg-boss (with pg) is loaded here, not by every start of segc (about 0.1 s).
  const { default: Boss } = await import('pg-boss');
  const boss = new Boss({
    connectionString: url,
    // Expired jobs are found at this period (they expire after 3 heartbeats).
    maintenanceIntervalSeconds: Math.max(1, Math.round(heartbeat)),
  });
  const errors: Error[] = [];
  boss.on('error', (error: Error) => errors.push(error));
  try {
    await boss.start();
  } catch (error) {
    throw userError('SEG6123', [redact(url), (error as Error).message]);
  }
  await boss.createQueue(QUEUE_NAME);
  return boss;
}

/** The job id of a run: a UUID from the experiment's name and the run-id (equal runs, equal jobs). */
export function jobId(experiment: string, run: SweepRun): string {
  const hex = createHash('sha256').update(`${experiment}/${run.id}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const part = (from: number, to: number) => hex.slice(from, to);
  return `${part(0, 8)}-${part(8, 12)}-5${part(13, 16)}-${variant}${part(17, 20)}-${part(20, 32)}`;
}

/** Enqueues every run of the sweep of `file`; runs already queued (or done) are not added again. */
export async function enqueueSweep(
  file: string,
  url: string,
  timing: QueueTiming = {},
): Promise<{ added: number; existing: number; runs: SweepRun[] }> {
  const sweep = expandSweep(file);
  const boss = await openQueue(url, timing);
  const heartbeat = timing.heartbeat ?? DEFAULT_HEARTBEAT;
  let added = 0;
  try {
    for (const run of sweep.runs) {
      const data: JobData = { file: resolve(file), experiment: sweep.experiment, run };
      const id = await boss.send(QUEUE_NAME, data as object, {
        id: jobId(sweep.experiment, run),
        retryLimit: 3,
        retryDelay: 1,
        expireInSeconds: Math.max(1, Math.round(3 * heartbeat)),
      });
      if (id) added++;
    }
  } finally {
    await boss.stop({ graceful: false });
  }
  return { added, existing: sweep.runs.length - added, runs: sweep.runs };
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'missing';

/** The state of each run of the sweep in the queue. */
export async function sweepStatus(file: string, url: string): Promise<{ run: SweepRun; state: JobState }[]> {
  const sweep = expandSweep(file);
  const boss = await openQueue(url);
  try {
    const ids = sweep.runs.map((r) => jobId(sweep.experiment, r));
    const db = boss.getDb() as {
      executeSql(sql: string, values: unknown[]): Promise<{ rows: { id: string; state: string }[] }>;
    };
    // Jobs move to the archive some time after they end; both tables are read.
    const sql =
      `SELECT id, state FROM pgboss.job WHERE id = ANY($1::uuid[]) ` +
      `UNION ALL SELECT id, state FROM pgboss.archive WHERE id = ANY($1::uuid[])`;
    const { rows } = await db.executeSql(sql, [ids]);
    const states = new Map(rows.map((r) => [r.id, r.state]));
    return sweep.runs.map((run, i) => ({ run, state: jobState(states.get(ids[i])) }));
  } finally {
    await boss.stop({ graceful: false });
  }
}

function jobState(state: string | undefined): JobState {
  switch (state) {
    case 'created':
    case 'retry':
      return 'queued';
    case 'active':
      return 'running';
    case 'completed':
      return 'done';
    case 'failed':
    case 'cancelled':
      return 'failed';
    default:
      return 'missing';
  }
}

export interface WorkerOptions extends QueueTiming {
  out: string;
  device: OpenedDevice;
  /** Runs this worker trains at the same time. */
  concurrency?: number;
  onEvent?: (run: SweepRun, event: TrainerEvent) => void;
  onRunStart?: (run: SweepRun) => void;
  onRunEnd?: (run: SweepRun, outcome: RunOutcome) => void;
  onRunError?: (run: SweepRun, error: Error) => void;
}

/** Takes runs from the queue until `stop` is called; resolves once the queue is left cleanly. */
/**
 * Takes runs from the queue until `stop` is called. Jobs are fetched and completed by hand rather than with
 * pg-boss's work(): its handler race fails a job after its expiry however alive the run is, while here the
 * heartbeat keeps a live run's job active for as long as it trains.
 */
export async function startWorker(
  url: string,
  options: WorkerOptions,
): Promise<{ stop: () => Promise<void> }> {
  const heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
  const boss = await openQueue(url, options);
  const owner = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  let stopping = false;
  const handle = async (job: PgBoss.Job<JobData>) => {
    const { file, experiment, run } = job.data;
    const dir = resolve(options.out, run.id);
    if (!takeLock(dir, owner, 3 * heartbeat)) {
      // Another live worker holds the run (shared storage): this delivery fails and comes back later.
      throw new Error(`run ${run.id} is held by another worker`);
    }
    const beat = startHeartbeat({ url, queue: QUEUE_NAME, job: job.id, dir, owner, seconds: heartbeat });
    options.onRunStart?.(run);
    try {
      const listener = options.onEvent ? (e: TrainerEvent) => options.onEvent!(run, e) : undefined;
      const { outcome } = await runOne(file, experiment, run, options.out, {
        device: options.device,
        listener,
      });
      options.onRunEnd?.(run, outcome);
    } catch (error) {
      options.onRunError?.(run, error as Error);
      throw error;
    } finally {
      await beat.stop();
      releaseLock(dir, owner);
    }
  };
  const loop = async () => {
    while (!stopping) {
      const [job] = (await boss.fetch<JobData>(QUEUE_NAME, { batchSize: 1 })) ?? [];
      if (!job) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      try {
        await handle(job);
        await boss.complete(QUEUE_NAME, job.id);
      } catch (error) {
        await boss.fail(QUEUE_NAME, job.id, { message: (error as Error).message });
      }
    }
  };
  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, loop);
  return {
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      await boss.stop({ graceful: true, wait: true, timeout: 60_000 });
    },
  };
}

/** A connection string without its password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
