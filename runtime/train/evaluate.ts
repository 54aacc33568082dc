// Evaluation of a compiled experiment on a dataset split (loss terms and metrics accumulated on the GPU, read
// once), shared by training (every `eval.every` epochs) and `segc test`.
import type { CompiledExperiment } from '../../compiler/index.ts';
import type { SegmentationSet } from '../data/shapes.ts';
import { generateShapes } from '../data/shapes.ts';
import type { LoadedPlan } from '../executor.ts';
import { executePlan, readPlanBuffer, writeBuffer } from '../executor.ts';
import { computeMetrics } from '../metrics/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { classSums, confusionMatrix, perClassDice, perClassIou } from '../metrics/confusion.ts';
import type { EvaluatedBatch, Metric, SplitSums } from '../metrics/metric.ts';
import { createMetrics } from '../metrics/registry.ts';
import { makeBatch } from './batches.ts';
import { evaluateVolumes } from './volume-eval.ts';
import type { Augmenter } from '../data/augment.ts';
import { planInputs } from '../data/augment.ts';
import type { DataSplit } from '../data/run-data.ts';
import type { RunConfig } from '../../compiler/index.ts';
import type { Sample } from '../data/dataset.ts';

export interface Evaluation {
  values: Record<string, number>;
  dicePerClass: number[];
  /** Foreground classes in the split's labels that the model never predicted. */
  unpredicted: number[];
  /** Each class's share of the split's valid pixels, predicted and true. */
  proportions?: { predicted: number[]; target: number[] };
  /**
   * Per-class tables, one value per class: IoU and Dice over the split (`per_class_iou`, `per_class_dice`)
   * and each requested metric's own (`hd95`, `nsd`, `dice_per_image`: the mean over the class's images).
   */
  tables?: Record<string, number[]>;
  /** The split's confusion matrix (rows: predicted class, columns: label; valid pixels), with `detail`. */
  confusion?: number[][];
}

export interface EvaluateOptions {
  /** The metrics to finalize (default: the experiment's eval metrics). */
  metrics?: string[];
  /** Their options by name (default: the experiment's eval and test options). */
  options?: Record<string, Record<string, unknown>>;
  /** Keep the confusion matrix in the result (segc test). */
  detail?: boolean;
  /**
   * How batches reach the plan (runtime/train/eval-plan.ts): assembled at `size` (default the plan's) and
   * resized on the GPU by `augmenter` (`eval augment`, then a resize to the plan's size).
   */
  input?: { size: [number, number]; augmenter?: Augmenter };
  /** Volumes: called with each volume's class map (u8 [D, H, W], the argmax) after it is predicted. */
  onVolume?: (index: number, sample: Sample, classMap: Uint8Array) => Promise<void>;
}

/** The training and validation splits of the experiment's dataset (seeded: the same images every time). */
export function datasetSplits(config: RunConfig): { train: SegmentationSet; val: SegmentationSet } {
  const data = config.data;
  const common = { size: data.size, classes: data.classes, foreground: data.foreground };
  return {
    train: generateShapes({ ...common, count: data.train, seed: data.seed }),
    val: generateShapes({ ...common, count: data.val, seed: data.seed + 1_000_003 }),
  };
}

