// The compiler's driver: the one place that runs the phases, in order, each through its entry point:
//
//   resolve (parse and link modules) → stage: read the experiment's settings → config: check them against the
//   schema and derive the run configuration → stage: the network and loss into IR → autodiff: the backward
//   pass → passes: fusion, the ReLU masks' choice → codegen: the Plan → passes: memory planning → limits:
//   the device's
//
// No phase calls another; every command (check, graph, wgsl, plan, grad, run, test) calls this module. The IR
// verifier runs after staging and autodiff always, and after every pass in tests and under SEGC_VERIFY=1.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../diagnostics/index.ts';
import { createDiagnostic } from '../diagnostics/index.ts';
import { AugmentError, augmentPipeline, declaredSource } from './codegen/index.ts';
import { volumePipeline } from './codegen/index.ts';
import { CompileError } from '../diagnostics/index.ts';
import type { Definition } from '../grammar/index.ts';
import { appendGradients } from './autodiff/index.ts';
import type { PlanLimits } from './codegen/index.ts';
import { planLimits, validatePlan } from './codegen/index.ts';
import type { Plan, PlanOptions } from './codegen/index.ts';
import { OWN_BINDINGS, STORAGE_BUFFERS_WITHOUT_DEVICE, emitPlan } from './codegen/index.ts';
import { optimizerPlanOf } from './codegen/index.ts';
import type { Override, RunConfig } from './config/index.ts';
import { TRAIN_KEYS, checkSettings, declaredShape, readRunConfig, unavailable } from './config/index.ts';
import { verifyGraph } from './ir/verify.ts';
import { verifyPlan } from './ir/verify-plan.ts';
import { chooseReluMasks, fuseElementwise, planMemory, verifyFusion } from './passes/index.ts';
import type { ModuleScope, Resolved } from './resolve/index.ts';
import { resolveModules } from './resolve/index.ts';
import type {
  DataShape,
  ExperimentSpec,
  LossInput,
  StagedForward,
  StagedGraph,
  StagedLoss,
  WeightSpec,
} from './stage/index.ts';
import { StageError, readExperiment, stageDeclared, stageGraph, stageLoss } from './stage/index.ts';
import { checkDefinitions } from './stage/index.ts';
import type { MetricRequest } from './stage/index.ts';

export type { PlanLimits } from './codegen/index.ts';
export { WEBGPU_DEFAULT_LIMITS, planLimits } from './codegen/index.ts';
export type { BufferRole, Plan, PlanBuffer, PlanKernel, PlanOptions, PlanOutput } from './codegen/index.ts';
export { describeNode } from './codegen/index.ts';
export type { AugmentPipeline, AugmentStage, Resample, StageDraw } from './codegen/index.ts';
export {
  AugmentError,
  PARAMS_PER_SAMPLE,
  augmentKernel,
  augmentPipeline,
  declaredSource,
  evalSizeOf,
  gaussianWeights,
  stageKernels,
} from './codegen/index.ts';
export type { VolumeStage } from './codegen/index.ts';
export {
  MAP_KERNEL,
  SCALE_KERNEL,
  STATS_KERNEL,
  VOLUME_PARAMS,
  VOLUME_TRANSFORMS,
  VOLUME_WORKGROUP,
  ZSCORE_KERNEL,
  volumePipeline,
} from './codegen/index.ts';
export type { MemoryReport } from './passes/index.ts';
export { memoryReport } from './passes/index.ts';
export { printGraph, printNode } from './ir/printer.ts';
export { liveNodes } from './ir/types.ts';
export { isBetter, metricDirection, optionProblems } from './config/index.ts';
export type { LossInput } from './stage/index.ts';
export { inputDims } from './stage/index.ts';
// What the runtime, the CLI, jobs/ and report/ use of the phases.
export type { OptimizerConfig, Override, RunConfig, ScheduleSpec, WeightInfo } from './config/index.ts';
export {
  assignGroups,
  callOptions,
  findEntry,
  parseOverride,
  readRunConfig,
  stepParams,
  unavailable,
} from './config/index.ts';
export type { ModuleScope } from './resolve/index.ts';
export { resolveModules } from './resolve/index.ts';
export type { Setting, SweepSpec, WeightSource, WeightSpec } from './stage/index.ts';
export { readExperiment } from './stage/index.ts';
export type { OptimizerPlan } from './codegen/index.ts';
export {
  APPLY_UNIFORM,
  GRADIENT,
  UPDATE,
  UPDATES,
  decayUniform,
  lrUniform,
  optimizerPlanOf,
  updateUniforms,
} from './codegen/index.ts';

