// Every metric computed on the GPU (the eval graph's staged sums, the surface-distance kernels) against
// float64 NumPy/SciPy values (test/golden/generate_metrics.py: scipy.ndimage.distance_transform_edt for HD95 and
// NSD): hand-made and random maps, 2-D and 3-D, anisotropic spacing, empty truth or prediction, ignored pixels.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { stageMetricSums } from '../../compiler/stage/metrics.ts';
import { createMetrics } from '../../runtime/metrics/registry.ts';
import type { SplitSums } from '../../runtime/metrics/metric.ts';
import { SurfaceAccumulator } from '../../runtime/metrics/surface-kernels.ts';
import { writeBuffer } from '../../runtime/executor.ts';
import { runOnGpu, testDevice } from '../helpers/gpu.ts';

interface Case {
  name: string;
  classes: number;
  shape: number[];
  channels: number;
  spacing: number[];
  tolerances: number[];
  threshold: number;
  logits: number[];
  labels: number[];
  expected: {
    confusion: number[][];
    dice: number;
    miou: number;
    macc: number;
    per_class_iou: number[];
    per_class_dice: number[];
    proportion_error: number;
    dice_per_image: number;
    hd95: number | null;
    hd95_per_class: { sum: number[]; images: number[] };
    nsd: Record<string, number | null>;
  };
}

const golden = JSON.parse(
  readFileSync(new URL('../golden/metrics/metrics.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const SPATIAL = ['D', 'H', 'W'];

/** The eval graph's metric sums for a case, run on the GPU: [name → values]. */
async function stagedSums(c: Case): Promise<Map<string, Float64Array>> {
  const b = new GraphBuilder();
  const [images, ...size] = c.shape;
  const spatial = SPATIAL.slice(3 - size.length);
  const logits = b.add('input', [], {
    name: 'logits',
    dims: ['N', 'C', ...spatial],
    sizes: [images, c.channels, ...size],
    dtype: 'f32',
  });
  const labels = b.add('input', [], { name: 'labels', dims: ['N', ...spatial], sizes: c.shape, dtype: 'u8' });
  const predicted =
    c.channels === 1
      ? b.add('sum', [b.add('gt', [logits, b.constant(0)])], { axes: ['C'] })
      : b.add('argmax', [logits], { axes: ['C'] });
  b.output('prediction', predicted);
  const requests = [{ name: 'dice_per_image', options: { threshold: c.threshold } }];
  stageMetricSums(b, { logits, labels, classes: c.classes, ignore: 255, predicted }, requests);
  const outputs = await runOnGpu(b.graph(), {
    tensors: { logits: c.logits },
    bytes: { labels: Uint8Array.from(c.labels) },
  });
  return new Map(Object.entries(outputs).map(([k, v]) => [k, Float64Array.from(v)]));
}

/** Relative difference, against a floor of 1 for values near 0. */
const close = (actual: number, expected: number) =>
  Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
const deviations: Record<string, number> = {};
const note = (metric: string, actual: number, expected: number) => {
  const d = close(actual, expected);
  deviations[metric] = Math.max(deviations[metric] ?? 0, d);
  return d;
};

afterAll(() => {
  // The largest deviation from the reference per metric over all cases (reported in docs/metrics.md).
  console.log(`largest relative deviation from NumPy/SciPy: ${JSON.stringify(deviations)}`);
});

describe.each(golden.cases)('metrics of $name equal NumPy/SciPy', (c) => {
  it('confusion matrix, Dice, mIoU, mAcc, per-class tables, proportion error, per-image Dice', async () => {
    const { device } = await testDevice();
    const sums = await stagedSums(c);
    // Counts are exact.
    expect(Array.from(sums.get('metric.confusion')!)).toEqual(c.expected.confusion.flat());
    const split: SplitSums = { sums, images: c.shape[0], classes: c.classes, binary: c.channels === 1 };
    const names = ['dice', 'miou', 'macc', 'per_class_iou', 'per_class_dice', 'proportion_error'];
    const requests = [...names.map((name) => ({ name })), { name: 'dice_per_image' }];
    const [spatialImages, ...size] = c.shape;
    const metrics = await createMetrics(requests, {
      device,
      classes: c.classes,
      binary: c.channels === 1,
      batch: spatialImages,
      size,
      ignore: 255,
    });
    const values = Object.fromEntries(
      await Promise.all(metrics.map(async (m) => [m.name, await m.finalize(split)] as const)),
    );
    for (const name of ['dice', 'miou', 'macc', 'proportion_error', 'dice_per_image'] as const)
      expect(note(name, values[name].value!, c.expected[name]), name).toBeLessThan(1e-6);
    for (const name of ['per_class_iou', 'per_class_dice'] as const) {
      c.expected[name].forEach((v, k) =>
        expect(note(name, values[name].table![k], v), name).toBeLessThan(1e-6),
      );
    }
  });

  it.each(c.tolerances)(
    'HD95 and NSD at tolerance %s (distance transforms on the GPU)',
    async (tolerance) => {
      const { device } = await testDevice();
      const [images, ...size] = c.shape;
      const classes = Array.from({ length: c.classes - 1 }, (_, i) => i + 1);
      const surface = await SurfaceAccumulator.create(device, {
        images,
        size,
        spacing: c.spacing,
        classes,
        classCount: c.classes,
        tolerance,
        ignore: 255,
      });
      const pixels = size.reduce((a, b) => a * b, 1);
      const predicted = new Float32Array(images * pixels);
      for (let n = 0; n < images; n++) {
        for (let p = 0; p < pixels; p++) {
          const at = (k: number) => c.logits[(n * c.channels + k) * pixels + p];
          let best = 0;
          if (c.channels === 1) best = at(0) > 0 ? 1 : 0;
          else for (let k = 1; k < c.channels; k++) if (Math.fround(at(k)) > Math.fround(at(best))) best = k;
          predicted[n * pixels + p] = best;
        }
      }
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const predictedBuffer = device.createBuffer({ size: predicted.byteLength, usage });
      const labelsBuffer = device.createBuffer({ size: Math.ceil(c.labels.length / 4) * 4, usage });
      writeBuffer(device, predictedBuffer, predicted);
      writeBuffer(device, labelsBuffer, Uint8Array.from(c.labels));
      surface.accumulate(predictedBuffer, labelsBuffer);
      const sums = await surface.read();
      surface.destroy();
      const perClass = c.expected.hd95_per_class;
      for (const k of classes) {
        expect(sums.hd95[k].images, `hd95 images of class ${k}`).toBe(perClass.images[k]);
        expect(note('hd95', sums.hd95[k].sum, perClass.sum[k]), `hd95 of class ${k}`).toBeLessThan(1e-6);
      }
      const total = (list: { sum: number; images: number }[]) => {
        const n = list.reduce((a, s) => a + s.images, 0);
        return n > 0 ? list.reduce((a, s) => a + s.sum, 0) / n : null;
      };
      const hd = total(sums.hd95);
      if (c.expected.hd95 === null) expect(hd).toBeNull();
      else expect(note('hd95', hd!, c.expected.hd95)).toBeLessThan(1e-6);
      const key = Object.keys(c.expected.nsd).find((t) => Number(t) === tolerance)!;
      const nsd = total(sums.nsd);
      const expectedNsd = c.expected.nsd[key];
      if (expectedNsd === null) expect(nsd).toBeNull();
      else expect(note('nsd', nsd!, expectedNsd)).toBeLessThan(1e-6);
    },
  );
});
