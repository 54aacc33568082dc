// `segc test`: evaluates the model a run saved on a split of the experiment's dataset: the model of the epoch
// `eval.select` picked (DIR/model-best.safetensors, with the params of that epoch), or with `last` the model
// after the last epoch (DIR/model.safetensors, with the params of DIR/checkpoint.safetensors), and writes
// DIR/test-<split>.json (and, asked, the predicted class maps to DIR/predictions-<split>.safetensors).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsFile, writeFileAtomic, writeSafetensorsFile } from '../checkpoint/safetensors.ts';
import { tensorProblem } from '../checkpoint/validate.ts';
import { compileExperiment } from '../compile.ts';
import { planLimits } from '../../compiler/index.ts';
import { savedDtypes, toFloat32 } from '../weights/convert.ts';
import type { Override } from './config.ts';
import type { DevicePreference } from '../device.ts';
import { openDevice } from '../device.ts';
import { BufferStore, loadPlan, readBuffer, writeBuffer } from '../executor.ts';
import type { Evaluation } from './evaluate.ts';
import { datasetSplits, evaluate } from './evaluate.ts';
import { BEST_MODEL_FILE, MODEL_FILE, RunError } from './session.ts';
import { STATE_FILE, stateOverrides } from './state.ts';
import type { TrainingState } from './state.ts';

export interface TestOptions {
  checkpoint: string;
  split?: 'train' | 'val';
  /**
   * Also write DIR/predictions-<split>.safetensors: the predicted class of every pixel, u8 [images, H, W].
   */
  savePredictions?: boolean;
  overrides?: Record<string, Override>;
  /** Test the model after the last epoch instead of the selected (best) one. */
  last?: boolean;
  device?: DevicePreference;
  log?: (line: string) => void;
}

export interface TestResult extends Evaluation {
  split: string;
  params: Record<string, number>;
}

