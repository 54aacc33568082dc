// `segc check` without a process: the checks it runs and the text a user error prints, shared by cli/segc.ts
// and the tests (test/e2e/malformed.test.ts runs the malformed corpus through runCheck in-process).
import { displayPath, renderDiagnostic } from '../diagnostics/index.ts';
import type { Resolved } from '../compiler/resolve/index.ts';
import { resolveModules } from '../compiler/resolve/index.ts';
import { TRAIN_KEYS, checkSettings, declaredShape } from '../compiler/config/index.ts';
import { stageDeclared } from '../compiler/stage/declared.ts';
import { StageError, readExperiment, stageGraph } from '../compiler/stage/index.ts';
import { ExperimentError, stageExperiment } from '../runtime/compile.ts';
import { unavailable } from '../runtime/train/config.ts';

/** Parses, checks and stages each file in turn; throws (an ExperimentError) at the first bad one. */
export function checkFiles(files: string[]): void {
  for (const file of files) {
    // A module of definitions only (a user's losses) checks its syntax and imports; an experiment is staged.
    const resolved = resolveModules(file);
    if (resolved.diagnostics.length > 0) throw new ExperimentError(resolved.diagnostics, resolved.sources);
    if (resolved.entry.module.experiments.length > 0) checkExperiment(file, resolved);
  }
}

/**
 * Checks an experiment: its settings against the catalogue (compiler/config/index.ts), then its network and
 * loss. One this version can run is compiled as `segc run` compiles it; one it cannot run yet (a dataset
 * without a reader, sgd, ...) is staged on inputs of the shape its dataset declares: checking needs the
 * signatures, not the readers.
 */
function checkExperiment(file: string, resolved: Resolved): void {
  const fail = (diagnostics: ExperimentError['diagnostics']) =>
    new ExperimentError(diagnostics, resolved.sources);
  const read = readExperiment(resolved.entry);
  if (!read.spec) throw fail(read.diagnostics);
  const spec = read.spec;
  const errors = checkSettings(spec);
  if (errors.length > 0) throw fail(errors);
  if (unavailable(spec).length === 0) {
    // Staged as `segc run` stages it (plan generation finds no user errors; the fuzz test covers it).
    stageExperiment(file, { check: true });
    return;
  }
  const shape = declaredShape(spec.data)!;
  const batch = (spec.train.batch ?? TRAIN_KEYS.find((k) => k.name === 'batch')!.default) as number;
  try {
    if (shape.size.length === 2 && shape.channels !== undefined && shape.classes !== undefined) {
      // A 2-D dataset with its classes: the training step and the evaluation, as a run would stage them.
      const common = {
        batch,
        channels: shape.channels,
        classes: shape.classes,
        mean: 0.5,
        std: 0.25,
        ignore: 255,
      };
      const [height, width] = shape.size;
      // The training forward pass at the training size; the evaluation size must fit the network too.
      stageGraph(spec, { ...common, height, width }, 'train', { gradients: false });
      const [evalHeight, evalWidth] = shape.evalSize ?? shape.size;
      if (evalHeight !== height || evalWidth !== width) {
        stageGraph(spec, { ...common, height: evalHeight, width: evalWidth }, 'eval');
      }
    } else {
      stageDeclared(spec, shape, batch);
    }
  } catch (error) {
    if (error instanceof StageError) throw fail(error.diagnostics);
    throw error;
  }
}

/** What segc prints on stderr for a compile error or a missing file; undefined for any other error. */
export function compileErrorText(error: unknown): string | undefined {
  if (error instanceof ExperimentError) {
    return error.diagnostics
      .map((d) => `${renderDiagnostic(d, d.span ? error.sources.get(d.span.file) : undefined)}\n`)
      .join('');
  }
  if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
    const path = (error as NodeJS.ErrnoException).path ?? '';
    return `segc: error: cannot read '${displayPath(path)}': no such file.\n`;
  }
  return undefined;
}

/** `segc check FILE...` in-process: its stderr and exit code; any other error (a segc bug) is thrown. */
export function runCheck(files: string[]): { stderr: string; exitCode: number } {
  try {
    checkFiles(files);
    return { stderr: '', exitCode: 0 };
  } catch (error) {
    const text = compileErrorText(error);
    if (text === undefined) throw error;
    return { stderr: text, exitCode: 1 };
  }
}
