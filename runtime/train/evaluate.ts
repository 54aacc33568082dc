// Evaluation of a compiled experiment on a dataset split (loss terms and metrics accumulated on the GPU, read
// once), shared by training (every `eval.every` epochs) and `segc test`.
import type { CompiledExperiment } from '../compile.ts';
import type { SegmentationSet } from '../data/shapes.ts';
import { generateShapes } from '../data/shapes.ts';
import type { LoadedPlan } from '../executor.ts';
import { executePlan, readBuffer, writeBuffer } from '../executor.ts';
import { computeMetrics } from '../metrics/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { makeBatch } from './batches.ts';
import type { DataSplit } from '../data/run-data.ts';
import type { RunConfig } from './config.ts';

export interface Evaluation {
  values: Record<string, number>;
  dicePerClass: number[];
  /** Foreground classes in the split's labels that the model never predicted. */
  unpredicted: number[];
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
): Promise<Evaluation> {
  zero(loaded.device, loaded);
  const batch = compiled.config.train.batch;
  const count = 'loader' in set ? set.indices.length : set.count;
  const batches = Math.ceil(count / batch);
  const decoded = 'loader' in set ? set.loader.batches(set.split, set.indices) : undefined;
  for (let k = 0; k < batches; k++) {
    const indices = Array.from({ length: Math.min(batch, count - k * batch) }, (_, i) => k * batch + i);
    const b = decoded ? (await decoded.next()).value! : makeBatch(set as SegmentationSet, indices, batch);
    executePlan(loaded, { uniforms: params, inputs: { image: b.image, labels: b.labels } });
    if (afterBatch) await afterBatch(k * batch, indices.length);
  }
  const sums = await readAccumulator(loaded);
  const get = (name: string) => sums.get(name)!;
  const terms = Object.fromEntries(compiled.eval.terms.map((t) => [t, get(t)[0] / batches]));
  const metrics: Metrics = computeMetrics({
    intersection: get('metric.intersection'),
    predicted: get('metric.predicted'),
    target: get('metric.target'),
    proportionError: get('metric.proportion_error')[0],
    images: count,
  });
  const values = {
    ...terms,
    dice: metrics.dice,
    miou: metrics.miou,
    proportion_error: metrics.proportion_error,
  };
  return { values, dicePerClass: metrics.dicePerClass, unpredicted: metrics.unpredicted };
}

export function zero(device: GPUDevice, loaded: LoadedPlan): void {
  const index = loaded.plan.accumulator!;
  writeBuffer(device, loaded.buffers[index], new Float32Array(loaded.plan.buffers[index].elements));
}

async function readAccumulator(loaded: LoadedPlan): Promise<Map<string, Float64Array>> {
  const data = await readBuffer(loaded.device, loaded.buffers[loaded.plan.accumulator!]);
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
