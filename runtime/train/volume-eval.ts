// Evaluation of a volume split: each whole volume (decoded by the loader) is uploaded once, its `eval
// augment` (zscore) applied on the GPU, predicted by sliding window through the eval plan at patch size
// (volume-inference.ts; with the dataset's `mirror`, each window averaged over its 8 mirrorings), and scored
// on the whole volume: the confusion matrix of its valid voxels (counted on the GPU) gives dice, miou, macc,
// the per-class tables and the proportion error; hd95 and nsd run the surface kernels on the volume's class
// map at the voxel spacing of its header (unless the metric gives a 3-D one). The loss terms are the eval
// plan's, averaged over the windows' runs.
import type { CompiledExperiment } from '../../compiler/index.ts';
import type { Sample } from '../data/dataset.ts';
import type { DataSplit } from '../data/run-data.ts';
import { VolumeAugmenter, volumeStages } from '../data/augment-3d.ts';
import type { LoadedPlan } from '../executor.ts';
import { executePlan, readBuffer } from '../executor.ts';
import { computeMetrics } from '../metrics/index.ts';
import { confusionMatrix, perClassDice, perClassIou } from '../metrics/confusion.ts';
import type { SplitSums } from '../metrics/metric.ts';
import { foregroundClasses } from '../metrics/metric.ts';
import { createMetrics } from '../metrics/registry.ts';
import { SurfaceAccumulator } from '../metrics/surface-kernels.ts';
import type { SurfaceSums } from '../metrics/surface-kernels.ts';
import { InternalError } from '../../diagnostics/index.ts';
import type { EvaluateOptions, Evaluation } from './evaluate.ts';
import { readTerms, zero } from './evaluate.ts';
import { VolumeInference } from './volume-inference.ts';

const EPS = 1e-10;
const SURFACE = ['hd95', 'nsd'];

/** The volume's image as planar u8 [C, D, H, W] (decoded samples keep the channels last). */
export function planar(sample: Sample): Uint8Array {
  const c = sample.channels;
  if (c === 1) return sample.image;
  const n = sample.image.length / c;
  const out = new Uint8Array(sample.image.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) out[k * n + i] = sample.image[i * c + k];
  return out;
}

/** Inference kernels and eval stages per loaded eval plan (created once per run). */
const tools = new WeakMap<LoadedPlan, Promise<{ inference: VolumeInference; augmenter: VolumeAugmenter }>>();

function toolsOf(compiled: CompiledExperiment, loaded: LoadedPlan) {
  let entry = tools.get(loaded);
  if (!entry) {
    const shape = compiled.shape;
    const patch = [shape.depth!, shape.height, shape.width];
    const logits = loaded.plan.outputs.find((o) => o.name === 'logits');
    const cells = patch.reduce((a, b) => a * b, 1);
    const outputs = logits ? logits.elements / (compiled.config.train.batch * cells) : undefined;
    const stages = volumeStages(compiled.spec.blocks?.data?.['eval augment'], patch, 'eval augment');
    entry = (async () => ({
      inference: await VolumeInference.create(loaded.device, {
        patch,
        batch: compiled.config.train.batch,
        channels: shape.channels,
        outputs: outputs ?? (compiled.eval.binary ? 1 : compiled.config.data.classes),
        ignore: shape.ignore,
        mirror: compiled.config.data.options.mirror === true,
      }),
      augmenter: await VolumeAugmenter.create(loaded.device, stages, shape.channels, shape.ignore),
    }))();
    tools.set(loaded, entry);
  }
  return entry;
}

