// A writable stream that keeps what is written, posing as a terminal or not (for the CLI's displays).
import { Writable } from 'node:stream';

export type Sink = Writable & { text: string; isTTY: boolean; columns: number };

export function sink(isTTY: boolean): Sink {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Sink;
  stream.text = '';
  stream.isTTY = isTTY;
  stream.columns = 200;
  return stream;
}
