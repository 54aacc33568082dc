// The Trainer: compiles an experiment for a device, trains and evaluates it, saves its models and training
// state in a run folder, and tells its listeners what happens (events.ts). It writes nothing to a terminal:
// the CLI, a sweep or a test renders the events.
import { join } from 'node:path';
import type { CompiledExperiment } from '../../compiler/index.ts';
import { compileExperiment, stageExperiment } from '../../compiler/index.ts';
import { planLimits } from '../../compiler/index.ts';
import { writeSafetensorsFile } from '../checkpoint/safetensors.ts';
import type { TensorEntry } from '../checkpoint/safetensors.ts';
import { existsSync } from 'node:fs';
import {
  BEST_MODEL_FILE,
  MODEL_FILE,
  RunFolder,
  SUMMARY_FILE,
  outputDirectory,
  prepareResume,
  removeIfEmpty,
} from '../checkpoint/run-folder.ts';
import type { DevicePreference, OpenedDevice } from '../device.ts';
import { openDevice } from '../device.ts';
import {
  BufferStore,
  bufferBytes,
  executePlan,
  loadPlan,
  pipelineKey,
  readBuffer,
  readPlanBuffer,
  readPlanInput,
  submitEncoded,
  writeBuffer,
} from '../executor.ts';
import { planInputs, trainAugmenter } from '../data/augment.ts';
import type { Augmenter } from '../data/augment.ts';
import type { LoadedPlan } from '../executor.ts';
import { RunError } from '../errors.ts';
import { stepParams } from '../../compiler/index.ts';
import { isBetter } from '../../compiler/index.ts';
import type { Override } from '../../compiler/index.ts';
import { TrainingOptimizer } from '../optim/index.ts';
import { evaluate, readTerms, zero } from './evaluate.ts';
import { evalTarget, trainInputSize } from './eval-plan.ts';
import { testCheckpoint } from './test-run.ts';
import { VolumeTraining } from './volume-run.ts';
import { STATE_FILE, loadTrainingState, saveTrainingState, savedOverrides } from './state.ts';
import { shuffledOrder } from './batches.ts';
import { DataError } from '../data/errors.ts';
import type { Batch } from '../data/loader.ts';
import { epochBatches, openRunData } from '../data/run-data.ts';
import type { DataSplit, RunData } from '../data/run-data.ts';
import { initialValues } from './init.ts';
import { modelEntry } from '../weights/convert.ts';
import { loadPretrained } from '../weights/import.ts';
import type { NonFinite } from './diagnose.ts';
import { findNonFinite } from './diagnose.ts';
import { divergenceWarning } from './divergence.ts';
import type { EpochRecord, RunSummary, TrainerEvent, TrainerListener } from './events.ts';
import { formatType } from '../../compiler/ir/types.ts';
import { GRADIENT, UPDATE } from '../../compiler/index.ts';
import { UserError, displayPath, userError } from '../../diagnostics/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';

export interface TrainerOptions {
  overrides?: Record<string, Override>;
  /** The loss variant of the experiment's sweep section to train (`loss NAME = ...`). */
  variant?: string;
  /** Which adapter to open, or an opened device to share (a sweep running several trainers on one GPU). */
  device?: DevicePreference | OpenedDevice;
  out?: string;
  /** A run directory to continue: its training state (weights, Adam moments, epoch, params) is loaded. */
  resume?: string;
  /** A saved model (model.safetensors, keys as `segc params` lists them) to start from: fine-tuning. */
  initFrom?: string;
  /** Stop after this many epochs in total, as an interruption would (the state is saved each epoch). */
  stopAfter?: number;
  /** Read the running loss terms for 'step' events (a small read-back every few steps: a live display). */
  liveTerms?: boolean;
  /** Told the run's directory as soon as it is chosen (for the CLI's message on Ctrl-C). */
  onDirectory?: (dir: string) => void;
}