/** Whether every pass's output is verified: in tests (vitest) and with SEGC_VERIFY=1. */
export const VERIFY_PASSES = process.env.SEGC_VERIFY === '1' || process.env.VITEST !== undefined;

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

export type StagedExperiment = Omit<CompiledExperiment, 'trainPlan' | 'evalPlan'>;

export interface CompileOptions {
  overrides?: Record<string, Override>;
  fuse?: boolean;
  /** Let activations share arenas (planMemory; default true). False gives every buffer its own. */
  reuse?: boolean;
  /** Let ReLU backwards read their outputs where that stores less (PlanOptions.reluMasks; default true). */
  reluMasks?: boolean;
  /** Tune kernels for a hardware GPU (default) or a CPU adapter such as lavapipe. */
  target?: 'gpu' | 'cpu';
  /** Source text of `file`, instead of reading it (editors, tests). */
  text?: string;
  /** Module text by absolute path, overlaying the files on disk (imports included). */
  overlay?: Map<string, string>;
  /**
   * The limits of the device the plans are for (`planLimits(device.limits)`): dispatches are split to fit
   * them and a tensor too large for one buffer is a CompileError (SEG6002). Without them nothing is checked
   * (`segc plan`, `wgsl`, `check` have no device; loadPlan refuses a plan its device cannot hold).
   */
  limits?: Partial<PlanLimits>;
  /** Add the predicted class map to the evaluation plan (`segc test --save-predictions`). */
  predictions?: boolean;
  /** Add the logits to the evaluation plan (`segc predict`). */
  logits?: boolean;
  /** The loss variant of the experiment's sweep section to train instead of its `loss` (segc sweep). */
  variant?: string;
}

// ---- resolve ----------------------------------------------------------------------------------------------

/** Parses `file` and the modules it imports; a syntax or import error is a CompileError. */
export function resolve(file: string, options: Pick<CompileOptions, 'text' | 'overlay'> = {}): Resolved {
  const overlay = options.overlay;
  const resolved = resolveModules(
    file,
    options.text,
    overlay ? (p) => overlay.get(p) ?? readFileSync(p, 'utf8') : undefined,
  );
  if (resolved.diagnostics.length > 0) throw new CompileError(resolved.diagnostics, resolved.sources);
  return resolved;
}

/** Runs a staging step, turning its StageError into a CompileError with the sources to render it. */
function staging<T>(sources: Map<string, string>, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof StageError) throw new CompileError(error.diagnostics, sources);
    throw error;
  }
}

/** The training step's graph: the forward pass, its gradients (autodiff), then the new values of state. */
function withGradients(forward: StagedForward): StagedGraph {
  const b = forward.builder;
  appendGradients(b, forward.loss, forward.trainable);
  for (const update of forward.stateUpdates) b.output(update.name, update.node, 'state');
  return closed(forward);
}

function closed(forward: StagedForward): StagedGraph {
  const { weights, terms, metrics, binary, multilabel } = forward;
  return { graph: forward.builder.graph(), weights, terms, metrics, binary, multilabel };
}

/** The image and label shape of a run: the configuration's dataset, batch and normalisation. */
function dataShape(config: RunConfig): DataShape {
  // Volumes: [D, H, W] patches of the loader's z-scored bytes, v = (x / 255 - 0.5) / 0.125 (docs/data.md).
  const size = config.data.size as number[];
  if (size.length === 3) {
    const [depth, height, width] = size;
    const channels = Number(config.data.options.channels ?? 1);
    return {
      batch: config.train.batch,
      channels,
      depth,
      height,
      width,
      classes: config.data.classes,
      mean: 0.5,
      std: 0.125,
      ignore: 255,
    };
  }
  return {
    batch: config.train.batch,
    channels: 3,
    height: config.data.size[0],
    width: config.data.size[1],
    classes: config.data.classes,
    ...(config.data.multilabel ? { multilabel: true } : {}),
    mean: config.data.normalize?.mean ?? 0.5,
    std: config.data.normalize?.std ?? 0.25,
    ignore: 255,
  };
}

