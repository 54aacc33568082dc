// segc predict on a folder of differently sized images: a mask per image at its own size, named after its
// stem, that the float64 oracle reproduces: the image resized (bilinear, half-pixel centres) to the plan's
// size, the saved model's logits (compiler/ir/oracle.ts), resized back (bilinear) and their argmax.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { readSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { compileExperiment } from '../../compiler/index.ts';
import { predictFolder } from '../../runtime/train/predict.ts';
import { runExperiment } from '../../runtime/train/session.ts';

const SIZES: [number, number][] = [
  [8, 8],
  [13, 7],
  [5, 11],
  [20, 16],
  [9, 9],
];

/** Bilinear resize with half-pixel centres (torch interpolate, align_corners = False), float64. */
function bilinear(src: (y: number, x: number) => number, h: number, w: number, H: number, W: number) {
  const out = new Float64Array(H * W);
  const coord = (o: number, n: number, N: number) => Math.min(Math.max(((o + 0.5) * n) / N - 0.5, 0), n - 1);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sy = coord(y, h, H);
      const sx = coord(x, w, W);
      const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
      const [y1, x1] = [Math.min(y0 + 1, h - 1), Math.min(x0 + 1, w - 1)];
      const [fy, fx] = [sy - y0, sx - x0];
      const top = src(y0, x0) * (1 - fx) + src(y0, x1) * fx;
      const bottom = src(y1, x0) * (1 - fx) + src(y1, x1) * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

describe.each([
  { file: 'test/fixtures/experiments/tiny.seg', binary: false },
  { file: 'test/fixtures/experiments/predict-binary.seg', binary: true },
])('segc predict ($file)', ({ file, binary }) => {
  it('writes a mask per image at its size that the float64 argmax of the saved model reproduces', async () => {
    const root = mkdtempSync(join(tmpdir(), 'segc-predict-'));
    const run = join(root, 'run');
    await runExperiment(file, { out: run });
    const images = join(root, 'images');
    mkdirSync(images);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 256;
    const pixels = SIZES.map(([h, w], i) => {
      const data = Uint8Array.from({ length: h * w * 3 }, random);
      writeFileSync(
        join(images, `img-${i}.png`),
        encode({ width: w, height: h, data, channels: 3, depth: 8 }),
      );
      return data;
    });
    writeFileSync(join(images, 'notes.txt'), 'not an image');
    const out = join(root, 'masks');
    const written = await predictFolder(file, { checkpoint: run, images, out, overlay: true, log: () => {} });
    expect(written.map((p) => p.size)).toEqual(SIZES);
    const names = SIZES.flatMap((_, i) => [`img-${i}.png`, `img-${i}-overlay.png`]);
    expect(readdirSync(out).sort()).toEqual(names.sort());

    const compiled = compileExperiment(file, { logits: true });
    const model = (await readSafetensorsFile(join(run, 'model-best.safetensors'))).tensors;
    const [H, W] = [compiled.shape.height, compiled.shape.width];
    const { batch } = compiled.config.train;
    const C = binary ? 1 : compiled.config.data.classes;
    const graph = compiled.eval.graph;
    const logitsNode = graph.outputs.find((o) => o.name === 'logits')!.node;
    let mismatched = 0;
    let total = 0;
    for (let first = 0; first < SIZES.length; first += batch) {
      // The resized batch, as the GPU rounds it to u8 (planar [N, 3, H, W]).
      const image = new Uint8Array(batch * 3 * H * W);
      for (let slot = 0; slot < batch && first + slot < SIZES.length; slot++) {
        const [h, w] = SIZES[first + slot];
        for (let c = 0; c < 3; c++) {
          const plane = bilinear((y, x) => pixels[first + slot][(y * w + x) * 3 + c], h, w, H, W);
          plane.forEach((v, p) => (image[(slot * 3 + c) * H * W + p] = Math.floor(v + 0.5)));
        }
      }
      const feeds: Record<string, ArrayLike<number>> = {
        image,
        labels: new Uint8Array(batch * H * W).fill(255),
      };
      for (const w of compiled.eval.weights) feeds[w.name] = model[w.name].data as Float32Array;
      const logits = evaluateGraph(graph, {
        tensors: feeds,
        uniforms: { 'param.alpha': 1, 'param.T': 10 },
      }).get(logitsNode)!.data;
      for (let slot = 0; slot < batch && first + slot < SIZES.length; slot++) {
        const i = first + slot;
        const [h, w] = SIZES[i];
        const perClass = Array.from({ length: C }, (_, c) =>
          bilinear((y, x) => logits[((slot * C + c) * H + y) * W + x], H, W, h, w),
        );
        const png = decode(readFileSync(join(out, `img-${i}.png`)));
        expect([png.height, png.width, png.channels]).toEqual([h, w, 1]);
        for (let p = 0; p < h * w; p++) {
          total++;
          if (binary) {
            // 0/255: the logit > 0 (a pixel may differ only where the logit is within 1e-3 of 0).
            const expected = perClass[0][p] > 0 ? 255 : 0;
            if (png.data[p] !== expected) {
              mismatched++;
              expect(Math.abs(perClass[0][p]), `img-${i} pixel ${p}`).toBeLessThan(1e-3);
            }
            continue;
          }
          const ranked = perClass.map((v, c) => [v[p], c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
          if (png.data[p] !== ranked[0][1]) {
            mismatched++;
            // Only a near tie may differ (the GPU's f32 resize can round a pixel to the other u8).
            expect(ranked[0][0] - ranked[1][0], `img-${i} pixel ${p}`).toBeLessThan(1e-3);
          }
        }
      }
    }
    console.log(
      `segc predict: ${mismatched} of ${total} pixels differ from the float64 reference (near ties)`,
    );
    expect(mismatched / total).toBeLessThan(0.005);
  });
});
