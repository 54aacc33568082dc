// Mutation fuzzing of `segc check`: mutates the stdlib, the experiments and the malformed corpus (token
// deletion, duplication, swaps, truncation, deep nesting, huge inputs, NUL and unicode) and counts, for each
// mutant, the failures a user must never see: a crash (an exception that is not a diagnostic, or a process
// exiting other than 0 or 1), a hang (past the time limit), a stack trace on stderr, a false error in an
// untouched file (a diagnostic in the stdlib when only the user's file was mutated) and a diagnostic without
// file:line:col. Not part of `npm test`; test/e2e/fuzz.test.ts runs a fixed-seed sample.
//
//     npx tsx scripts/fuzz.ts [--count 10000] [--seed 1] [--processes 100] [--keep DIR]
//
// Mutants run in this process, each parsed afresh (the parser is one reusable instance, so its state after a
// bad mutant is checked too: the stdlib is reparsed every 25 mutants and must have no errors); --processes
// of them also run as `node bin/segc.mjs check` in fresh processes. Failing mutants are written to --keep.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFiles, compileErrorText } from '../cli/check.ts';
import type { Diagnostic } from '../diagnostics/index.ts';
import { parseSource } from '../grammar/index.ts';
import { CompileError } from '../diagnostics/index.ts';
import { createRandom } from '../runtime/data/random.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const stdlib = join(root, 'stdlib');

export interface FuzzOptions {
  count: number;
  seed: number;
  /** How many of the mutants also run in a fresh `segc check` process. */
  processes: number;
  /** Where failing mutants are written (none when undefined). */
  keep?: string;
  /** Seconds a mutant may take (in a fresh process: it is killed). */
  timeout?: number;
  /** Called after each mutant (the script prints a line every 100). */
  progress?: (report: FuzzReport) => void;
}

export interface FuzzReport {
  mutants: number;
  inProcess: number;
  freshProcesses: number;
  accepted: number;
  rejected: number;
  failures: Record<FailureKind, number>;
  /** One line per failure: kind, mutation, source file and where the mutant was kept. */
  details: string[];
}

type FailureKind = 'crash' | 'hang' | 'stack trace' | 'false error in untouched file' | 'no file:line:col';

const seg = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.seg'))
    .sort()
    .map((f) => join(root, dir, f));

/** The programs mutated: the stdlib's modules, the experiments and the malformed corpus. */
export function fuzzSources(): string[] {
  return [
    ...seg('stdlib'),
    ...seg('experiments'),
    ...seg('test/fixtures/experiments'),
    ...seg('test/fixtures/malformed'),
  ];
}

const vocabulary = [
  ...'()[]{},=+-*/^:.<>'.split(''),
  '==',
  'let',
  'for',
  'in',
  'return',
  'if',
  'else',
  'param',
  'loss',
  'net',
  'block',
  'fn',
  'import',
  'experiment',
  'x',
  'C',
  'S',
  'logits',
  'y',
  'unet',
  'ce',
  'sum',
  'softmax',
  'onehot',
  'range',
  'len',
  'constructor',
  '__proto__',
  '0',
  '1',
  '-1',
  '2.5',
  '1e-3',
  '1e308',
  '"s"',
  'true',
  'widths',
  'train',
  'epochs',
];
const strange = ['\0', '\u00e9', '\u2028', '\ufeff', '\u{1f600}', '\ud800', '\r', '\t', '"', '\\', '///'];

/** Splits into tokens and the whitespace between them, so edits keep the rest of the text intact. */
export function tokens(text: string): string[] {
  return text.match(/\s+|[A-Za-z_][\w]*|\d+(\.\d+)?(e-?\d+)?|"[^"\n]*"|\/\/[^\n]*|[^]/gu) ?? [];
}

