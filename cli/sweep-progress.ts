// The display of a sweep (or a worker): on a terminal, one live progress bar per active run (epoch, step,
// ETA) with each finished run's summary line printed above the bars; otherwise one line per run epoch.
import cliProgress from 'cli-progress';
import type { TrainerEvent } from '../runtime/train/events.ts';
import type { SweepRun } from '../jobs/expand.ts';

export interface SweepDisplay {
  onEvent: (run: SweepRun, event: TrainerEvent) => void;
  /** A line about a run (it ended, it failed), above the bars on a terminal. */
  line: (text: string) => void;
  /** Removes the run's bar (it ended or failed). */
  done: (run: SweepRun) => void;
  stop: () => void;
}

export function sweepDisplay(
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): SweepDisplay {
  const write = (text: string) => out.write(`${text}\n`);
  if (err.isTTY !== true) {
    return {
      onEvent: (run, event) => {
        if (event.type === 'epoch') {
          const values = Object.entries(event.record.val?.values ?? {})
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join('  ');
          write(`  ${run.name}: epoch ${event.record.epoch}/${event.epochs}  ${values}`);
        }
        if (event.type === 'warning') write(`  ${run.name}: warning: ${event.message}`);
      },
      line: write,
      done: () => {},
      stop: () => {},
    };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: err,
      format: '{run} [{bar}] epoch {epoch}/{epochs} step {step}/{steps}  ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const active = new Map<string, { bar: cliProgress.SingleBar; epochs: number; steps: number }>();
  return {
    onEvent: (run, event) => {
      if (event.type === 'start') {
        const total = Math.max(1, (event.epochs - event.first) * event.steps);
        const bar = bars.create(total, 0, {
          run: run.name,
          epoch: event.first,
          epochs: event.epochs,
          step: 0,
          steps: event.steps,
        });
        active.set(run.id, { bar, epochs: event.epochs, steps: event.steps });
      }
      const entry = active.get(run.id);
      if (event.type === 'step' && entry) {
        entry.bar.increment(1, { epoch: event.epoch, step: event.step });
      }
      if (event.type === 'warning') bars.log(`  ${run.name}: warning: ${event.message}\n`);
    },
    line: (text) => {
      bars.log(`${text}\n`);
      bars.update(); // the line at once (the bars redraw on their own timer otherwise)
    },
    done: (run) => {
      const entry = active.get(run.id);
      if (entry) bars.remove(entry.bar);
      active.delete(run.id);
    },
    stop: () => bars.stop(),
  };
}
