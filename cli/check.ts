// `segc check` without a process: the checks it runs and the text a user error prints, shared by cli/segc.ts
// and the tests (test/e2e/malformed.test.ts runs the malformed corpus through runCheck in-process).
import {
  CompileError,
  InternalError,
  UserError,
  displayPath,
  renderDiagnostic,
} from '../diagnostics/index.ts';
import { checkFile } from '../compiler/index.ts';
import type { Override } from '../compiler/index.ts';

/**
 * Parses, checks and stages each file in turn (compiler/index.ts, checkFile), with `--set` overrides applied
 * as `segc run` applies them; throws at the first bad one. Returns the warnings of the good ones, rendered:
 * what is declared but not available yet, which `segc run` refuses.
 */
export function checkFiles(files: string[], overrides: Record<string, Override> = {}): string {
  return files
    .map((file) => {
      const { warnings, sources } = checkFile(file, overrides);
      return warnings
        .map((d) => `${renderDiagnostic(d, d.span ? sources.get(d.span.file) : undefined)}\n`)
        .join('');
    })
    .join('');
}

/**
 * What segc prints on stderr for a compile error, a missing file or a failed write (a full or read-only
 * disk); undefined for any other error.
 */
export function compileErrorText(error: unknown): string | undefined {
  if (error instanceof CompileError) {
    return error.diagnostics
      .map((d) => `${renderDiagnostic(d, d.span ? error.sources.get(d.span.file) : undefined)}\n`)
      .join('');
  }
  if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
    const path = (error as NodeJS.ErrnoException).path ?? '';
    return `segc: error: cannot read '${displayPath(path)}': no such file.\n`;
  }
  // A full or read-only disk, a permission or a path through a file: the machine's answer, not a segc bug.
  if (error instanceof Error && DISK_ERRORS.has(String((error as NodeJS.ErrnoException).code))) {
    return `segc: error: ${error.message}\n`;
  }
  return undefined;
}

const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOTDIR', 'EISDIR']);

/**
 * A UserError as segc prints it: `segc: error SEGnnnn: MESSAGE` (`segc: error: MESSAGE` for one without a
 * code) and its hint; undefined for any other error.
 */
export function userErrorText(error: unknown): string | undefined {
  if (!(error instanceof UserError)) return undefined;
  const head = error.code ? `segc: error ${error.code}:` : 'segc: error:';
  return `${head} ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`;
}

/** Any other error is segc's own bug: said so, with the stack to report. */
export function internalErrorText(error: unknown): string {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const said =
    error instanceof InternalError
      ? stack.replace(/^InternalError: /, '')
      : `internal error (this is a segc bug): ${stack}`;
  return `segc: ${said}\n`;
}

/** `segc check FILE...` in-process: its stderr and exit code; any other error (a segc bug) is thrown. */
export function runCheck(
  files: string[],
  overrides: Record<string, Override> = {},
): { stderr: string; exitCode: number } {
  try {
    return { stderr: checkFiles(files, overrides), exitCode: 0 };
  } catch (error) {
    const text = compileErrorText(error);
    if (text === undefined) throw error;
    return { stderr: text, exitCode: 1 };
  }
}
