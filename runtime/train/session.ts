// runExperiment: trains and evaluates a compiled experiment on a WebGPU device; logs, metrics and
// checkpoints.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledExperiment } from '../compile.ts';
import { compileExperiment, stageExperiment } from '../compile.ts';
import { planLimits } from '../../compiler/codegen/limits.ts';
import { writeFileAtomic, writeSafetensorsFile } from '../checkpoint/safetensors.ts';
import type { TensorEntry } from '../checkpoint/safetensors.ts';
import type { DevicePreference } from '../device.ts';
import { openDevice } from '../device.ts';
import { BufferStore, executePlan, loadPlan, readBuffer, writeBuffer } from '../executor.ts';
import { learningRate, stepParams } from './config.ts';
import { datasetSplits, evaluate, readTerms, zero } from './evaluate.ts';
import type { Evaluation } from './evaluate.ts';
import type { Override } from './config.ts';
import { STATE_FILE, loadTrainingState, saveTrainingState, savedOverrides } from './state.ts';
import { makeBatch, shuffledOrder } from './batches.ts';
import { initialValues } from './init.ts';
import type { NonFinite } from './diagnose.ts';
import { findNonFinite } from './diagnose.ts';
import { formatType } from '../../compiler/ir/types.ts';
import { displayPath } from '../../diagnostics/index.ts';

export interface RunOptions {
  overrides?: Record<string, Override>;
  device?: DevicePreference;
  out?: string;
  /** A run directory to continue: its training state (weights, Adam moments, epoch, params) is loaded. */
  resume?: string;
  /** Stop after this many epochs in total, as an interruption would (the state is saved each epoch). */
  stopAfter?: number;
  log?: (line: string) => void;
  /** Told the run's directory as soon as it is chosen (for the CLI's message on Ctrl-C). */
  onDirectory?: (dir: string) => void;
}

export interface EpochRecord {
  epoch: number;
  lr: number;
  /** The param values this epoch trained with. */
  params: Record<string, number>;
  train: Record<string, number>;
  val?: Evaluation;
  seconds: number;
}

export interface RunSummary {
  experiment: string;
  device: string;
  epochs: EpochRecord[];
  final?: EpochRecord['val'];
  /** The epoch with the best selected metric, and every metric it reached. */
  best?: { epoch: number; metric: string; value: number; values: Record<string, number> };
  wallSeconds: number;
  out: string;
  /** What the run noticed that a user should know (a class the model never predicts). */
  warnings?: string[];
}

/** The model after the last epoch, and the one of the epoch `eval.select` picked (upstream's best.pth). */
export const MODEL_FILE = 'model.safetensors';
export const BEST_MODEL_FILE = 'model-best.safetensors';

/** A training failure a user can act on (divergence, bad data), with what went wrong. */
export class RunError extends Error {}