export async function evaluateVolumes(
  compiled: CompiledExperiment,
  loaded: LoadedPlan,
  split: DataSplit,
  params: Record<string, number>,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const device = loaded.device;
  const config = compiled.config;
  const names = options.metrics ?? config.eval.metrics;
  const given = options.options ?? { ...config.test.options, ...config.eval.options };
  const { inference, augmenter } = await toolsOf(compiled, loaded);
  const classes = inference.classes;
  const find = (name: string) => loaded.plan.buffers.findIndex((b) => b.name === `input:${name}`);
  const logitsOutput = loaded.plan.outputs.find((o) => o.name === 'logits');
  if (!logitsOutput || find('image') < 0 || find('labels') < 0) {
    throw new InternalError('the evaluation plan of a volume experiment has no logits or inputs');
  }
  const inputs = { image: loaded.buffers[find('image')], labels: loaded.buffers[find('labels')] };
  const logits = loaded.buffers[logitsOutput.buffer];
  zero(device, loaded);
  const count = split.indices.length;
  const confusion = inference.buffer('confusion', Math.max(1, count) * classes * classes * 4);
  const surfaces = new Map<string, Promise<SurfaceAccumulator>>();
  const surfaceNames = names.filter((n) => SURFACE.includes(n));
  let runs = 0;
  for (const [v, index] of split.indices.entries()) {
    const sample = await split.loader.sample(split.split, index);
    if (!sample) continue;
    const volume = {
      size: sample.size,
      image: inference.buffer('image', planar(sample)),
      labels: inference.buffer('labels', sample.labels ?? new Uint8Array(sample.image.length).fill(255)),
    };
    // `eval augment` (zscore) on the whole volume, before its windows.
    augmenter.apply(volume, sample.size, 1, new Float32Array(augmenter.stages.length * 12 || 1));
    const prediction = await inference.predict(
      volume,
      inputs,
      logits,
      () => {
        executePlan(loaded, { uniforms: params });
        runs++;
      },
      confusion,
      v * classes * classes,
    );
    if (options.onVolume) {
      const voxels = sample.size.reduce((a, b) => a * b, 1);
      const map = (await readBuffer(device, prediction.predicted)).subarray(0, voxels);
      await options.onVolume(index, sample, Uint8Array.from(map));
    }
    for (const name of surfaceNames) {
      const spacing = spacingOf(given[name], sample);
      const tolerance = Number(given.nsd?.tolerance ?? 1);
      const key = `${sample.size.join('x')}:${spacing.join(',')}`;
      let accumulator = surfaces.get(key);
      if (!accumulator) {
        accumulator = SurfaceAccumulator.create(device, {
          images: 1,
          size: sample.size,
          spacing,
          classes: Array.from({ length: classes - 1 }, (_, c) => c + 1),
          classCount: classes,
          tolerance,
          ignore: compiled.shape.ignore,
        });
        surfaces.set(key, accumulator);
      }
      (await accumulator).accumulate(prediction.predicted, volume.labels);
      break; // hd95 and nsd read one accumulator per geometry
    }
    await device.queue.onSubmittedWorkDone();
    prediction.destroy();
    volume.image.destroy();
    volume.labels.destroy();
  }
  const terms = await readTerms(loaded, compiled.eval.terms, Math.max(1, runs));
  const counts = new Uint32Array((await readBuffer(device, confusion)).buffer, 0, count * classes * classes);
  confusion.destroy();
  // The split's confusion matrix and each volume's proportion error (valid voxels' class shares).
  const total = new Float64Array(classes * classes);
  let proportionError = 0;
  for (let v = 0; v < count; v++) {
    const m = counts.subarray(v * classes * classes, (v + 1) * classes * classes);
    m.forEach((n, i) => (total[i] += n));
    const valid = m.reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++) {
      let p = 0;
      let t = 0;
      for (let k = 0; k < classes; k++) {
        p += m[c * classes + k];
        t += m[k * classes + c];
      }
      proportionError += Math.abs((p + EPS) / (valid + EPS) - (t + EPS) / (valid + EPS));
    }
  }
  const sums: SplitSums = {
    sums: new Map([
      ['metric.confusion', total],
      ['metric.proportion_error', Float64Array.of(proportionError)],
    ]),
    images: count,
    classes,
    binary: compiled.eval.binary ?? false,
  };
  const matrix = confusionMatrix(sums);
  const intersection = Float64Array.from(matrix, (row, c) => row[c]);
  const predicted = Float64Array.from(matrix, (row) => row.reduce((a, b) => a + b, 0));
  const target = Float64Array.from(matrix, (_, k) => matrix.reduce((a, row) => a + row[k], 0));
  const summary = computeMetrics({ intersection, predicted, target, proportionError, images: count });
  const values: Record<string, number> = {
    ...terms,
    dice: summary.dice,
    miou: summary.miou,
    proportion_error: summary.proportion_error,
  };
  const tables: Record<string, number[]> = {
    per_class_iou: perClassIou(sums),
    per_class_dice: perClassDice(sums),
  };
  // Per case (nnU-Net's per-case Dice): each volume's foreground classes from its own counts.
  if (names.includes('dice_per_image')) Object.assign(values, casesDice(counts, count, classes, tables));
  // The metrics read from the confusion matrix, as the 2-D evaluation finalizes them.
  const plain = names.filter((n) => !SURFACE.includes(n) && n !== 'dice_per_image');
  const metrics = await createMetrics(
    plain.map((name) => ({ name, options: given[name] as Record<string, unknown> | undefined })),
    { device, classes, binary: sums.binary, batch: 1, size: [1, 1, 1], ignore: compiled.shape.ignore },
  );
  for (const m of metrics) {
    const result = await m.finalize(sums);
    if (result.value !== undefined) values[m.name] = result.value;
    if (result.table !== undefined && !['dice', 'miou'].includes(m.name)) tables[m.name] = result.table;
  }
  // The surface metrics: per class, the mean over the volumes scored (MedPy's skips, surface-kernels.ts).
  if (surfaceNames.length > 0) {
    const read: SurfaceSums[] = await Promise.all([...surfaces.values()].map(async (a) => (await a).read()));
    for (const name of surfaceNames) {
      const pick = (s: SurfaceSums) => (name === 'hd95' ? s.hd95 : s.nsd);
      const table = Array.from({ length: classes }, (_, c) => {
        const sum = read.reduce((a, s) => a + pick(s)[c].sum, 0);
        const images = read.reduce((a, s) => a + pick(s)[c].images, 0);
        return images > 0 ? sum / images : NaN;
      });
      const sum = read.reduce((a, s) => a + pick(s).reduce((x, e) => x + e.sum, 0), 0);
      const images = read.reduce((a, s) => a + pick(s).reduce((x, e) => x + e.images, 0), 0);
      values[name] = images > 0 ? sum / images : NaN;
      tables[name] = table;
    }
    for (const a of surfaces.values()) (await a).destroy();
  }
  return {
    values,
    dicePerClass: summary.dicePerClass,
    unpredicted: summary.unpredicted,
    proportions: summary.proportions,
    tables,
    ...(options.detail ? { confusion: matrix } : {}),
  };
}

