// A worker's heartbeat for one active run, on a thread of its own: compiling shaders or a long synchronous
// step can hold the main thread for seconds, and a heartbeat that waited for it would let a live run's job
// expire and its lock go stale (another worker would train it too). Every beat refreshes the run folder's
// lock and the job's start time in pg-boss's job table (pg-boss 10 expires active jobs by started_on).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { LOCK_FILE } from './lock.ts';

/** The thread's code: CommonJS evaluated in a worker, given the paths of `pg` and the lock file. */
const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { Client } = require(workerData.pg);
const client = new Client({ connectionString: workerData.url });
let open = client.connect().catch(() => undefined);
const beat = async () => {
  try {
    if (fs.readFileSync(workerData.lock, 'utf8').trim() === workerData.owner) {
      const now = new Date();
      fs.utimesSync(workerData.lock, now, now);
    }
  } catch {}
  try {
    await open;
    await client.query(
      "UPDATE pgboss.job SET started_on = now() WHERE id = $1 AND name = $2 AND state = 'active'",
      [workerData.job, workerData.queue],
    );
  } catch {}
};
const timer = setInterval(beat, workerData.seconds * 1000);
beat();
parentPort.on('message', async () => {
  clearInterval(timer);
  try { await client.end(); } catch {}
  parentPort.postMessage('stopped');
});
`;

export interface Heartbeat {
  stop(): Promise<void>;
}

export function startHeartbeat(options: {
  url: string;
  queue: string;
  job: string;
  dir: string;
  owner: string;
  seconds: number;
}): Heartbeat {
  const pg = createRequire(import.meta.url).resolve('pg');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { ...options, pg, lock: `${options.dir}/${LOCK_FILE}` },
  });
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((done) => {
        worker.once('message', () => void worker.terminate().then(() => done()));
        worker.once('error', () => done());
        worker.postMessage('stop');
      }),
  };
}
