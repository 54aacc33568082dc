// compileExperiment: a .seg file to checked settings, staged train/eval graphs and their Plans (no device
// needed).
import { existsSync, readFileSync } from 'node:fs';
import { CompileError } from '../diagnostics/index.ts';
import type { Diagnostic } from '../diagnostics/index.ts';
import type { PlanLimits } from '../compiler/codegen/limits.ts';
import { validatePlan } from '../compiler/codegen/limits.ts';
import { generatePlan } from '../compiler/codegen/plan.ts';
import { optimizerPlanOf } from '../compiler/codegen/updates/index.ts';
import { verifyGraph } from '../compiler/ir/verify.ts';
import type { Plan } from '../compiler/codegen/plan.ts';
import { resolveModules } from '../compiler/resolve/index.ts';
import { StageError, readExperiment, stageGraph } from '../compiler/stage/index.ts';
import type { DataShape, ExperimentSpec, StagedGraph } from '../compiler/stage/index.ts';
import type { Override, RunConfig } from './train/config.ts';
import { readRunConfig } from './train/config.ts';

export interface CompiledExperiment {
  spec: ExperimentSpec;
  config: RunConfig;
  shape: DataShape;
  train: StagedGraph;
  eval: StagedGraph;
  trainPlan: Plan;
  evalPlan: Plan;
  sources: Map<string, string>;
}

/** Diagnostics with the sources needed to render them. */
export class ExperimentError extends CompileError {
  constructor(
    diagnostics: Diagnostic[],
    readonly sources: Map<string, string>,
  ) {
    super(diagnostics);
  }
}

export interface CompileOptions {
  overrides?: Record<string, Override>;
  fuse?: boolean;
  /** Tune kernels for a hardware GPU (default) or a CPU adapter such as lavapipe. */
  target?: 'gpu' | 'cpu';
  /** Source text of `file`, instead of reading it (editors, tests). */
  text?: string;
  /** Module text by absolute path, overlaying the files on disk (imports included). */
  overlay?: Map<string, string>;
  /**
   * The limits of the device the plans are for (`planLimits(device.limits)`): dispatches are split to fit
   * them and a tensor too large for one buffer is an ExperimentError (SEG6002). Without them nothing is
   * checked (`segc plan`, `wgsl`, `check` have no device; loadPlan checks against the device it loads on).
   */
  limits?: Partial<PlanLimits>;
  /** Add the predicted class map to the evaluation plan (`segc test --save-predictions`). */
  predictions?: boolean;
}

export type StagedExperiment = Omit<CompiledExperiment, 'trainPlan' | 'evalPlan'>;

/**
 * Parses, checks and stages an experiment (train and eval graphs) without generating its plans. With `check`,
 * only the training forward pass is staged: every user error is found there, twice as fast (`segc check`).
 */
export function stageExperiment(
  file: string,
  options: CompileOptions & { check?: boolean } = {},
): StagedExperiment {
  const overlay = options.overlay;
  const resolved = resolveModules(
    file,
    options.text,
    overlay ? (p) => overlay.get(p) ?? readFileSync(p, 'utf8') : undefined,
  );
  const fail = (diagnostics: Diagnostic[]) => new ExperimentError(diagnostics, resolved.sources);
  if (resolved.diagnostics.length > 0) throw fail(resolved.diagnostics);
  const read = readExperiment(resolved.entry);
  if (!read.spec) throw fail(read.diagnostics);
  const spec = read.spec;
  const { config, diagnostics } = readRunConfig(spec, options.overrides);
  if (!config) throw fail(diagnostics);
  const shape: DataShape = {
    batch: config.train.batch,
    channels: 3,
    height: config.data.size[0],
    width: config.data.size[1],
    classes: config.data.classes,
    mean: 0.5,
    std: 0.25,
    ignore: 255,
  };
  try {
    const train = stageGraph(spec, shape, 'train', { gradients: !options.check });
    const evaluation = options.check
      ? train
      : stageGraph(spec, shape, 'eval', { predictions: options.predictions });
    verifyGraph(train.graph, 'train');
    if (evaluation !== train) verifyGraph(evaluation.graph, 'eval');
    return { spec, config, shape, train, eval: evaluation, sources: resolved.sources };
  } catch (error) {
    if (error instanceof StageError) throw fail(error.diagnostics);
    throw error;
  }
}

export function compileExperiment(file: string, options: CompileOptions = {}): CompiledExperiment {
  const staged = stageExperiment(file, options);
  const fuse = options.fuse ?? true;
  const target = options.target;
  const optimizer = optimizerPlanOf(staged.config.optimizer, staged.train.weights);
  const limits = options.limits;
  const trainPlan = generatePlan(staged.train.graph, {
    name: 'train',
    accumulate: true,
    fuse,
    optimizer,
    target,
    limits,
  });
  const evalPlan = generatePlan(staged.eval.graph, { name: 'eval', accumulate: true, fuse, target, limits });
  if (limits) assertFits([trainPlan, evalPlan], limits, staged.sources);
  return { ...staged, trainPlan, evalPlan };
}

/**
 * Throws an ExperimentError (SEG6002) for the first plan with a buffer over the limits (validatePlan; a
 * kernel over a per-kernel limit is an InternalError). `sources` renders the diagnostic's source line;
 * without them the files its span names are read from disk.
 */
export function assertFits(plans: Plan[], limits: Partial<PlanLimits>, sources?: Map<string, string>): void {
  for (const plan of plans) {
    const diagnostics = validatePlan(plan, limits);
    if (diagnostics.length > 0) throw new ExperimentError(diagnostics, sources ?? readSources(diagnostics));
  }
}

function readSources(diagnostics: Diagnostic[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const d of diagnostics) {
    if (d.span && !sources.has(d.span.file) && existsSync(d.span.file))
      sources.set(d.span.file, readFileSync(d.span.file, 'utf8'));
  }
  return sources;
}
