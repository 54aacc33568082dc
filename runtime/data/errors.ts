// Bad data is named: the file, what is wrong with it and the option that led there. A DataError reaches the
// user as its message (no stack trace); with `on_error = skip` the loader reports it once and skips the file.
import { UserError } from '../../diagnostics/index.ts';

export class DataError extends UserError {
  constructor(
    message: string,
    /** The file or folder at fault. */
    readonly file: string,
    /** The dataset option whose value led to the file, e.g. `root = "data/voc"`. */
    readonly option?: string,
  ) {
    super(option ? `${message} (from ${option})` : message);
    this.name = 'DataError';
  }
}

/** `name = "value"`, as an option is written in a .seg file. */
export function optionText(name: string, value: unknown): string {
  return `${name} = ${JSON.stringify(value)}`;
}