// ---- experiments ------------------------------------------------------------------------------------------

/**
 * Parses, checks and stages an experiment (train and eval graphs) without generating its plans. With `check`,
 * only the training forward pass is staged: every user error is found there, twice as fast (`segc check`).
 */
export function stageExperiment(
  file: string,
  options: CompileOptions & { check?: boolean } = {},
): StagedExperiment {
  const resolved = resolve(file, options);
  const sources = resolved.sources;
  const read = readExperiment(resolved.entry, undefined, { variant: options.variant });
  if (!read.spec) throw new CompileError(read.diagnostics, sources);
  const spec = read.spec;
  const { config, diagnostics } = readRunConfig(spec, options.overrides);
  if (!config) throw new CompileError(diagnostics, sources);
  const augmentation = augmentProblem(spec, config);
  if (augmentation) throw new CompileError([augmentation], sources);
  const shape = dataShape(config);
  return staging(sources, () => {
    const forward = stageGraph(spec, shape, 'train');
    const train = options.check ? closed(forward) : withGradients(forward);
    verifyGraph(train.graph, 'train');
    if (options.check) return { spec, config, shape, train, eval: train, sources };
    const evaluation = closed(
      stageGraph(spec, shape, 'eval', {
        predictions: options.predictions,
        logits: options.logits || shape.depth !== undefined,
        metrics: metricRequests(config),
      }),
    );
    verifyGraph(evaluation.graph, 'eval');
    return { spec, config, shape, train, eval: evaluation, sources };
  });
}

/**
 * A `train augment` list that cannot run from the size batches are assembled at (a crop larger than the
 * image, ...); one that ends at another size than the training size is resized to it.
 */
function augmentProblem(spec: ExperimentSpec, config: RunConfig): Diagnostic | undefined {
  const transforms = spec.blocks?.data?.['train augment'];
  if (!Array.isArray(transforms) || transforms.length === 0) return undefined;
  if ((config.data.size as number[]).length === 3) {
    try {
      volumePipeline(transforms, config.data.size);
    } catch (error) {
      if (!(error instanceof AugmentError)) throw error;
      return createDiagnostic('SEG5036', spec.spans['data.train augment'], error.message);
    }
    return undefined;
  }
  try {
    augmentPipeline(transforms, declaredSource(config.data), config.data.size, { fit: true });
  } catch (error) {
    if (!(error instanceof AugmentError)) throw error;
    return createDiagnostic('SEG5036', spec.spans['data.train augment'], error.message);
  }
  return undefined;
}

/** The metrics the evaluation plan accumulates sums for: those of `eval` and of `test` (segc test). */
function metricRequests(config: RunConfig): MetricRequest[] {
  const names = [...new Set([...config.eval.metrics, ...config.test.metrics])];
  return names.map((name) => ({ name, options: config.eval.options[name] ?? config.test.options[name] }));
}

/** The plan options every plan of an experiment is generated with (fusion, memory plan, target, limits). */
function planOptions(options: CompileOptions) {
  return {
    fuse: options.fuse ?? true,
    reuse: options.reuse ?? true,
    reluMasks: options.reluMasks ?? true,
    target: options.target,
    limits: options.limits,
  };
}

/** Stages an experiment and generates its training and evaluation plans (for a device, with its limits). */
export function compileExperiment(file: string, options: CompileOptions = {}): CompiledExperiment {
  const staged = stageExperiment(file, options);
  const common = planOptions(options);
  const trainPlan = generatePlan(staged.train.graph, {
    name: 'train',
    accumulate: true,
    ...common,
    ...trainingUpdates(staged.config, staged.train.weights),
  });
  const evalPlan = generatePlan(staged.eval.graph, { name: 'eval', accumulate: true, ...common });
  if (options.limits) assertFits([trainPlan, evalPlan], options.limits, staged.sources);
  return { ...staged, trainPlan, evalPlan };
}

/**
 * The experiment's evaluation at another image size (a dataset evaluated at its native size while it trains
 * on crops): the eval graph staged and planned for `size`, the rest as `compiled`. Its weights and states are
 * named as the training plan's, so loading it into the same BufferStore shares their buffers (no copies).
 */