/** Steps between waits for the queue (and live term read-backs): bounds the work in flight. */
const SYNC_EVERY = 8;

export class Trainer {
  private readonly listeners: TrainerListener[] = [];
  private data?: RunData;
  private volume?: VolumeTraining;

  constructor(
    readonly file: string,
    readonly options: TrainerOptions = {},
  ) {}

  on(listener: TrainerListener): this {
    this.listeners.push(listener);
    return this;
  }

  private emit(event: TrainerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Compiles the experiment for the device, trains it to its last epoch and returns the run's summary. */
  async run(): Promise<RunSummary> {
    const options = this.options;
    const started = performance.now();
    // .seg errors and a taken output directory are reported before the GPU is touched (checking stages the
    // forward pass only); the plans are then generated once, tuned for the adapter and checked against its
    // limits. A resumed run keeps the --set overrides it was started with; ones given now are added on top.
    const saved = options.resume ? await savedOverrides(join(options.resume, STATE_FILE)) : {};
    const overrides = { ...saved, ...options.overrides };
    const checked = stageExperiment(this.file, { overrides, check: true, variant: options.variant });
    // The dataset is listed and scanned (every sample decoded once) before the run folder is touched and
    // the device opens: bad data costs nothing but the scan.
    const data = await openRunData(checked.config.data, checked.config.train.batch).catch((error) => {
      throw error instanceof DataError ? new RunError(error.message, { code: codeOf(error) }) : error;
    });
    this.data = data;
    // Testing after training needs its split: a missing one is said now, not after the last epoch.
    const test = checked.config.test;
    if (test.afterTraining && !data[test.split as 'train' | 'val' | 'test']) {
      await data.close();
      throw userError('SEG6100', [test.split, checked.config.data.name]);
    }
    // The folder is checked to be writable before the device opens; a resumed one is first cleaned of what
    // a kill can leave (temporary files; without a checkpoint, the first epoch's files: it starts over).
    const folder = options.resume
      ? { dir: options.resume, created: false, ...prepareResume(options.resume, STATE_FILE) }
      : { ...outputDirectory(options.out, checked.spec.name), fresh: true };
    const out = folder.dir;
    options.onDirectory?.(out);
    const shared = typeof options.device === 'object' ? options.device : undefined;
    try {
      const opened = shared ?? (await openDevice((options.device as DevicePreference) ?? 'auto'));
      try {
        return await this.train(opened, out, overrides, saved, started, folder.fresh);
      } finally {
        if (!shared) opened.device.destroy();
        await data.close();
      }
    } catch (error) {
      // A run that failed before writing anything (no device, a first epoch that diverged) leaves no folder.
      if (folder.created) removeIfEmpty(out);
      throw error;
    }
  }

  private async train(
    opened: OpenedDevice,
    out: string,
    overrides: Record<string, Override>,
    saved: Record<string, Override>,
    started: number,
    fresh: boolean,
  ): Promise<RunSummary> {
    const options = this.options;
    const { device } = opened;
    const target = opened.software ? 'cpu' : 'gpu';
    const limits = planLimits(device.limits);
    const planStart = performance.now();
    const compiled = compileExperiment(this.file, { overrides, target, limits, variant: options.variant });
    const planSeconds = (performance.now() - planStart) / 1000;
    const { config, spec } = compiled;
    const folder = new RunFolder(out);
    const data = this.data!;
    const trainSet = { count: data.train.indices.length };
    const batch = config.train.batch;
    const steps = Math.floor(trainSet.count / batch);
    const startEvent = {
      type: 'start' as const,
      experiment: spec.name,
      device: opened.description,
      software: opened.software,
      out,
      epochs: config.train.epochs,
      steps,
      first: 0,
    };
    if (steps === 0) {
      this.emit(startEvent);
      throw userError('SEG6101', [trainSet.count, batch]);
    }

    const store = new BufferStore(device);
    const constants = lossConstants(compiled);
    // The device compiles each distinct kernel once (runtime/executor.ts: pipelines by pipelineKey).
    const kernels = new Set(
      [...compiled.trainPlan.kernels, ...compiled.evalPlan.kernels].map((k) => pipelineKey(k.wgsl)),
    ).size;
    const pipelineStart = performance.now();
    // Training and evaluation never run at once, and their arenas hold nothing from one step or batch to the
    // next: evaluation uses the training plan's arenas (the training plan, largest, is loaded first).
    const [train, evaluation] = await Promise.all([
      loadPlan(store, compiled.trainPlan, { shareArenas: true }),
      loadPlan(store, compiled.evalPlan, { shareArenas: true }),
    ]);
    // Volumes: patch batches and 3-D stages of their own (volume-run.ts), evaluation by sliding window.
    const volume =
      compiled.shape.depth !== undefined ? await VolumeTraining.create(device, compiled) : undefined;
    this.volume = volume;
    // `train augment`: WGSL stages from the uploaded batch to the plan's inputs (runtime/data/augment.ts).
    // Batches are assembled at the images' own size when they share one (trainInputSize).
    const input = trainInputSize(compiled, data);
    const augmenter = volume
      ? undefined
      : await trainAugmenter(
          device,
          spec.blocks?.data?.['train augment'],
          config,
          compiled.shape.channels,
          input,
        );
    // Evaluation at the dataset's evaluation size: a second plan when it is not the training size.
    const evaluating = volume
      ? { compiled, loaded: evaluation, input: undefined }
      : await evalTarget(store, compiled, evaluation, data, spec.blocks?.data?.['eval augment'], {
          target,
          limits,
        });
    const compile = {
      kernels,
      planSeconds,
      pipelineSeconds: (performance.now() - pipelineStart) / 1000,
      firstStepSeconds: 0,
      bufferBytes: bufferBytes([train, evaluation, evaluating.loaded]),
    };
    const initial = initialValues(compiled.train.weights, config.train.seed);
    // Pretrained files (a net's `weights`, --init-from) replace the initial values of the weights they hold.
    if (!options.resume) await loadPretrained(compiled.train.weights, initial, options.initFrom);
    for (const [name, values] of initial) {
      const trainable = compiled.train.weights.find((w) => w.name === name)!.trainable;
      writeBuffer(device, store.get(`${trainable ? 'weight' : 'state'}:${name}`, values.byteLength), values);
    }
    const summary: RunSummary = {
      experiment: spec.name,
      device: opened.description,
      epochs: [],
      wallSeconds: 0,
      out,
      compile,
    };
    // The optimizer's per-step uniforms and the lr schedule (runtime/optim/).
    const rates = new TrainingOptimizer(config, compiled.train.weights, steps);
    let values = { ...config.params };
    let step = 0;
    let first = 0;
    let resumed: TrainerEvent | undefined;
    const resume = `'segc run ${this.file} --resume ${out}'`;
    if (options.resume && fresh) {
      resumed = {
        type: 'warning',
        message:
          `no epoch of the run in '${out}' was saved (it was stopped in its first epoch): it starts over ` +
          'in place, with the --set settings given now.',
      };
    } else if (options.resume) {
      const state = await loadTrainingState(store, folder.path(STATE_FILE), spec.name, constants).catch(
        (error: Error) => {
          throw new RunError(error.message, { code: codeOf(error) });
        },
      );
      // A run stopped after its last checkpoint but before its summary is finished by writing the summary.
      if (state.epoch >= config.train.epochs && existsSync(folder.path(SUMMARY_FILE))) {
        throw userError('SEG6102', [out, config.train.epochs]);
      }
      // The params continue where they were (upstream restarts alpha from the config on resume, quirk Q3);
      // a param given with --set wins.
      values = { ...values, ...state.params, ...pick(options.overrides ?? {}, Object.keys(values)) };
      const kept = Object.fromEntries(
        Object.entries(saved).filter(([key]) => !(key in (options.overrides ?? {}))),
      );
      ({ epoch: first, step } = state);
      rates.restore(state.schedule);
      Object.assign(summary, state.history as Pick<RunSummary, 'epochs' | 'best'>);
      // metrics.jsonl may hold an epoch the state does not (a stop between the two writes): it is rewritten
      // from the state's history, so the resumed epochs follow it exactly once.
      await folder.rewriteMetrics(summary.epochs.map(flatten)).catch((error: unknown) => {
        throw saveFailed(error, `metrics.jsonl in '${out}'`, 'The checkpoint is kept', `${resume} continues`);
      });
      resumed = { type: 'resume', experiment: spec.name, out, epoch: first, step, kept };
    }
    this.emit({ ...startEvent, first });
    if (resumed) this.emit(resumed);
    this.emit({ type: 'compile', kernels });
    for (const note of data.notes) this.emit({ type: 'warning', message: `data: ${note}` });
    for (const s of data.skipped) this.emit({ type: 'warning', message: `skipped: ${s.message}` });

    const last = Math.min(config.train.epochs, options.stopAfter ?? Infinity);
    let diverged: string | undefined;
    let firstLoss: number | undefined;
    for (let epoch = first; epoch < last; epoch++) {
      const params = Object.fromEntries(Object.entries(values).map(([k, v]) => [`param.${k}`, v]));
      const epochStart = performance.now();
      const lr = rates.lr(epoch);
      zero(device, train);
      const order = shuffledOrder(trainSet.count, config.train.seed * 7919 + epoch);
      // Decoded ahead in worker threads while the device trains (runtime/data/loader.ts).
      const batches = volume
        ? volume.batches(data.train, order, steps, epoch)
        : epochBatches(data.train, order, batch, steps, input);
      for (let k = 0; k < steps; k++) {
        step++;
        const uniforms = { ...params, ...rates.uniforms(epoch, k, step) };
        const b = (await batches.next()).value as Batch;
        const stepStart = performance.now();
        const samples = order.slice(k * batch, k * batch + b.images).map((i) => data.train.indices[i]);
        // The batch's augmentation and the step in one command buffer (no submission between them).
        if (volume) {
          const encode = volume.step(b, samples, config.train.seed, epoch, planInputs(train));
          executePlan(train, { uniforms, encode });
        } else if (augmenter) {
          const seed = config.train.seed;
          const encode = augmenter.prepare(b.image, b.labels, samples, seed, epoch, planInputs(train));
          executePlan(train, { uniforms, encode });
        } else executePlan(train, { uniforms, inputs: { image: b.image, labels: b.labels } });
        if (firstLoss === undefined) {
          // The loss of the first step, the reference of the divergence rule (one read-back per run); the
          // wait also times the first step, where drivers that compile kernels at first use do so.
          firstLoss = (await readTerms(train, compiled.train.terms, 1)).loss;
          compile.firstStepSeconds = (performance.now() - stepStart) / 1000;
          this.emit({ type: 'compiled', ...compile });
        }
        const synced = k % SYNC_EVERY === SYNC_EVERY - 1 || k === steps - 1;
        if (synced) await device.queue.onSubmittedWorkDone();
        const terms =
          options.liveTerms && synced ? await readTerms(train, compiled.train.terms, k + 1) : undefined;
        this.emit({ type: 'step', epoch: epoch + 1, step: k + 1, steps, images: b.images, terms });
      }
      const trainTerms = await readTerms(train, compiled.train.terms, steps);
      await this.checkFinite(compiled, store, train, target, data.train, order, params, epoch, steps, {
        augmenter,
        input,
      });
      const record: EpochRecord = { epoch: epoch + 1, lr, params: values, train: trainTerms, seconds: 0 };
      // The epoch that compiled (the first of this process): its time to the first step, apart.
      if (epoch === first) {
        record.compileSeconds = compile.planSeconds + compile.pipelineSeconds + compile.firstStepSeconds;
      }
      if ((epoch + 1) % config.eval.every === 0 || epoch + 1 === config.train.epochs) {
        record.val = await evaluate(evaluating.compiled, evaluating.loaded, data.val, params, undefined, {
          input: evaluating.input,
        });
        this.emit({ type: 'evaluation', epoch: epoch + 1, evaluation: record.val });
      }
      record.seconds = (performance.now() - epochStart) / 1000;
      summary.epochs.push(record);
      this.emit({ type: 'epoch', record, epochs: config.train.epochs, metrics: config.eval.metrics });
      // A loss that grows by an order of magnitude is said once, when it first does (divergence.ts).
      if (!diverged) {
        diverged = divergenceWarning(
          summary.epochs.map((e) => e.train.loss),
          firstLoss,
        );
        if (diverged) this.emit({ type: 'warning', message: diverged });
      }
      // A failed write (a full disk) keeps the last complete checkpoint: every file but metrics.jsonl (which
      // a resume rewrites from the state) is replaced atomically.
      const done = epoch > 0;
      const kept = done ? `The checkpoint of epoch ${epoch} is kept` : 'No epoch was saved yet';
      const again = done
        ? `${resume} continues after epoch ${epoch}`
        : `${resume} starts the run over in place`;
      try {
        await folder.appendMetrics(flatten(record));
        const files = [MODEL_FILE];
        await saveModel(device, store, compiled, folder.path(MODEL_FILE));
        const select = config.eval.select;
        const value = record.val?.values[select];
        // Which way is better is the metric's catalogue entry (compiler/config/training.ts).
        if (value !== undefined && (!summary.best || isBetter(select, value, summary.best.value))) {
          summary.best = { epoch: epoch + 1, metric: select, value, values: record.val!.values };
          // The selected model, with the params it was evaluated with (what segc test uses by default).
          const selected = { epoch: String(epoch + 1), params: JSON.stringify(values) };
          await saveModel(device, store, compiled, folder.path(BEST_MODEL_FILE), selected);
          files.push(BEST_MODEL_FILE);
        }
        const next = stepParams(config, values, epoch);
        for (const [name, value] of Object.entries(next)) {
          if (value !== values[name]) this.emit({ type: 'param', name, from: values[name], to: value });
        }
        values = next;
        rates.endEpoch(epoch, record.val?.values);
        const history = { epochs: summary.epochs, best: summary.best };
        const state = { epoch: epoch + 1, step, params: values, history, overrides, schedule: rates.state() };
        await saveTrainingState(store, folder.path(STATE_FILE), spec.name, state, constants);
        files.push(STATE_FILE);
        this.emit({ type: 'checkpoint', epoch: epoch + 1, files });
      } catch (error) {
        throw saveFailed(error, `epoch ${epoch + 1} in '${out}'`, kept, again);
      }
    }
    summary.final = [...summary.epochs].reverse().find((e) => e.val)?.val;
    if (data.skipped.length > 0) summary.skipped = { count: data.skipped.length, files: data.skipped };
    const stuck = summary.final ? unpredictedWarning(summary.final) : undefined;
    if (stuck) this.emit({ type: 'warning', message: stuck });
    const warnings = [diverged, stuck].filter((w): w is string => w !== undefined);
    if (warnings.length > 0) summary.warnings = warnings;
    summary.wallSeconds = (performance.now() - started) / 1000;
    // summary.json marks a finished run: a run stopped early (stopAfter, as an interruption) has none.
    if (last === config.train.epochs) {
      await folder.writeSummary(summary).catch((error: unknown) => {
        const kept = 'Training is complete and its checkpoint is kept';
        throw saveFailed(error, `summary.json in '${out}'`, kept, `${resume} writes it`);
      });
    }
    // Upstream's PERFORM_TEST: the selected model evaluated on the test section's split.
    if (config.test.afterTraining && last === config.train.epochs) {
      const split = config.test.split as 'train' | 'val' | 'test';
      const log = (line: string) => this.emit({ type: 'test', line });
      summary.test = await testCheckpoint(this.file, {
        checkpoint: out,
        split,
        overrides,
        device: opened,
        log,
        savePredictions: config.test.savePredictions,
      });
      await folder.writeSummary(summary);
    }
    this.emit({ type: 'end', summary });
    return summary;
  }

  /**
   * After an epoch: if the guard froze the weights at a step with a non-finite loss, gradient or new weight,
   * replay that batch to find the op.
   */
  private async checkFinite(
    compiled: CompiledExperiment,
    store: BufferStore,
    train: LoadedPlan,
    target: 'cpu' | 'gpu',
    trainSet: DataSplit,
    order: number[],
    params: Record<string, number>,
    epoch: number,
    steps: number,
    /** How the step's batches reached the plan: assembled at `input`, then augmented on the GPU. */
    feed: { augmenter?: Augmenter; input?: [number, number] },
  ): Promise<void> {
    const [failed, cause] = await readPlanBuffer(train, compiled.trainPlan.guard!);
    if (failed === 0) return;
    // A weight that overflowed in its update (loss and gradients finite): nothing to replay.
    if (cause === UPDATE) throw nonFiniteError(epoch + 1, failed, cause, undefined, new Map());
    const batch = compiled.config.train.batch;
    const k = failed - 1 - epoch * steps;
    const indices = order.slice(k * batch, (k + 1) * batch).map((i) => trainSet.indices[i]);
    // The step's own inputs: the batch as that epoch drew it (a volume's patches), augmented again on the GPU
    // with the same draws (seed, epoch, samples), read back from the plan's input buffers.
    const b = this.volume
      ? await this.volume.batchOf(trainSet, indices, epoch)
      : await trainSet.loader.batchOf(trainSet.split, indices, feed.input);
    const seed = compiled.config.train.seed;
    const targets = planInputs(train);
    const encode = this.volume
      ? this.volume.step(b, indices, seed, epoch, targets)
      : feed.augmenter?.prepare(b.image, b.labels, indices, seed, epoch, targets);
    let inputs = { image: b.image, labels: b.labels };
    if (encode) {
      submitEncoded(store.device, 'replay-augment', encode);
      inputs = { image: await readPlanInput(train, 'image'), labels: await readPlanInput(train, 'labels') };
    }
    const culprit = await findNonFinite(
      store,
      compiled.train.graph,
      { uniforms: { ...params, step: failed }, inputs },
      target,
    );
    throw nonFiniteError(epoch + 1, failed, cause, culprit, compiled.sources);
  }
}

/**
 * A failed write of the run folder (a full or read-only disk: an error with a system code) as an error that
 * says what failed, what is kept and how to go on; other errors pass unchanged.
 */
function saveFailed(error: unknown, what: string, kept: string, resume: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !(error instanceof Error)) return error;
  const when = ['ENOSPC', 'EDQUOT'].includes(code)
    ? 'once there is space again'
    : ['EROFS', 'EACCES', 'EPERM'].includes(code)
      ? 'once the folder is writable again'
      : 'once that is fixed';
  return userError('SEG6103', [what, error.message, kept, when, resume]);
}