/** Compiles `file` for the opened device (kernels are tuned per adapter kind), then trains and evaluates. */
export async function runExperiment(file: string, options: RunOptions = {}): Promise<RunSummary> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  // .seg errors and a taken output directory are reported before the GPU is touched (checking stages the
  // forward pass only); the plans are then generated once, tuned for the adapter and checked against its
  // limits.
  // A resumed run keeps the --set overrides it was started with; ones given now are added on top.
  const saved = options.resume ? await savedOverrides(join(options.resume, STATE_FILE)) : {};
  const overrides = { ...saved, ...options.overrides };
  const checked = stageExperiment(file, { overrides, check: true });
  const out = options.resume ?? outputDirectory(options.out, checked.spec.name);
  options.onDirectory?.(out);
  const opened = await openDevice(options.device ?? 'auto');
  const { device } = opened;
  const target = opened.software ? 'cpu' : 'gpu';
  const compiled = compileExperiment(file, {
    overrides,
    target,
    limits: planLimits(device.limits),
  });
  const { config, spec } = compiled;
  log(`segc: ${spec.name} on ${opened.description}${opened.software ? ' (software)' : ''}, output in ${out}`);
  const { train: trainSet, val: valSet } = datasetSplits(config);
  const batch = config.train.batch;
  const steps = Math.floor(trainSet.count / batch);
  if (steps === 0)
    throw new RunError(`The training split has ${trainSet.count} images, fewer than one batch of ${batch}.`);

  const store = new BufferStore(device);
  const constants = lossConstants(compiled);
  const train = await loadPlan(store, compiled.trainPlan);
  const evaluation = await loadPlan(store, compiled.evalPlan);
  for (const [name, values] of initialValues(compiled.train.weights, config.train.seed)) {
    const trainable = compiled.train.weights.find((w) => w.name === name)!.trainable;
    writeBuffer(device, store.get(`${trainable ? 'weight' : 'state'}:${name}`, values.byteLength), values);
  }
  const summary: RunSummary = {
    experiment: spec.name,
    device: opened.description,
    epochs: [],
    wallSeconds: 0,
    out,
  };
  let values = { ...config.params };
  let step = 0;
  let first = 0;
  if (options.resume) {
    const state = await loadTrainingState(store, join(out, STATE_FILE), spec.name, constants).catch(
      (error: Error) => {
        throw new RunError(error.message);
      },
    );
    if (state.epoch >= config.train.epochs) {
      throw new RunError(
        `Nothing to resume in '${out}': all ${config.train.epochs} epochs are done (raise ` +
          `train.epochs with --set).`,
      );
    }
    // The params continue where they were (upstream restarts alpha from the config on resume, quirk Q3);
    // a param given with --set wins.
    values = { ...values, ...state.params, ...pick(options.overrides ?? {}, Object.keys(values)) };
    const kept = Object.entries(saved).filter(([key]) => !(key in (options.overrides ?? {})));
    if (kept.length > 0) {
      const shown = kept.map(([key, value]) => `--set ${key}=${formatOverride(value)}`).join(' ');
      log(`segc: the run's settings are kept: ${shown}`);
    }
    ({ epoch: first, step } = state);
    Object.assign(summary, state.history as Pick<RunSummary, 'epochs' | 'best'>);
    // metrics.jsonl may hold an epoch the state does not (a stop between the two writes): it is rewritten
    // from the state's history, so the resumed epochs follow it exactly once.
    await writeFileAtomic(
      join(out, 'metrics.jsonl'),
      summary.epochs.map((e) => `${JSON.stringify(flatten(e))}\n`).join(''),
    );
    log(`segc: resuming ${spec.name} after epoch ${first} (step ${step}) from ${out}`);
  }
  const last = Math.min(config.train.epochs, options.stopAfter ?? Infinity);
  for (let epoch = first; epoch < last; epoch++) {
    const params = Object.fromEntries(Object.entries(values).map(([k, v]) => [`param.${k}`, v]));
    const epochStart = performance.now();
    const lr = learningRate(config, epoch);
    zero(device, train);
    const order = shuffledOrder(trainSet.count, config.train.seed * 7919 + epoch);
    for (let k = 0; k < steps; k++) {
      step++;
      const { beta1, beta2 } = config.optimizer;
      const uniforms = {
        ...params,
        step,
        'adam.step_size': lr / (1 - beta1 ** step),
        'adam.bias2': Math.sqrt(1 - beta2 ** step),
      };
      const b = makeBatch(trainSet, order.slice(k * batch, (k + 1) * batch), batch);
      executePlan(train, { uniforms, inputs: { image: b.image, labels: b.labels } });
      if (k % 8 === 7) await device.queue.onSubmittedWorkDone();
    }
    const trainTerms = await readTerms(train, compiled.train.terms, steps);
    const failed = (await readBuffer(device, train.buffers[compiled.trainPlan.guard!]))[0];
    if (failed !== 0) {
      // The guard froze the weights at the failing step: replay that batch to find the op at fault.
      const k = failed - 1 - epoch * steps;
      const b = makeBatch(trainSet, order.slice(k * batch, (k + 1) * batch), batch);
      const inputs = { image: b.image, labels: b.labels };
      const culprit = await findNonFinite(
        store,
        compiled.train.graph,
        { uniforms: { ...params, step: failed }, inputs },
        target,
      );
      throw new RunError(nonFiniteMessage(epoch + 1, failed, culprit, compiled.sources));
    }
    const record: EpochRecord = { epoch: epoch + 1, lr, params: values, train: trainTerms, seconds: 0 };
    if ((epoch + 1) % config.eval.every === 0 || epoch + 1 === config.train.epochs) {
      record.val = await evaluate(compiled, evaluation, valSet, params);
    }
    record.seconds = (performance.now() - epochStart) / 1000;
    summary.epochs.push(record);
    log(progressLine(record, config.train.epochs, config.eval.metrics));
    await appendFile(join(out, 'metrics.jsonl'), `${JSON.stringify(flatten(record))}\n`);
    await saveModel(device, store, compiled, join(out, MODEL_FILE));
    const select = config.eval.select;
    const value = record.val?.values[select];
    const better =
      select === 'proportion_error' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
    if (value !== undefined && (!summary.best || better(value, summary.best.value))) {
      summary.best = { epoch: epoch + 1, metric: select, value, values: record.val!.values };
      // The selected model, with the params it was evaluated with (what segc test uses by default).
      const selected = { epoch: String(epoch + 1), params: JSON.stringify(values) };
      await saveModel(device, store, compiled, join(out, BEST_MODEL_FILE), selected);
    }
    const next = stepParams(config, values, epoch);
    for (const [name, value] of Object.entries(next)) {
      if (value !== values[name]) log(`  ${name} ${values[name]} -> ${value} (step schedule)`);
    }
    values = next;
    const history = { epochs: summary.epochs, best: summary.best };
    await saveTrainingState(
      store,
      join(out, STATE_FILE),
      spec.name,
      {
        epoch: epoch + 1,
        step,
        params: values,
        history,
        overrides,
      },
      constants,
    );
  }
  summary.final = [...summary.epochs].reverse().find((e) => e.val)?.val;
  const stuck = summary.final ? unpredictedWarning(summary.final) : undefined;
  if (stuck) {
    summary.warnings = [stuck];
    log(`segc: warning: ${stuck}`);
  }
  summary.wallSeconds = (performance.now() - started) / 1000;
  await writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  device.destroy();
  return summary;
}