export function compileEvalAt(
  compiled: CompiledExperiment,
  size: [number, number],
  options: CompileOptions = {},
): CompiledExperiment {
  const shape = { ...compiled.shape, height: size[0], width: size[1] };
  const evaluation = staging(compiled.sources, () =>
    closed(
      stageGraph(compiled.spec, shape, 'eval', {
        predictions: options.predictions,
        logits: options.logits,
        metrics: metricRequests(compiled.config),
      }),
    ),
  );
  verifyGraph(evaluation.graph, 'eval');
  const common = planOptions(options);
  const evalPlan = generatePlan(evaluation.graph, { name: 'eval', accumulate: true, ...common });
  if (options.limits) assertFits([evalPlan], options.limits, compiled.sources);
  return { ...compiled, shape, eval: evaluation, evalPlan };
}

/**
 * What a training plan appends after the backward pass: the optimizer's update of every weight (codegen's
 * table of update kernels, compiler/codegen/updates/), from the run configuration.
 */
function trainingUpdates(config: RunConfig, weights: WeightSpec[]): Pick<PlanOptions, 'optimizer'> {
  return { optimizer: optimizerPlanOf(config.optimizer, weights) };
}

/**
 * `segc check` of one file: its syntax and imports; an experiment's settings against the schema, then its
 * network and loss. One this version can run is staged as `segc run` stages it; one it cannot run yet (a
 * dataset without a reader, ...) is staged on inputs of the shape its dataset declares. Throws a
 * CompileError.
 */
export function checkFile(file: string, overrides: Record<string, Override> = {}): CheckWarnings {
  const resolved = resolve(file);
  const warnings =
    resolved.entry.module.experiments.length > 0 ? checkExperimentOf(file, resolved, overrides) : [];
  // Then every definition of the file, used by the experiment or not (stage/check-definitions.ts).
  const definitions = checkDefinitions(resolved.entry);
  if (definitions.length > 0) throw new CompileError(definitions, resolved.sources);
  return { warnings, sources: resolved.sources };
}

/** What a clean check still says: what `segc run` would refuse as not available yet, as warnings. */
export interface CheckWarnings {
  warnings: Diagnostic[];
  sources: Map<string, string>;
}

/**
 * With `--set` overrides, checked and applied as `segc run` applies them (readRunConfig). What is declared
 * but not available yet passes (the catalogue declares it) and comes back as warnings.
 */
function checkExperimentOf(
  file: string,
  resolved: Resolved,
  overrides: Record<string, Override>,
): Diagnostic[] {
  const sources = resolved.sources;
  const read = readExperiment(resolved.entry);
  if (!read.spec) throw new CompileError(read.diagnostics, sources);
  const spec = read.spec;
  const errors = checkSettings(spec);
  if (errors.length > 0) throw new CompileError(errors, sources);
  if (Object.keys(overrides).length > 0) {
    // What this version cannot run yet is no --set mistake: the declared staging below checks the rest.
    const cannot = new Set(unavailable(spec).map((d) => d.message));
    const wrong = readRunConfig(spec, overrides).diagnostics.filter((d) => !cannot.has(d.message));
    if (wrong.length > 0) throw new CompileError(wrong, sources);
  }
  const missing = unavailable(spec);
  if (missing.length === 0) {
    // Staged as `segc run` stages it (autodiff and plan generation find no user errors; the fuzz test covers
    // it).
    stageExperiment(file, { check: true, overrides });
    return [];
  }
  checkDeclared(spec, sources);
  return missing.map((d) => ({
    ...d,
    category: 'warning',
    hint: d.hint ?? 'segc run refuses this until it is available.',
  }));
}

