// `segc test`: evaluates the model a run saved on a split of the experiment's dataset: the model of the epoch
// `eval.select` picked (DIR/model-best.safetensors, with the params of that epoch), or with `last` the model
// after the last epoch (DIR/model.safetensors, with the params of DIR/checkpoint.safetensors), with every
// metric of the eval and test sections; prints the per-class table and writes DIR/test-<split>.json (values,
// tables, confusion matrix) and, asked, the class maps: DIR/predictions-<split>.safetensors and
// DIR/<split>_results/<id>.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeSafetensorsFile } from '../checkpoint/safetensors.ts';
import { readPlanBuffer } from '../executor.ts';
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

export interface TestOptions {
  checkpoint: string;
  split?: 'train' | 'val' | 'test';
  /**
   * Also write DIR/predictions-<split>.safetensors: the predicted class of every pixel, u8 [images, H, W].
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
  // The split of the experiment's dataset (listed, not scanned: a bad file is named when it is read).
  const data = await openRunData(model.compiled.config.data, model.compiled.config.train.batch, {
    scan: false,
  }).catch((error) => {
    throw error instanceof DataError
      ? new RunError(error.message, { code: error.code as MessageCode | undefined })
      : error;
  });
  try {
    const set = data[split];
    if (!set) throw userError('SEG6105', [split, model.compiled.config.data.name]);
    if (options.savePredictions && model.compiled.shape.depth !== undefined) {
      throw userError('SEG6106', []);
    }
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
    const plane = height * width;
    const predictions = new Uint8Array(options.savePredictions ? count * plane : 0);
    const output = compiled.evalPlan.outputs.find((o) => o.name === 'prediction');
    const readPredictions =
      options.savePredictions && output
        ? async (first: number, images: number) => {
            const values = await readPlanBuffer(loaded, output.buffer);
            for (let i = 0; i < images * plane; i++) predictions[first * plane + i] = values[i];
          }
        : undefined;
    // Every metric of the eval and test sections, with the per-class tables and the confusion matrix.
    const config = compiled.config;
    const metrics = [...new Set([...config.eval.metrics, ...config.test.metrics])];
    const result = await evaluate(compiled, loaded, set, uniforms, readPredictions, {
      metrics,
      detail: true,
      input: at.input,
    });
    const shown = metrics
      .filter((m) => result.values[m] !== undefined)
      .map((m) => `${m} ${result.values[m].toFixed(4)}`)
      .join('  ');
    log(`segc test: ${compiled.spec.name} on ${split} (${count} images) from ${modelPath}: ${shown}`);
    for (const line of formatClassTable(result.tables ?? {}, data.dataset.classNames)) log(`  ${line}`);
    const record: TestResult = { split, params, ...result };
    await writeFileAtomic(
      join(options.checkpoint, `test-${split}.json`),
      `${JSON.stringify(record, null, 2)}\n`,
    );
    if (options.savePredictions) {
      const path = join(options.checkpoint, `predictions-${split}.safetensors`);
      const tensors = {
        predictions: { dtype: 'U8' as const, shape: [count, height, width], data: predictions },
      };
      await writeSafetensorsFile(path, tensors, { experiment: compiled.spec.name, split });
      // One class-index PNG per sample, named by its id (upstream's <split>_results/<id>.png).
      const folder = join(options.checkpoint, `${split}_results`);
      mkdirSync(folder, { recursive: true });
      const palette = paletteOf(config.data.name);
      const ids = sampleIds(data, set);
      for (let i = 0; i < count; i++) {
        const map = predictions.subarray(i * plane, (i + 1) * plane);
        await writeLabelPng(join(folder, `${ids[i]}.png`), map, height, width, palette);
      }
      log(`  predictions: ${path} and ${count} PNG files in ${folder}`);
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
