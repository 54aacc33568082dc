// A run folder's lock on shared storage: the worker training a run holds DIR/<run>/.lock and refreshes it
// with its heartbeat; a lock left by a dead worker goes stale and is taken over.
import {
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';

/** Takes the lock of `dir` for `owner`; false while another owner's lock is younger than `staleSeconds`. */
export function takeLock(dir: string, owner: string, staleSeconds: number): boolean {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${owner}\n`);
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = (Date.now() - statSync(path).mtimeMs) / 1000;
      if (lockOwner(dir) === owner) return true;
      if (age < staleSeconds) return false;
      rmSync(path, { force: true }); // stale: its worker stopped refreshing it
    }
  }
  return false;
}

export function lockOwner(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, LOCK_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function touchLock(dir: string, owner: string): void {
  if (lockOwner(dir) !== owner) return;
  const now = new Date();
  utimesSync(join(dir, LOCK_FILE), now, now);
}

export function releaseLock(dir: string, owner: string): void {
  if (lockOwner(dir) === owner) rmSync(join(dir, LOCK_FILE), { force: true });
}
