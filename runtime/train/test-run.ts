// `segc test`: evaluates the model a run saved on a split of the experiment's dataset: the model of the epoch
// `eval.select` picked (DIR/model-best.safetensors, with the params of that epoch), or with `last` the model
// after the last epoch (DIR/model.safetensors, with the params of DIR/checkpoint.safetensors), with every
// metric of the eval and test sections; prints the per-class table and writes DIR/test-<split>.json (values,
// tables, confusion matrix) and, asked, the class maps: DIR/predictions-<split>.safetensors and
// DIR/<split>_results/<id>.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeSafetensorsFile } from '../checkpoint/safetensors.ts';
import { readPlanBuffer, readPlanInput } from '../executor.ts';
import { userError } from '../../diagnostics/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';
import { RunError } from './session.ts';
import type { Override } from '../../compiler/index.ts';
import type { DevicePreference, OpenedDevice } from '../device.ts';
import type { Evaluation } from './evaluate.ts';
import { evaluate } from './evaluate.ts';
import { openSavedModel } from './saved-model.ts';
import { planLimits, stageExperiment } from '../../compiler/index.ts';
import { evalTarget } from './eval-plan.ts';
import { DataError } from '../data/errors.ts';
import { openRunData } from '../data/run-data.ts';
import type { DataSplit, RunData } from '../data/run-data.ts';
import { formatClassTable } from '../metrics/table.ts';
import { paletteOf, writeLabelPng } from './label-png.ts';
import { writeLabelNifti } from './label-nifti.ts';
import type { Sample } from '../data/dataset.ts';

/** How many samples' plan inputs a predictions file keeps (the report shows three). */
export const SHOWN_INPUTS = 4;

export interface TestOptions {
  checkpoint: string;
  split?: 'train' | 'val' | 'test';
  /**
   * Also write DIR/predictions-<split>.safetensors: the predicted class of every pixel, u8 [images, H, W]
   * (multilabel masks: each channel's 0/1, [images, K, H, W]), and the first SHOWN_INPUTS samples' inputs
   * as the plan saw them: `image` u8 [n, C, H, W] and `labels` u8 [n, (K,) H, W].
   */
  savePredictions?: boolean;
  overrides?: Record<string, Override>;
  /** Test the model after the last epoch instead of the selected (best) one. */
  last?: boolean;
  /** Which adapter to open, or an opened device to use (testing after training). */
  device?: DevicePreference | OpenedDevice;
  log?: (line: string) => void;
}

export interface TestResult extends Evaluation {
  split: string;
  params: Record<string, number>;
}