/** The code of a UserError (kept when it is passed on as a RunError). */
function codeOf(error: unknown): MessageCode | undefined {
  return error instanceof UserError ? (error.code as MessageCode | undefined) : undefined;
}

/**
 * A warning when the last evaluation never predicted a class its labels hold: the usual sign of a run stuck
 * on a rare class (a short budget, a small network), which a mean Dice alone hides.
 */
export function unpredictedWarning(evaluation: EpochRecord['val'] & object): string | undefined {
  const classes = evaluation.unpredicted ?? []; // absent in states saved before it existed
  if (classes.length === 0) return undefined;
  const one = classes.length === 1;
  const names = one ? `class ${classes[0]} is` : `classes ${classes.join(', ')} are`;
  const remedies =
    'more epochs, a larger learning rate (--set optimizer.lr=...) or another seed (--set train.seed=...)';
  const it = one ? 'it' : 'them';
  const stuck = `the run may be stuck on ${it}`;
  return `${names} in the validation labels but never predicted (Dice 0): ${stuck}; ${remedies} can help.`;
}

async function saveModel(
  device: GPUDevice,
  store: BufferStore,
  compiled: CompiledExperiment,
  path: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  const tensors: Record<string, TensorEntry> = {};
  for (const w of compiled.train.weights) {
    if (w.init.kind === 'values') continue; // the loss's constants come from the .seg file
    const buffer = store.buffers.get(`${w.trainable ? 'weight' : 'state'}:${w.name}`)!;
    const count = w.sizes.reduce((a, b) => a * b, 1);
    const data = (await readBuffer(device, buffer)).slice(0, count);
    tensors[w.name] = modelEntry(w, data); // as torch's state_dict holds it (int64 counters)
  }
  await writeSafetensorsFile(path, tensors, { experiment: compiled.spec.name, format: 'segc', ...metadata });
}