const MUTATIONS = [
  'delete',
  'duplicate',
  'swap',
  'replace',
  'insert',
  'truncate',
  'nest',
  'huge',
  'strange',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One mutant of `text`: the seed picks the mutation and its places; the same seed gives the same mutant. */
export function mutate(text: string, seed: number): { text: string; mutation: Mutation } {
  const random = createRandom(seed);
  const parts = tokens(text);
  const at = () => random.int(Math.max(1, parts.length));
  const mutation = MUTATIONS[random.int(MUTATIONS.length)];
  const edits = 1 + random.int(3);
  switch (mutation) {
    case 'truncate':
      return { text: parts.slice(0, at()).join(''), mutation };
    case 'nest': {
      // Wraps a token in deep brackets: around the nesting limit, or far past it.
      const depth = [10, 49, 50, 51, 140, 1000][random.int(6)];
      const [open, close] = [
        ['(', ')'],
        ['[', ']'],
        ['abs(', ')'],
        ['{', '}'],
        ['- ', ''],
      ][random.int(5)];
      const i = at();
      parts[i] = open.repeat(depth) + (parts[i] ?? '') + close.repeat(depth);
      return { text: parts.join(''), mutation };
    }
    case 'huge': {
      // A long line, many lines, or a token run: around the size and token limits.
      const i = at();
      const kind = random.int(4);
      if (kind === 0) parts.splice(i, 0, `// ${'x'.repeat(1_100_000)}\n`);
      else if (kind === 1) parts.splice(i, 0, '1, '.repeat(20_000 + random.int(20_000)));
      else if (kind === 2) parts.splice(i, 0, ' + x'.repeat(100 + random.int(3000)));
      else parts.splice(i, 0, (parts[i] ?? 'x').repeat(1 + random.int(5000)));
      return { text: parts.join(''), mutation };
    }
    default:
      break;
  }
  for (let e = 0; e < edits; e++) {
    const i = at();
    const word = vocabulary[random.int(vocabulary.length)];
    if (mutation === 'delete') parts.splice(i, 1);
    else if (mutation === 'duplicate') parts.splice(i, 0, parts[i] ?? word);
    else if (mutation === 'swap') {
      const j = at();
      [parts[i], parts[j]] = [parts[j], parts[i]];
    } else if (mutation === 'replace') parts[i] = word;
    else if (mutation === 'insert') parts.splice(i, 0, word);
    else parts.splice(i, 0, strange[random.int(strange.length)]);
  }
  return { text: parts.join(''), mutation };
}

/** Why a set of diagnostics is wrong, if it is: one without a place, or one in an untouched stdlib file. */
function badDiagnostics(diagnostics: Diagnostic[], mutatedStdlib: boolean): FailureKind | undefined {
  if (diagnostics.some((d) => !d.span || !d.span.file || !(d.span.line >= 1) || !(d.span.col >= 1))) {
    return 'no file:line:col';
  }
  if (!mutatedStdlib && diagnostics.some((d) => d.span!.file.startsWith(stdlib))) {
    return 'false error in untouched file';
  }
  return undefined;
}

/** The rendered text must have a `file:line:col: error` header for every diagnostic, and no stack trace. */
function badText(text: string, count: number): FailureKind | undefined {
  if (/^\s+at .+:\d+:\d+\)?$/m.test(text) || /^\w*Error: /m.test(text)) return 'stack trace';
  const headers = text.match(/^\S+:\d+:\d+: (error|warning) SEG\d{4}: /gm) ?? [];
  return headers.length < count ? 'no file:line:col' : undefined;
}

/**
 * Checks `file` the way `segc check` does (a mutated stdlib module is checked as a module of definitions).
 * A diagnostic in the stdlib is a false error unless the mutant is a stdlib module.
 */
function checkInProcess(file: string, mutatedStdlib: boolean): { failure?: FailureKind; accepted: boolean } {
  try {
    checkFiles([file]);
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof CompileError)) return { failure: 'crash', accepted: false };
    const wrong = badDiagnostics(error.diagnostics, mutatedStdlib);
    if (wrong) return { failure: wrong, accepted: false };
    const text = compileErrorText(error) ?? '';
    return { failure: badText(text, error.diagnostics.length), accepted: false };
  }
}

