// Where a run evaluates: at the dataset's evaluation size (Cityscapes' eval_size, its native 1024×2048,
// while it trains on 512×1024 crops), which takes a second evaluation plan when it differs from the training
// size. Plans are compiled once per shape and loaded into the run's BufferStore, so they read the training
// plan's weight and state buffers (shared by name, never copied) and its arenas (LoadOptions.shareArenas).
// Batches are assembled at the images' own size when the dataset has one and reach the plan through
// `eval augment` and a resize on the GPU.
import type { CompiledExperiment, Setting } from '../../compiler/index.ts';
import { compileEvalAt, declaredSource, evalSizeOf } from '../../compiler/index.ts';
import type { PlanLimits } from '../../compiler/index.ts';
import { CompileError } from '../../diagnostics/index.ts';
import type { Augmenter } from '../data/augment.ts';
import { dataAugmenter } from '../data/augment.ts';
import type { RunData } from '../data/run-data.ts';
import { RunError } from '../errors.ts';
import type { BufferStore, LoadedPlan } from '../executor.ts';
import { loadPlan } from '../executor.ts';

export interface EvalTarget {
  /** The experiment as compiled for the evaluation size (its shape, eval graph and plan). */
  compiled: CompiledExperiment;
  loaded: LoadedPlan;
  /** How batches reach it (EvaluateOptions.input). */
  input: { size: [number, number]; augmenter?: Augmenter };
}

/** Eval plans by store and shape: one compile and load per size a run evaluates at. */
const plans = new WeakMap<
  BufferStore,
  Map<string, Promise<{ compiled: CompiledExperiment; loaded: LoadedPlan }>>
>();

/** The [H, W] training batches are assembled at: the images' own size, else the declared one. */
export function trainInputSize(compiled: CompiledExperiment, data: RunData): [number, number] {
  return data.nativeSize ?? declaredSource(compiled.config.data);
}

/**
 * The evaluation of a run: the plan at the evaluation size (`loaded` when that is the training size) and the
 * augmenter from the assembled batches to it. A network that cannot take the evaluation size is a RunError.
 */
export async function evalTarget(
  store: BufferStore,
  compiled: CompiledExperiment,
  loaded: LoadedPlan,
  data: RunData,
  transforms: Setting | undefined,
  options: { target?: 'cpu' | 'gpu'; limits?: Partial<PlanLimits>; predictions?: boolean } = {},
): Promise<EvalTarget> {
  const config = compiled.config;
  const size = evalSizeOf(config.data);
  let at = { compiled, loaded };
  if (size[0] !== compiled.shape.height || size[1] !== compiled.shape.width) {
    let byShape = plans.get(store);
    if (!byShape) plans.set(store, (byShape = new Map()));
    const key = `${compiled.spec.name}:${size.join('x')}:${options.predictions ? 'predictions' : ''}`;
    let entry = byShape.get(key);
    if (!entry) {
      entry = (async () => {
        let other: CompiledExperiment;
        try {
          other = compileEvalAt(compiled, size, options);
        } catch (error) {
          if (!(error instanceof CompileError)) throw error;
          throw new RunError(
            `The evaluation size ${size[0]}×${size[1]} does not fit the network (eval_size of ` +
              `'${config.data.name}'):\n${error.message}`,
          );
        }
        return { compiled: other, loaded: await loadPlan(store, other.evalPlan, { shareArenas: true }) };
      })();
      byShape.set(key, entry);
    }
    at = await entry;
  }
  const input = data.nativeSize ?? size;
  const augmenter = await dataAugmenter(
    store.device,
    transforms,
    input,
    size,
    config.train.batch,
    compiled.shape.channels,
    'eval augment',
    config.data.multilabel ? config.data.classes : 1,
  );
  return { ...at, input: { size: input, augmenter } };
}
