// Renders a Trainer's events for `segc run`: a live progress bar on stderr when stderr is a terminal (step,
// running loss terms, images/s, ETA), the per-epoch lines on stdout otherwise; warnings always on stderr.
import cliProgress from 'cli-progress';
import { eventLines } from '../runtime/train/events.ts';
import type { TrainerEvent, TrainerListener } from '../runtime/train/events.ts';

export interface Streams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A listener that renders events; `live` tells whether it shows a progress bar (and wants live terms). */
export function progressRenderer(streams: Streams = { out: process.stdout, err: process.stderr }): {
  listener: TrainerListener;
  live: boolean;
} {
  const live = streams.err.isTTY === true;
  return { listener: live ? liveListener(streams) : linesListener(streams), live };
}

function linesListener({ out, err }: Streams): TrainerListener {
  return (event) => {
    const stream = event.type === 'warning' ? err : out;
    for (const line of eventLines(event)) stream.write(`${line}\n`);
  };
}

function liveListener({ out, err }: Streams): TrainerListener {
  let bar: cliProgress.SingleBar | undefined;
  let epochs = 0;
  let epochStart = 0;
  let images = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return (event: TrainerEvent) => {
    if (event.type === 'start') epochs = event.epochs;
    if (event.type === 'step') {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream: err,
            format:
              'epoch {epoch}/{epochs} [{bar}] {value}/{total} steps  {terms}  {rate} img/s  ' +
              'ETA {eta_formatted}',
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(event.steps, 0, { epoch: event.epoch, epochs, terms: '', rate: '-' });
        epochStart = performance.now();
        images = 0;
      }
      images += event.images;
      const seconds = (performance.now() - epochStart) / 1000;
      const terms = event.terms
        ? Object.entries(event.terms)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join('  ')
        : undefined;
      bar.update(event.step, {
        rate: seconds > 0 ? (images / seconds).toFixed(1) : '-',
        ...(terms !== undefined ? { terms } : {}),
      });
      // New running terms are drawn at once (they come every few steps); other steps at the bar's frame rate.
      if (terms !== undefined) bar.render();
      return;
    }
    // Anything else is a line: the bar is cleared first, and started afresh at the next epoch's first step.
    if (event.type === 'epoch' || event.type === 'warning' || event.type === 'end') stop();
    const stream = event.type === 'warning' ? err : out;
    for (const line of eventLines(event)) stream.write(`${line}\n`);
  };
}