/**
 * A warning when the last evaluation never predicted a class its labels hold: the usual sign of a run stuck
 * on a rare class (a short budget, a small network), which a mean Dice alone hides.
 */
export function unpredictedWarning(evaluation: Evaluation): string | undefined {
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
    tensors[w.name] = { dtype: 'F32', shape: w.sizes, data };
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

function outputDirectory(requested: string | undefined, name: string): string {
  const taken = (dir: string) =>
    existsSync(dir) &&
    readdirSync(dir).some((f) => ['metrics.jsonl', 'model.safetensors', 'summary.json'].includes(f));
  let out = requested ?? join('runs', name);
  if (requested && existsSync(out) && !statSync(out).isDirectory()) {
    throw new RunError(`--out '${out}' is a file, not a directory; choose another --out.`);
  }
  if (requested && taken(out)) {
    throw new RunError(
      `Output directory '${out}' already holds a run; choose another --out or move it away.`,
    );
  }
  for (let k = 2; taken(out); k++) out = join('runs', `${name}-${k}`);
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new RunError(`Cannot create the output directory '${out}': ${(error as Error).message}`);
  }
  return out;
}

function nonFiniteMessage(
  epoch: number,
  step: number,
  culprit: NonFinite | undefined,
  sources: Map<string, string>,
): string {
  const head = `Training stopped in epoch ${epoch}, step ${step}: the loss is not finite.`;
  if (!culprit) return `${head} No single op could be blamed when the batch was replayed.`;
  const { node, value } = culprit;
  const where = node.span ? ` at ${displayPath(node.span.file)}:${node.span.line}:${node.span.col}` : '';
  const line = node.span ? sources.get(node.span.file)?.split('\n')[node.span.line - 1] : undefined;
  const caret = line && node.span ? `\n  ${line}\n  ${' '.repeat(node.span.col - 1)}^` : '';
  return `${head} The first ${value} comes from '${node.op}'${where} (${formatType(node.type)}).${caret}`;
}

function flatten(record: EpochRecord): Record<string, unknown> {
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
  return flat;
}

function progressLine(record: EpochRecord, epochs: number, metrics: string[]): string {
  const f = (v: number) => v.toFixed(4);
  const terms = Object.entries(record.train)
    .map(([k, v]) => `${k} ${f(v)}`)
    .join('  ');
  const val = record.val
    ? `  | val ${metrics.map((m) => `${m} ${f(record.val!.values[m])}`).join('  ')}`
    : '';
  return (
    `epoch ${record.epoch}/${epochs}  lr ${record.lr.toExponential(2)}  ${terms}${val}  ` +
    `(${record.seconds.toFixed(1)} s)`
  );
}

/** An override as it is written after `--set key=`. */
function formatOverride(value: Override): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'object') return value.symbol;
  return String(value);
}

/** The loss's constant tensors (lists in the .seg file): never saved, never loaded, always the file's. */
function lossConstants(compiled: CompiledExperiment): Set<string> {
  return new Set(compiled.train.weights.filter((w) => w.init.kind === 'values').map((w) => w.name));
}
