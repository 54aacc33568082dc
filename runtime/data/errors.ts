// Bad data is named: the file, what is wrong with it and the option that led there. A DataError reaches the
// user as its message (no stack trace); with `on_error = skip` the loader reports it once and skips the file.
import { UserError, formatMessage, userError } from '../../diagnostics/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';

export class DataError extends UserError {
  constructor(
    message: string,
    /** The file or folder at fault. */
    readonly file: string,
    /** The dataset option whose value led to the file, e.g. `root = "data/voc"`. */
    readonly option?: string,
    /** The diagnostic code of a message made from its template (`dataError`). */
    code?: MessageCode,
  ) {
    super(option ? `${message} (from ${option})` : message, { code });
    this.name = 'DataError';
  }
}

/** A DataError whose message is the template of `code` filled with `args` (diagnostics/messages.ts). */
export function dataError(
  code: MessageCode,
  args: Array<string | number>,
  file: string,
  option?: string,
): DataError {
  return new DataError(formatMessage(code, ...args), file, option, code);
}

/** `name = "value"`, as an option is written in a .seg file. */
export function optionText(name: string, value: unknown): string {
  return `${name} = ${JSON.stringify(value)}`;
}

/** A data block's transform list, by its name in the .seg file. */
export type AugmentList = 'train augment' | 'eval augment';

/** A transform list that cannot run at the sizes it is given (a crop larger than the image). */
export function augmentError(what: AugmentList, error: Error): UserError {
  return userError('SEG6111', [what === 'train augment' ? 'train' : 'eval', error.message]);
}