function checkInFreshProcess(file: string, timeout: number): FailureKind | undefined {
  const result = spawnSync(process.execPath, [join(root, 'bin/segc.mjs'), 'check', file], {
    encoding: 'utf8',
    timeout: timeout * 1000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (result.error || result.signal) return 'hang';
  if (result.status !== 0 && result.status !== 1) return 'crash';
  if (result.status === 1) return badText(result.stderr, 1);
  return /^\s+at .+:\d+:\d+\)?$/m.test(result.stderr) ? 'stack trace' : undefined;
}

/** Whether the stdlib, parsed now, has errors (the parser's state after the last mutant leaked). */
function stdlibBroken(): boolean {
  return seg('stdlib').some((f) => parseSource(readFileSync(f, 'utf8'), f).diagnostics.length > 0);
}

export function runFuzz(options: FuzzOptions): FuzzReport {
  const sources = fuzzSources();
  const texts = new Map(sources.map((f) => [f, readFileSync(f, 'utf8')]));
  const work = mkdtempSync(join(tmpdir(), 'segc-fuzz-'));
  // The corpus's helper modules, so that its relative imports resolve next to the mutants.
  cpSync(join(root, 'test/fixtures/malformed/modules'), join(work, 'modules'), { recursive: true });
  const timeout = options.timeout ?? 30;
  const report: FuzzReport = {
    mutants: 0,
    inProcess: 0,
    freshProcesses: 0,
    accepted: 0,
    rejected: 0,
    failures: {
      crash: 0,
      hang: 0,
      'stack trace': 0,
      'false error in untouched file': 0,
      'no file:line:col': 0,
    },
    details: [],
  };
  const every = options.processes > 0 ? Math.max(1, Math.floor(options.count / options.processes)) : 0;
  for (let n = 0; n < options.count; n++) {
    const source = sources[n % sources.length];
    const seed = options.seed * 1_000_003 + n;
    const { text, mutation } = mutate(texts.get(source)!, seed);
    const mutatedStdlib = source.startsWith(stdlib);
    const file = join(work, basename(source));
    writeFileSync(file, text);
    const failures: FailureKind[] = [];
    const started = Date.now();
    const inProcess = checkInProcess(file, mutatedStdlib);
    report.inProcess++;
    if (inProcess.failure) failures.push(inProcess.failure);
    if ((Date.now() - started) / 1000 > timeout) failures.push('hang');
    if (inProcess.accepted) report.accepted++;
    else report.rejected++;
    if (n % 25 === 24 && stdlibBroken()) failures.push('false error in untouched file');
    if (every > 0 && n % every === 0 && report.freshProcesses < options.processes) {
      report.freshProcesses++;
      const fresh = checkInFreshProcess(file, timeout);
      if (fresh) failures.push(fresh);
    }
    report.mutants++;
    options.progress?.(report);
    for (const kind of new Set(failures)) {
      report.failures[kind]++;
      let kept = '';
      if (options.keep) {
        mkdirSync(options.keep, { recursive: true });
        kept = join(options.keep, `${n}-${mutation}-${basename(source)}`);
        writeFileSync(kept, text);
      }
      report.details.push(`${kind}: mutant ${n} (${mutation} of ${source.slice(root.length + 1)}) ${kept}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
  return report;
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const options: FuzzOptions = {
    count: Number(option('count', '10000')),
    seed: Number(option('seed', '1')),
    processes: Number(option('processes', '100')),
    keep: option('keep', join(tmpdir(), 'segc-fuzz-failures')),
    progress: (r) => {
      if (r.mutants % 100 === 0) {
        const failed = Object.values(r.failures).reduce((a, b) => a + b, 0);
        process.stdout.write(
          `${r.mutants} mutants, ${r.freshProcesses} in fresh processes, ${failed} failures\n`,
        );
      }
    },
  };
  const started = Date.now();
  const report = runFuzz(options);
  const total = Object.values(report.failures).reduce((a, b) => a + b, 0);
  const lines = [
    `mutants: ${report.mutants} (${report.inProcess} in-process, ` +
      `${report.freshProcesses} also in fresh processes), seed ${options.seed}, ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s`,
    `checked clean: ${report.accepted}, rejected with diagnostics: ${report.rejected}`,
    ...Object.entries(report.failures).map(([kind, n]) => `  ${kind}: ${n}`),
    `failures: ${total}`,
    ...report.details.slice(0, 50),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = total > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