/** The param values among `--set` overrides (numbers for the named params). */
function pick(record: Record<string, Override>, keys: string[]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(record).filter(
      (e): e is [string, number] => keys.includes(e[0]) && typeof e[1] === 'number',
    ),
  );
}

function nonFiniteError(
  epoch: number,
  step: number,
  cause: number,
  culprit: NonFinite | undefined,
  sources: Map<string, string>,
): UserError {
  const what =
    cause === UPDATE
      ? 'an update made a weight non-finite although the loss and its gradients are finite: the learning ' +
        'rate is too large for this model; lower it (--set optimizer.lr=...).'
      : cause === GRADIENT
        ? 'a gradient is not finite although the loss is.'
        : 'the loss is not finite.';
  const stopped = (why: string) => userError('SEG6104', [epoch, step, why]);
  if (cause === UPDATE) return stopped(what);
  if (!culprit) return stopped(`${what} No single op could be blamed when the batch was replayed.`);
  const { node, value, gradientOf } = culprit;
  // An op of the backward pass has no source of its own: the forward op it differentiates has.
  const at = gradientOf ?? node;
  const where = at.span ? ` at ${displayPath(at.span.file)}:${at.span.line}:${at.span.col}` : '';
  const line = at.span ? sources.get(at.span.file)?.split('\n')[at.span.line - 1] : undefined;
  const caret = line && at.span ? `\n  ${line}\n  ${' '.repeat(at.span.col - 1)}^` : '';
  const op = gradientOf
    ? `'${node.op}' in the gradient of '${gradientOf.op}'${where} (backward pass, ${formatType(node.type)})`
    : `'${node.op}'${where} (${formatType(node.type)})`;
  return stopped(`${what} The first ${value} comes from ${op}.${caret}`);
}

/** An epoch's record as one line of metrics.jsonl. */
export function flatten(record: EpochRecord): Record<string, unknown> {
  const flat: Record<string, unknown> = {
    epoch: record.epoch,
    lr: record.lr,
    params: record.params,
    ...record.train,
  };
  for (const [k, v] of Object.entries(record.val?.values ?? {})) {
    flat[record.train[k] !== undefined ? `val_${k}` : k] = v;
  }
  if (record.val) flat.dice_per_class = record.val.dicePerClass;
  flat.seconds = Number(record.seconds.toFixed(3));
  if (record.compileSeconds !== undefined) flat.compile_seconds = Number(record.compileSeconds.toFixed(3));
  return flat;
}

/** The loss's constant tensors (lists in the .seg file): never saved, never loaded, always the file's. */
function lossConstants(compiled: CompiledExperiment): Set<string> {
  return new Set(compiled.train.weights.filter((w) => w.init.kind === 'values').map((w) => w.name));
}
