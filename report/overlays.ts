// A few validation images with their truth and each variant's prediction overlaid: the images and labels
// are read again from the run's dataset, the predictions from the run's predictions-val.safetensors (segc
// test --save-predictions; segc sweep writes it for every run). Pictures as inline PNG data.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { readSafetensorsFile } from '../runtime/checkpoint/safetensors.ts';
import { stageExperiment } from '../compiler/index.ts';
import { openRunData } from '../runtime/data/run-data.ts';
import type { ReportRun } from './collect.ts';

export const PREDICTIONS_FILE = 'predictions-val.safetensors';

/** Class colours: background dark, then distinct hues (VOC-like). */
const COLOURS: [number, number, number][] = [
  [0, 0, 0],
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
];

export interface OverlayGrid {
  columns: string[];
  /** Per image: its id and one PNG (base64) per column. */
  rows: { id: string; cells: string[] }[];
}

/** Up to `count` validation images of the first experiment's runs: image, truth, a column per group. */
export async function overlayGrid(runs: ReportRun[], count = 3): Promise<OverlayGrid | undefined> {
  const withPredictions = runs.filter((r) => r.record && existsSync(join(r.dir, PREDICTIONS_FILE)));
  if (withPredictions.length === 0) return undefined;
  const experiment = withPredictions[0].experiment;
  // One run per group (its first seed), in the groups' order.
  const chosen = new Map<string, ReportRun>();
  for (const r of withPredictions)
    if (r.experiment === experiment && !chosen.has(r.group)) chosen.set(r.group, r);
  const first = [...chosen.values()][0];
  const record = first.record!;
  // The experiment file moved or deleted since the sweep: the report without the images.
  if (!existsSync(record.file)) return undefined;
  const staged = stageExperiment(record.file, {
    check: true,
    overrides: record.overrides,
    variant: record.variant,
  });
  const data = await openRunData(staged.config.data, staged.config.train.batch, { scan: false });
  try {
    const n = Math.min(count, data.val.indices.length);
    const batch = (await data.loader.batches(data.val.split, data.val.indices.slice(0, n)).next()).value!;
    const [height, width] = staged.config.data.size;
    const plane = height * width;
    const channels = batch.image.length / (staged.config.train.batch * plane);
    const predictions = new Map<string, Uint8Array>();
    for (const [group, run] of chosen) {
      const file = await readSafetensorsFile(join(run.dir, PREDICTIONS_FILE));
      predictions.set(group, file.tensors.predictions.data as Uint8Array);
    }
    const rows = Array.from({ length: n }, (_, i) => {
      const image = batch.image.subarray(i * channels * plane, (i + 1) * channels * plane);
      const rgb = toRgb(image, channels, plane);
      const truth = batch.labels.subarray(i * plane, (i + 1) * plane);
      const cells = [
        png(rgb, width, height),
        png(blend(rgb, truth), width, height),
        ...[...chosen.keys()].map((g) =>
          png(blend(rgb, predictions.get(g)!.subarray(i * plane, (i + 1) * plane)), width, height),
        ),
      ];
      return { id: batch.ids[i] ?? String(i), cells };
    });
    return { columns: ['image', 'truth', ...chosen.keys()], rows };
  } finally {
    await data.close();
  }
}

/** Planar [C, H, W] bytes as interleaved RGB (grey for one channel). */
function toRgb(image: Uint8Array, channels: number, plane: number): Uint8Array {
  const rgb = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = image[Math.min(c, channels - 1) * plane + p];
  }
  return rgb;
}

/** Labels over the image: each labelled pixel half its class colour; background and ignored pixels as is. */
function blend(rgb: Uint8Array, labels: Uint8Array): Uint8Array {
  const out = Uint8Array.from(rgb);
  labels.forEach((label, p) => {
    if (label === 0 || label === 255) return;
    const colour = COLOURS[label % COLOURS.length];
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((rgb[p * 3 + c] + colour[c]) / 2);
  });
  return out;
}

function png(rgb: Uint8Array, width: number, height: number): string {
  return Buffer.from(encode({ width, height, data: rgb, channels: 3, depth: 8 })).toString('base64');
}