export async function testCheckpoint(file: string, options: TestOptions): Promise<TestResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const split = options.split ?? 'val';
  const bestPath = join(options.checkpoint, BEST_MODEL_FILE);
  // Runs without an evaluation (or from before best models were saved) have only the last model.
  const modelPath = !options.last && existsSync(bestPath) ? bestPath : join(options.checkpoint, MODEL_FILE);
  if (!existsSync(modelPath))
    throw new RunError(`Cannot test: '${modelPath}' does not exist (segc run writes it after each epoch).`);
  const opened = await openDevice(options.device ?? 'auto');
  const target = opened.software ? 'cpu' : 'gpu';
  // The training state, read once: the run's --set overrides (its data, model and settings; none when the
  // state is damaged) and, for the last model, the last epoch's params (where damage is an error).
  const statePath = join(options.checkpoint, STATE_FILE);
  const stateFile = existsSync(statePath)
    ? await readModel(statePath).catch((error: RunError) => error)
    : undefined;
  const stateText = stateFile instanceof RunError ? undefined : stateFile?.metadata?.state;
  const compiled = compileExperiment(file, {
    overrides: { ...stateOverrides(stateText), ...options.overrides },
    target,
    limits: planLimits(opened.device.limits),
    predictions: options.savePredictions,
  });
  const { tensors, metadata } = await readModel(modelPath);
  if (metadata?.experiment !== undefined && metadata.experiment !== compiled.spec.name) {
    throw new RunError(
      `Cannot test '${modelPath}': it belongs to experiment '${metadata.experiment}', not ` +
        `'${compiled.spec.name}'.`,
    );
  }
  // The file must hold exactly what segc run saves for this model (the loss's constants excepted).
  const saved = compiled.train.weights.filter((w) => w.init.kind !== 'values');
  const specs = saved.map((w) => ({ name: w.name, shape: w.sizes, dtypes: savedDtypes(w) }));
  const problem = tensorProblem(tensors, specs, {
    kind: 'a segc model',
    nonFinite: 'the run that saved it diverged, or the file was damaged',
  });
  if (problem) throw new RunError(`Cannot test '${modelPath}': ${problem}`);
  const store = new BufferStore(opened.device);
  const loaded = await loadPlan(store, compiled.evalPlan);
  for (const w of compiled.eval.weights) {
    const buffer = store.buffers.get(`${w.trainable ? 'weight' : 'state'}:${w.name}`);
    if (w.init.kind === 'values') {
      // The loss's constants (class weights written as lists) are the file's, not the run's.
      if (buffer) writeBuffer(opened.device, buffer, Float32Array.from(w.init.values));
      continue;
    }
    if (buffer) writeBuffer(opened.device, buffer, toFloat32(tensors[w.name]));
  }
  // The params of the selected epoch (a scheduled alpha) or those the run ended with, else the experiment's;
  // --set wins over all.
  let params = { ...compiled.config.params };
  if (metadata?.params) {
    params = { ...params, ...parseParams(metadata.params, modelPath) };
  } else if (stateFile instanceof RunError) {
    throw stateFile;
  } else if (stateText) {
    // The params the last epoch trained and was evaluated with (state.params are the next epoch's).
    params = { ...params, ...lastEpochParams(stateText, statePath) };
  }
  for (const [key, value] of Object.entries(options.overrides ?? {}))
    if (key in params && typeof value === 'number') params[key] = value;
  const uniforms = Object.fromEntries(Object.entries(params).map(([k, v]) => [`param.${k}`, v]));
  const set = datasetSplits(compiled.config)[split];
  const plane = set.height * set.width;
  const predictions = new Uint8Array(options.savePredictions ? set.count * plane : 0);
  const output = compiled.evalPlan.outputs.find((o) => o.name === 'prediction');
  const readPredictions =
    output &&
    (async (first: number, count: number) => {
      const values = await readBuffer(opened.device, loaded.buffers[output.buffer]);
      for (let i = 0; i < count * plane; i++) predictions[first * plane + i] = values[i];
    });
  const result = await evaluate(compiled, loaded, set, uniforms, readPredictions);
  opened.device.destroy();
  const shown = compiled.config.eval.metrics.map((m) => `${m} ${result.values[m].toFixed(4)}`).join('  ');
  log(`segc test: ${compiled.spec.name} on ${split} (${set.count} images) from ${modelPath}: ${shown}`);
  const record: TestResult = { split, params, ...result };
  await writeFileAtomic(
    join(options.checkpoint, `test-${split}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
  );
  if (options.savePredictions) {
    const path = join(options.checkpoint, `predictions-${split}.safetensors`);
    const tensors = {
      predictions: { dtype: 'U8' as const, shape: [set.count, set.height, set.width], data: predictions },
    };
    await writeSafetensorsFile(path, tensors, { experiment: compiled.spec.name, split });
    log(`  predictions: ${path}`);
  }
  return record;
}

/** A saved file read for testing; damage (truncation, a bad header) is a RunError naming the file. */
async function readModel(path: string): ReturnType<typeof readSafetensorsFile> {
  try {
    return await readSafetensorsFile(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RunError(`Cannot test: ${message.includes(path) ? message : `${path}: ${message}`}`);
  }
}

function parseParams(text: string, path: string): Record<string, number> {
  try {
    return JSON.parse(text) as Record<string, number>;
  } catch {
    throw new RunError(`Cannot test: ${path}: its 'params' metadata is not JSON.`);
  }
}

function lastEpochParams(text: string, path: string): Record<string, number> {
  try {
    const state = JSON.parse(text) as TrainingState & { history: { epochs?: { params?: object }[] } };
    const epochs = state.history?.epochs ?? [];
    return (epochs[epochs.length - 1]?.params ?? state.params) as Record<string, number>;
  } catch {
    throw new RunError(`Cannot test: ${path}: its training state is not JSON.`);
  }
}