/**
 * `dice_per_image` on volumes: per volume with a valid voxel and per foreground class, (2I + EPS) /
 * (P + T + EPS) of its class map (the argmax of the sliding-window probabilities); the table holds each
 * class's mean over the volumes, the value the mean over (volume, class). Sets the table in `tables`.
 */
function casesDice(
  counts: Uint32Array,
  count: number,
  classes: number,
  tables: Record<string, number[]>,
): Record<string, number> {
  const foreground = foregroundClasses(classes);
  const sums = new Float64Array(classes);
  let scored = 0;
  for (let v = 0; v < count; v++) {
    const m = counts.subarray(v * classes * classes, (v + 1) * classes * classes);
    if (m.every((n) => n === 0)) continue; // no valid voxel
    scored++;
    for (const c of foreground) {
      let [p, t] = [0, 0];
      for (let k = 0; k < classes; k++) [p, t] = [p + m[c * classes + k], t + m[k * classes + c]];
      sums[c] += (2 * m[c * classes + c] + EPS) / (p + t + EPS);
    }
  }
  const table = Array.from({ length: classes }, (_, c) =>
    foreground.includes(c) && scored > 0 ? sums[c] / scored : NaN,
  );
  tables.dice_per_image = table;
  const value = foreground.reduce((a, c) => a + table[c], 0) / foreground.length;
  return { dice_per_image: scored > 0 ? value : NaN };
}

/** A surface metric's spacing: a 3-D one it gives, else the volume's header spacing [d, h, w]. */
function spacingOf(options: Record<string, unknown> | undefined, sample: Sample): number[] {
  const given = options?.spacing as number[] | undefined;
  if (given && given.length === 3) return given;
  return sample.spacing ?? [1, 1, 1];
}