export async function testCheckpoint(file: string, options: TestOptions): Promise<TestResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  // What the command line leaves out, the experiment's `test` section says (split, save_predictions).
  const staged = stageExperiment(file, { check: true, overrides: options.overrides });
  const section = staged.config.test;
  const written = staged.spec.test?.split !== undefined ? (section.split as TestOptions['split']) : undefined;
  const split = options.split ?? written ?? 'val';
  options = { ...options, savePredictions: options.savePredictions ?? section.savePredictions };
  const model = await openSavedModel(file, {
    ...options,
    what: 'test',
    predictions: options.savePredictions,
  });
  const { opened, shared, params, uniforms, modelPath } = model;
  // The split of the experiment's dataset, scanned (its bad files named at once, and its images' one size
  // found: batches are assembled at it and resized on the GPU, as in training's evaluation).
  const data = await openRunData(model.compiled.config.data, model.compiled.config.train.batch, {
    scan: [split],
  }).catch((error) => {
    throw error instanceof DataError
      ? new RunError(error.message, { code: error.code as MessageCode | undefined })
      : error;
  });
  try {
    const set = data[split];
    if (!set) throw userError('SEG6105', [split, model.compiled.config.data.name]);
    // At the dataset's evaluation size (runtime/train/eval-plan.ts; a second plan when it differs), through
    // `test augment` (default: `eval augment`).
    const blocks = model.compiled.spec.blocks?.data;
    const at =
      model.compiled.shape.depth === undefined
        ? await evalTarget(
            model.store,
            model.compiled,
            model.loaded,
            data,
            blocks?.['test augment'] ?? blocks?.['eval augment'],
            {
              target: model.target,
              limits: planLimits(opened.device.limits),
              predictions: options.savePredictions,
            },
          )
        : { compiled: model.compiled, loaded: model.loaded, input: undefined };
    const { compiled, loaded } = at;
    const count = set.indices.length;
    const [height, width] = [compiled.shape.height, compiled.shape.width];
    // Multilabel masks: a 0/1 map per channel ([images, K, H, W]); else the class map [images, H, W].
    const planes = compiled.eval.multilabel ? compiled.config.data.classes : 1;
    const plane = planes * height * width;
    const flat = compiled.shape.depth === undefined;
    const predictions = new Uint8Array(options.savePredictions && flat ? count * plane : 0);
    const output = compiled.evalPlan.outputs.find((o) => o.name === 'prediction');
    // The first samples' inputs as the plan saw them (u8, after `eval augment`), beside their predictions:
    // what a report overlays them on, at the predictions' own geometry.
    const shown = Math.min(SHOWN_INPUTS, count);
    const channels = compiled.shape.channels;
    const inputs = {
      image: new Uint8Array(shown * channels * height * width),
      labels: new Uint8Array(shown * plane),
    };
    const readInputs = async (first: number, images: number) => {
      for (const [name, into] of Object.entries(inputs)) {
        const per = into.length / Math.max(1, shown);
        const bytes = await readPlanInput(loaded, name);
        into.set(bytes.subarray(0, Math.min(images, shown - first) * per), first * per);
      }
    };
    const readPredictions =
      options.savePredictions && output && flat
        ? async (first: number, images: number) => {
            const values = await readPlanBuffer(loaded, output.buffer);
            for (let i = 0; i < images * plane; i++) predictions[first * plane + i] = values[i];
            if (first < shown) await readInputs(first, images);
          }
        : undefined;
    // Every metric of the eval and test sections, with the per-class tables and the confusion matrix.
    const config = compiled.config;
    const metrics = [...new Set([...config.eval.metrics, ...config.test.metrics])];
    // Volumes: each class map as a NIfTI label file with its image's geometry (nnU-Net's predictions).
    const volumes = options.savePredictions && !flat;
    const folder = join(options.checkpoint, `${split}_results`);
    const written: string[] = [];
    const onVolume = async (index: number, sample: Sample, map: Uint8Array) => {
      const entry = data.dataset.entry!(set.split, index);
      mkdirSync(folder, { recursive: true });
      const path = join(folder, `${entry.id.replace(/[\\/]/g, '_')}.nii.gz`);
      await writeLabelNifti(path, entry.image, map, sample.size);
      written.push(path);
    };
    const result = await evaluate(compiled, loaded, set, uniforms, readPredictions, {
      metrics,
      detail: true,
      input: at.input,
      ...(volumes ? { onVolume } : {}),
    });
    const scores = metrics
      .filter((m) => result.values[m] !== undefined)
      .map((m) => `${m} ${result.values[m].toFixed(4)}`)
      .join('  ');
    log(`segc test: ${compiled.spec.name} on ${split} (${count} images) from ${modelPath}: ${scores}`);
    for (const line of formatClassTable(result.tables ?? {}, data.dataset.classNames)) log(`  ${line}`);
    const record: TestResult = { split, params, ...result };
    await writeFileAtomic(
      join(options.checkpoint, `test-${split}.json`),
      `${JSON.stringify(record, null, 2)}\n`,
    );
    if (volumes) log(`  predictions: ${written.length} NIfTI label files in ${folder}`);
    else if (options.savePredictions) {
      const path = join(options.checkpoint, `predictions-${split}.safetensors`);
      const shape = planes > 1 ? [count, planes, height, width] : [count, height, width];
      const tensors = {
        predictions: { dtype: 'U8' as const, shape, data: predictions },
        image: { dtype: 'U8' as const, shape: [shown, channels, height, width], data: inputs.image },
        labels: { dtype: 'U8' as const, shape: [shown, ...shape.slice(1)], data: inputs.labels },
      };
      const ids = sampleIds(data, set);
      const metadata = { experiment: compiled.spec.name, split, ids: JSON.stringify(ids.slice(0, shown)) };
      await writeSafetensorsFile(path, tensors, metadata);
      // One class-index PNG per sample, named by its id (upstream's <split>_results/<id>.png).
      mkdirSync(folder, { recursive: true });
      const palette = paletteOf(config.data.name);
      let files = 0;
      for (let i = 0; i < count; i++) {
        const map = predictions.subarray(i * plane, (i + 1) * plane);
        if (planes === 1) {
          await writeLabelPng(join(folder, `${ids[i]}.png`), map, height, width, palette);
          files++;
          continue;
        }
        // Multilabel: the dataset's own layout, <id>/<class>.png (0/255) for each channel with a positive
        // pixel (a missing file is no lesion), so the folder reads back as labels.
        const names = data.dataset.classNames ?? [];
        mkdirSync(join(folder, ids[i]), { recursive: true });
        for (let k = 0; k < planes; k++) {
          const mask = map.subarray(k * height * width, (k + 1) * height * width).map((v) => v * 255);
          if (!mask.some((v) => v > 0)) continue;
          await writeLabelPng(join(folder, ids[i], `${names[k] ?? k}.png`), mask, height, width);
          files++;
        }
      }
      log(`  predictions: ${path} and ${files} PNG files in ${folder}`);
    }
    return record;
  } finally {
    await data.close();
    if (!shared) opened.device.destroy();
  }
}

/** Each sample's id (its file stem), or its index in the split for a generated set, as a file name. */
function sampleIds(data: RunData, set: DataSplit): string[] {
  const width = String(set.indices.length - 1).length;
  return set.indices.map((index, i) => {
    const id = data.dataset.entry?.(set.split, index).id;
    return id ? id.replace(/[\\/]/g, '_') : `${set.split}-${String(i).padStart(width, '0')}`;
  });
}
