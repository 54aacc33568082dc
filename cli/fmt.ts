// `segc fmt` and `segc doc` over files: read, format or document, write atomically; a file with syntax errors
// is left alone and its diagnostics are thrown (a CompileError, printed like `segc check`'s).
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/index.ts';
import { CompileError, displayPath } from '../diagnostics/index.ts';
import { documentModule, formatSource } from '../grammar/index.ts';

export interface FormatOptions {
  /** List the files that would change (stdout, one a line) and exit 1 if any; write nothing. */
  check?: boolean;
  /** Print the formatted text instead of rewriting the files. */
  stdout?: boolean;
}

/**
 * Formats each file in place (only files that change are written), or prints or lists per `options`. Files
 * with syntax errors are skipped; their diagnostics are thrown together once the others are done.
 */
export function formatFiles(files: string[], options: FormatOptions): void {
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const changed: string[] = [];
  for (const file of files) {
    const path = resolve(file);
    const text = readFileSync(path, 'utf8');
    const result = formatSource(text, path);
    if (result.text === undefined) {
      diagnostics.push(...result.diagnostics);
      sources.set(path, text);
    } else if (options.check) {
      if (result.text !== text) changed.push(displayPath(path));
    } else if (options.stdout) {
      process.stdout.write(result.text);
    } else if (result.text !== text) {
      writeAtomically(path, result.text);
    }
  }
  if (changed.length > 0) {
    process.stdout.write(changed.map((file) => `${file}\n`).join(''));
    process.exitCode = 1;
  }
  if (diagnostics.length > 0) throw new CompileError(diagnostics, sources);
}

/** The Markdown documentation of one module (`title` heads it: the path as the user gave it). */
export function documentFile(file: string): string {
  const path = resolve(file);
  const text = readFileSync(path, 'utf8');
  const result = documentModule(text, path, file);
  if (result.markdown === undefined) throw new CompileError(result.diagnostics, new Map([[path, text]]));
  return result.markdown;
}

// A temporary file beside the target, then a rename: readers see the old or the new text, never part of it.
function writeAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.segc-fmt`);
  try {
    writeFileSync(temporary, text, { mode: statSync(path).mode });
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already gone
    }
    throw error;
  }
}
