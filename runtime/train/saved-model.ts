// A model a run saved, ready to evaluate: the selected (DIR/model-best.safetensors, with the params of its
// epoch) or the last (DIR/model.safetensors, with the last epoch's params) model of a run folder, checked
// against the experiment (compiled with the run's --set overrides), its weights uploaded to the eval plan.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsFile } from '../checkpoint/safetensors.ts';
import { tensorProblem } from '../checkpoint/validate.ts';
import { savedDtypes, toFloat32 } from '../weights/convert.ts';
import type { CompiledExperiment } from '../../compiler/index.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { planLimits } from '../../compiler/index.ts';
import type { Override } from '../../compiler/index.ts';
import type { DevicePreference, OpenedDevice } from '../device.ts';
import { openDevice } from '../device.ts';
import { BufferStore, loadPlan, writeBuffer } from '../executor.ts';
import type { LoadedPlan } from '../executor.ts';
import { userError } from '../../diagnostics/index.ts';
import { BEST_MODEL_FILE, MODEL_FILE, RunError } from './session.ts';
import { STATE_FILE, stateOverrides } from './state.ts';
import type { TrainingState } from './state.ts';

export interface SavedModelOptions {
  checkpoint: string;
  overrides?: Record<string, Override>;
  /** The model after the last epoch instead of the selected (best) one. */
  last?: boolean;
  device?: DevicePreference | OpenedDevice;
  /** The command, for messages ('test', 'predict'). */
  what: string;
  /** Add the class map / the logits to the eval plan as 'tensor' outputs. */
  predictions?: boolean;
  logits?: boolean;
}

export interface SavedModel {
  opened: OpenedDevice;
  /** The device was given (not opened here: not to be destroyed here). */
  shared?: OpenedDevice;
  compiled: CompiledExperiment;
  loaded: LoadedPlan;
  /** The store the weights were uploaded to (a plan at another size loaded into it shares them). */
  store: BufferStore;
  target: 'cpu' | 'gpu';
  params: Record<string, number>;
  uniforms: Record<string, number>;
  modelPath: string;
}

export async function openSavedModel(file: string, options: SavedModelOptions): Promise<SavedModel> {
  const what = options.what;
  const bestPath = join(options.checkpoint, BEST_MODEL_FILE);
  // Runs without an evaluation (or from before best models were saved) have only the last model.
  const modelPath = !options.last && existsSync(bestPath) ? bestPath : join(options.checkpoint, MODEL_FILE);
  if (!existsSync(modelPath)) throw userError('SEG6065', [what, modelPath]);
  const shared = typeof options.device === 'object' ? options.device : undefined;
  const opened = shared ?? (await openDevice((options.device as DevicePreference | undefined) ?? 'auto'));
  const target = opened.software ? 'cpu' : 'gpu';
  // The training state, read once: the run's --set overrides (its data, model and settings; none when the
  // state is damaged) and, for the last model, the last epoch's params (where damage is an error).
  const statePath = join(options.checkpoint, STATE_FILE);
  const stateFile = existsSync(statePath)
    ? await readModel(statePath, what).catch((error: RunError) => error)
    : undefined;
  const stateText = stateFile instanceof RunError ? undefined : stateFile?.metadata?.state;
  const compiled = compileExperiment(file, {
    overrides: { ...stateOverrides(stateText), ...options.overrides },
    target,
    limits: planLimits(opened.device.limits),
    predictions: options.predictions,
    logits: options.logits,
  });
  const { tensors, metadata } = await readModel(modelPath, what);
  if (metadata?.experiment !== undefined && metadata.experiment !== compiled.spec.name) {
    throw userError('SEG6066', [what, modelPath, String(metadata.experiment), compiled.spec.name]);
  }
  // The file must hold exactly what segc run saves for this model (the loss's constants excepted).
  const saved = compiled.train.weights.filter((w) => w.init.kind !== 'values');
  const specs = saved.map((w) => ({ name: w.name, shape: w.sizes, dtypes: savedDtypes(w) }));
  const problem = tensorProblem(tensors, specs, {
    kind: 'a segc model',
    nonFinite: 'the run that saved it diverged, or the file was damaged',
  });
  if (problem) throw userError('SEG6067', [what, modelPath, problem]);
  const store = new BufferStore(opened.device);
  // Shared with an evaluation plan at another size (eval-plan.ts): the two never run at once.
  const loaded = await loadPlan(store, compiled.evalPlan, { shareArenas: true });
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
  return { opened, shared, compiled, loaded, store, target, params, uniforms, modelPath };
}

/** A saved file read for testing; damage (truncation, a bad header) is a RunError naming the file. */
async function readModel(path: string, what = 'test'): ReturnType<typeof readSafetensorsFile> {
  try {
    return await readSafetensorsFile(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw userError('SEG6068', [what, message.includes(path) ? message : `${path}: ${message}`]);
  }
}

function parseParams(text: string, path: string): Record<string, number> {
  try {
    return JSON.parse(text) as Record<string, number>;
  } catch {
    throw userError('SEG6070', [path]);
  }
}

function lastEpochParams(text: string, path: string): Record<string, number> {
  try {
    const state = JSON.parse(text) as TrainingState & { history: { epochs?: { params?: object }[] } };
    const epochs = state.history?.epochs ?? [];
    return (epochs[epochs.length - 1]?.params ?? state.params) as Record<string, number>;
  } catch {
    throw userError('SEG6071', [path]);
  }
}