export async function evaluate(
  compiled: CompiledExperiment,
  loaded: LoadedPlan,
  /** A split of the run's dataset (decoded by its loader), or a generated shapes set. */
  set: SegmentationSet | DataSplit,
  params: Record<string, number>,
  /** Called after each batch with its first image's index and image count (to read 'tensor' outputs back). */
  afterBatch?: (first: number, count: number) => Promise<void>,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  // Volumes: each whole volume by sliding window (volume-eval.ts).
  if (compiled.shape.depth !== undefined && 'loader' in set)
    return evaluateVolumes(compiled, loaded, set, params, options);
  zero(loaded.device, loaded);
  const names = options.metrics ?? compiled.config.eval.metrics;
  const metrics = await metricsOf(compiled, loaded, names, options.options);
  for (const m of metrics) m.reset?.();
  const gpuBatch = batchBuffers(loaded);
  const batch = compiled.config.train.batch;
  const count = 'loader' in set ? set.indices.length : set.count;
  const batches = Math.ceil(count / batch);
  const decoded =
    'loader' in set ? set.loader.batches(set.split, set.indices, options.input?.size) : undefined;
  const augmenter = options.input?.augmenter;
  for (let k = 0; k < batches; k++) {
    const indices = Array.from({ length: Math.min(batch, count - k * batch) }, (_, i) => k * batch + i);
    const b = decoded ? (await decoded.next()).value! : makeBatch(set as SegmentationSet, indices, batch);
    if (augmenter) {
      const samples = 'loader' in set ? indices.map((i) => set.indices[i]) : indices;
      const encode = augmenter.prepare(b.image, b.labels, samples, 0, 0, planInputs(loaded));
      executePlan(loaded, { uniforms: params, encode });
    } else executePlan(loaded, { uniforms: params, inputs: { image: b.image, labels: b.labels } });
    // Metrics with kernels of their own read the batch's class map and labels where they lie.
    for (const m of metrics) if (m.accumulate && gpuBatch) m.accumulate(gpuBatch);
    if (afterBatch) await afterBatch(k * batch, indices.length);
  }
  const sums = await readAccumulator(loaded);
  const get = (name: string) => sums.get(name)!;
  const terms = Object.fromEntries(compiled.eval.terms.map((t) => [t, get(t)[0] / batches]));
  const split: SplitSums = {
    sums,
    images: count,
    classes: compiled.config.data.classes,
    binary: compiled.eval.binary ?? false,
    multilabel: compiled.eval.multilabel ?? false,
  };
  const { intersection, predicted, target } = classSums(split);
  const summary: Metrics = computeMetrics({
    intersection: Float64Array.from(intersection),
    predicted: Float64Array.from(predicted),
    target: Float64Array.from(target),
    proportionError: get('metric.proportion_error')[0],
    images: count,
    ...(split.multilabel ? { valid: get('metric.channel_valid') } : {}),
  });
  // dice, miou and proportion_error are always reported (summaries and reports read them).
  const values: Record<string, number> = {
    ...terms,
    dice: summary.dice,
    miou: summary.miou,
    proportion_error: summary.proportion_error,
  };
  const tables: Record<string, number[]> = {
    per_class_iou: perClassIou(split),
    per_class_dice: perClassDice(split),
  };
  for (const m of metrics) {
    const result = await m.finalize(split);
    if (result.value !== undefined) values[m.name] = result.value;
    if (result.table !== undefined && !['dice', 'miou'].includes(m.name)) tables[m.name] = result.table;
  }
  return {
    values,
    dicePerClass: summary.dicePerClass,
    unpredicted: summary.unpredicted,
    proportions: summary.proportions,
    tables,
    ...(options.detail ? { confusion: confusionMatrix(split) } : {}),
  };
}

/** The metrics of a loaded eval plan, created once per plan and set of names (GPU resources kept). */
const created = new WeakMap<LoadedPlan, Map<string, Promise<Metric[]>>>();

function metricsOf(
  compiled: CompiledExperiment,
  loaded: LoadedPlan,
  names: string[],
  given?: Record<string, Record<string, unknown>>,
): Promise<Metric[]> {
  let byNames = created.get(loaded);
  if (!byNames) created.set(loaded, (byNames = new Map()));
  const key = JSON.stringify([names, given ?? null]);
  let metrics = byNames.get(key);
  if (!metrics) {
    const config = compiled.config;
    const options = given ?? { ...config.test.options, ...config.eval.options };
    const size = [compiled.shape.height, compiled.shape.width];
    metrics = createMetrics(
      names.map((name) => ({ name, options: options[name] as Record<string, unknown> | undefined })),
      {
        device: loaded.device,
        classes: config.data.classes,
        binary: compiled.eval.binary ?? false,
        multilabel: compiled.eval.multilabel ?? false,
        batch: config.train.batch,
        size,
        ignore: compiled.shape.ignore,
      },
    );
    byNames.set(key, metrics);
  }
  return metrics;
}

/** The eval plan's class map and labels buffers (undefined when it has no class map). */
function batchBuffers(loaded: LoadedPlan): EvaluatedBatch | undefined {
  const output = loaded.plan.outputs.find((o) => o.name === 'prediction');
  const labels = loaded.plan.buffers.findIndex((b) => b.name === 'input:labels');
  if (!output || labels < 0) return undefined;
  return { predicted: loaded.buffers[output.buffer], labels: loaded.buffers[labels] };
}

export function zero(device: GPUDevice, loaded: LoadedPlan): void {
  const index = loaded.plan.accumulator!;
  writeBuffer(device, loaded.buffers[index], new Float32Array(loaded.plan.buffers[index].elements));
}

async function readAccumulator(loaded: LoadedPlan): Promise<Map<string, Float64Array>> {
  const data = await readPlanBuffer(loaded, loaded.plan.accumulator!);
  const values = new Map<string, Float64Array>();
  for (const o of loaded.plan.outputs) {
    if (o.offset !== undefined)
      values.set(o.name, Float64Array.from(data.subarray(o.offset, o.offset + o.elements)));
  }
  return values;
}

export async function readTerms(
  loaded: LoadedPlan,
  terms: string[],
  steps: number,
): Promise<Record<string, number>> {
  const values = await readAccumulator(loaded);
  return Object.fromEntries(terms.map((t) => [t, values.get(t)![0] / steps]));
}
