// The training state a run can resume from: weights, running statistics and Adam moments (every buffer of the
// model's store) plus the epoch, step, current param values (a scheduled alpha included) and the epochs so
// far.
import type { Override } from '../../compiler/index.ts';
import { existsSync } from 'node:fs';
import { userError } from '../../diagnostics/index.ts';
import type { TensorEntry } from '../checkpoint/safetensors.ts';
import { readSafetensorsFile, writeSafetensorsFile } from '../checkpoint/safetensors.ts';
import { tensorProblem } from '../checkpoint/validate.ts';
import type { BufferStore } from '../executor.ts';
import { readBuffer, writeBuffer } from '../executor.ts';

export const STATE_FILE = 'checkpoint.safetensors';

export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (Adam's bias correction continues from it). */
  step: number;
  /** Param values for the next epoch. */
  params: Record<string, number>;
  /**
   * What the run recorded so far (metrics.jsonl records, best epoch), so the summary covers the whole run.
   */
  history: unknown;
  /** The lr schedule's state (a plateau's lrs, best value and counters; absent for older states). */
  schedule?: Record<string, unknown>;
  /** The run's `--set` overrides (absent in states written before they were kept). */
  overrides?: Record<string, Override>;
}

const PERSISTENT = /^(weight|state|optimizer):/;

/**
 * Buffers to persist: weights, running statistics and Adam moments, but not the loss's constants (lists in
 * the .seg file such as class weights), which always come from the file.
 */
const persistent = (name: string, constants: Set<string>) =>
  PERSISTENT.test(name) && !constants.has(name.slice(name.indexOf(':') + 1));

/**
 * Writes the state atomically (temporary file, then rename): an interrupted write leaves the previous one.
 */
export async function saveTrainingState(
  store: BufferStore,
  path: string,
  experiment: string,
  state: TrainingState,
  constants: Set<string> = new Set(),
): Promise<void> {
  const tensors: Record<string, TensorEntry> = {};
  for (const [name, buffer] of [...store.buffers].sort(([a], [b]) => a.localeCompare(b))) {
    if (!persistent(name, constants)) continue;
    const data = await readBuffer(store.device, buffer);
    tensors[name] = { dtype: 'F32', shape: [data.length], data };
  }
  await writeSafetensorsFile(path, tensors, {
    format: 'segc-training-state',
    experiment,
    state: JSON.stringify(state),
  });
}

/**
 * Reads a state written by saveTrainingState into the store's buffers; every persistent buffer must be there
 * with its size, so a checkpoint of another model or experiment is an error naming the file, never a silent
 * mix.
 */
export async function loadTrainingState(
  store: BufferStore,
  path: string,
  experiment: string,
  constants: Set<string> = new Set(),
): Promise<TrainingState> {
  if (!existsSync(path)) throw userError('SEG6060', [path]);
  const { tensors, metadata } = await readSafetensorsFile(path);
  if (metadata?.format !== 'segc-training-state' || !metadata.state) {
    throw userError('SEG6061', [path]);
  }
  if (metadata.experiment !== experiment) {
    throw userError('SEG6062', [path, String(metadata.experiment), experiment]);
  }
  const state = parseState(metadata.state, path);
  const wanted = [...store.buffers.keys()].filter((name) => persistent(name, constants));
  const specs = wanted.map((name) => ({ name, shape: [store.buffers.get(name)!.size / 4] }));
  const problem = tensorProblem(tensors, specs, {
    kind: 'a training state',
    nonFinite: 'the run diverged before this state was saved, or the file was damaged',
  });
  if (problem) throw userError('SEG6063', [path, problem]);
  for (const name of wanted)
    writeBuffer(store.device, store.buffers.get(name)!, tensors[name].data as Float32Array);
  return state;
}

/**
 * The state's JSON, checked field by field: a damaged file is an error naming it, never a half-restored run.
 */
function parseState(text: string, path: string): TrainingState {
  const bad = (what: string) => userError('SEG6064', [path, what]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad((error as Error).message);
  }
  const state = value as Partial<TrainingState> | null;
  if (typeof state !== 'object' || state === null) throw bad('not an object');
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!count(state.epoch) || !count(state.step)) throw bad("'epoch' and 'step' must be whole numbers");
  const params = state.params as unknown;
  if (
    typeof params !== 'object' ||
    params === null ||
    Object.values(params).some((v) => typeof v !== 'number')
  ) {
    throw bad("'params' must map names to numbers");
  }
  const history = state.history as { epochs?: unknown } | null | undefined;
  if (
    typeof history !== 'object' ||
    history === null ||
    !Array.isArray(history.epochs) ||
    history.epochs.length !== state.epoch
  ) {
    throw bad("'history' must hold one record per epoch done");
  }
  const overrides = state.overrides as unknown;
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null)) {
    throw bad("'overrides' must map settings to values");
  }
  return state as TrainingState;
}

/**
 * The `--set` overrides a run was started (or last resumed) with, read from its training state before the
 * experiment is compiled, so a resumed run trains on the same data, model and settings; a damaged or missing
 * state reads as none (loadTrainingState reports it).
 */
export async function savedOverrides(path: string): Promise<Record<string, Override>> {
  if (!existsSync(path)) return {};
  try {
    return stateOverrides((await readSafetensorsFile(path)).metadata?.state);
  } catch {
    return {};
  }
}

/** The overrides in a training state's JSON (its `state` metadata); none when absent or damaged. */
export function stateOverrides(text: string | undefined): Record<string, Override> {
  try {
    const overrides = text ? (JSON.parse(text) as TrainingState).overrides : undefined;
    return typeof overrides === 'object' && overrides !== null ? overrides : {};
  } catch {
    return {};
  }
}