/** Stages an experiment this version cannot run yet on the shapes its dataset declares. */
function checkDeclared(spec: ExperimentSpec, sources: Map<string, string>): void {
  const shape = declaredShape(spec.data)!;
  const batch = (spec.train.batch ?? TRAIN_KEYS.find((k) => k.name === 'batch')!.default) as number;
  staging(sources, () => {
    if (shape.size.length === 2 && shape.channels !== undefined && shape.classes !== undefined) {
      // A 2-D dataset with its classes: the training step and the evaluation, as a run would stage them.
      const common = {
        batch,
        channels: shape.channels,
        classes: shape.classes,
        ...(shape.multilabel ? { multilabel: true } : {}),
        mean: 0.5,
        std: 0.25,
        ignore: 255,
      };
      const [height, width] = shape.size;
      // The training forward pass at the training size; the evaluation size must fit the network too.
      stageGraph(spec, { ...common, height, width }, 'train');
      const [evalHeight, evalWidth] = shape.evalSize ?? shape.size;
      if (evalHeight !== height || evalWidth !== width) {
        stageGraph(spec, { ...common, height: evalHeight, width: evalWidth }, 'eval');
      }
    } else {
      const forward = stageDeclared(spec, shape, batch);
      if (forward) appendGradients(forward.builder, forward.loss, forward.trainable);
    }
  });
}

// ---- one loss (segc grad) ---------------------------------------------------------------------------------

/** A loss definition staged on named inputs with its gradients (`segc grad`), verified. */
export function compileLoss(
  def: Definition,
  scope: ModuleScope,
  inputs: Map<string, LossInput>,
  numbers: Map<string, number>,
  sources: Map<string, string>,
): StagedLoss {
  return staging(sources, () => {
    const forward = stageLoss(def, scope, inputs, numbers);
    appendGradients(forward.builder, forward.loss, forward.targets);
    const { terms, differentiable, constants } = forward;
    const staged = { graph: forward.builder.graph(), terms, differentiable, constants };
    verifyGraph(staged.graph, 'grad');
    return staged;
  });
}

// ---- passes, codegen, limits ------------------------------------------------------------------------------

/**
 * A graph's Plan: the fusion pass, the ReLU masks' choice (then fusion again, when it moved one), codegen,
 * then the memory planning pass (unless `reuse` is false), each pass verified in tests and under
 * SEGC_VERIFY=1. Limits are not checked here (see assertFits).
 */
export function generatePlan(staged: StagedGraph['graph'], options: PlanOptions): Plan {
  const storage = options.limits?.maxStorageBuffersPerShaderStage ?? STORAGE_BUFFERS_WITHOUT_DEVICE;
  const fuse = options.fuse ?? true;
  let graph = staged;
  let fusion = fuseElementwise(graph, fuse, storage - OWN_BINDINGS);
  if (fuse && (options.reluMasks ?? true)) {
    const chosen = chooseReluMasks(graph, fusion);
    if (chosen.moved.length > 0) {
      if (VERIFY_PASSES) verifyGraph(chosen.graph, 'choose-relu-masks');
      graph = chosen.graph;
      fusion = fuseElementwise(graph, fuse, storage - OWN_BINDINGS);
    }
  }
  if (VERIFY_PASSES) verifyFusion(graph, fusion);
  const plan = emitPlan(graph, fusion, options);
  if (options.reuse ?? true) planMemory(plan, { maxBufferSize: options.limits?.maxBufferSize });
  if (VERIFY_PASSES) verifyPlan(plan);
  return plan;
}

/**
 * Throws a CompileError (SEG6002) for the first plan with a buffer over the limits (validatePlan; a kernel
 * over a per-kernel limit is an InternalError). `sources` renders the diagnostic's source line; without them
 * the files its span names are read from disk.
 */
export function assertFits(plans: Plan[], limits: Partial<PlanLimits>, sources?: Map<string, string>): void {
  for (const plan of plans) {
    const diagnostics = validatePlan(plan, limits);
    if (diagnostics.length > 0) throw new CompileError(diagnostics, sources ?? readSources(diagnostics));
  }
}

/** assertFits against a device's limits (`device.limits`, a GPUSupportedLimits or a plain object). */
export function assertFitsDevice(
  plans: Plan[],
  deviceLimits: Partial<Record<keyof PlanLimits, number>>,
  sources?: Map<string, string>,
): void {
  assertFits(plans, planLimits(deviceLimits), sources);
}

function readSources(diagnostics: Diagnostic[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const d of diagnostics) {
    if (d.span && !sources.has(d.span.file)) {
      try {
        sources.set(d.span.file, readFileSync(d.span.file, 'utf8'));
      } catch {
        // Rendered without its source line.
      }
    }
  }
  return sources;
}
