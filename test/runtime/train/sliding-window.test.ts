// Whole-volume sliding-window inference on the GPU against nnU-Net v1's, re-implemented in NumPy/SciPy
// (test/golden/generate_volumes.py): window placement, padding, the Gaussian, the weighted softmax sums
// divided by the summed weights, the argmax. The "network" is a fixed formula of the window and voxel, the
// same in both (logits() in the generator), written into the logits buffer in place of the plan's forward;
// one case is binary mode (one output channel: its sigmoid and complement accumulated), one averages the 8
// mirrorings of nnU-Net's test-time augmentation (the network's input checked mirrored).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readBuffer } from '../../../runtime/executor.ts';
import { gaussianFactors, padding, windowOrigins } from '../../../runtime/train/sliding-window.ts';
import { VolumeInference } from '../../../runtime/train/volume-inference.ts';
import { testDevice } from '../../helpers/gpu.ts';

interface Case {
  size: number[];
  patch: number[];
  classes: number;
  outputs: number;
  mirror: boolean;
  padded: number[];
  pad_below: number[];
  windows: number[][];
  gaussian: number[];
  probabilities: number[];
  argmax: number[];
}

const golden: { cases: Case[] } = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'volumes', 'sliding_window.json'), 'utf8'),
);

/** The generator's logits(k, classes, origin, patch): [classes, ...patch] of window k at `origin`. */
function logits(k: number, classes: number, origin: number[], patch: number[]): Float32Array {
  const [pd, ph, pw] = patch;
  const out = new Float32Array(classes * pd * ph * pw);
  let i = 0;
  for (let c = 0; c < classes; c++)
    for (let z = origin[0]; z < origin[0] + pd; z++)
      for (let y = origin[1]; y < origin[1] + ph; y++)
        for (let x = origin[2]; x < origin[2] + pw; x++)
          out[i++] =
            3 * Math.sin(0.37 * (z + 1) * (c + 1) + 0.11 * y - 0.23 * x * (c + 1) + 0.5 * k + 0.1 * c);
  return out;
}

describe('sliding-window inference', () => {
  test('window origins, padding and the Gaussian are nnU-Net v1', () => {
    for (const g of golden.cases) {
      const { padded, below } = padding(g.size, g.patch);
      expect(padded).toEqual(g.padded);
      expect(below).toEqual(g.pad_below);
      expect(windowOrigins(g.patch, padded)).toEqual(g.windows);
      const { axes } = gaussianFactors(g.patch);
      const [pd, ph, pw] = g.patch;
      let worst = 0;
      for (let z = 0; z < pd; z++)
        for (let y = 0; y < ph; y++)
          for (let x = 0; x < pw; x++) {
            const expected = g.gaussian[(z * ph + y) * pw + x];
            const value = axes[0][z] * axes[1][y] * axes[2][x];
            worst = Math.max(worst, Math.abs(value - expected) / expected);
          }
      expect(worst).toBeLessThan(1e-6);
    }
  });

  test('the weighted probabilities and the argmax on the GPU match NumPy', async () => {
    const { device } = await testDevice();
    for (const [n, g] of golden.cases.entries()) {
      const batch = 2;
      const inference = await VolumeInference.create(device, {
        patch: g.patch,
        batch,
        channels: 1,
        outputs: g.outputs,
        ignore: 255,
        mirror: g.mirror,
      });
      const voxels = g.size.reduce((a, b) => a * b, 1);
      const cells = g.patch.reduce((a, b) => a * b, 1);
      // A volume whose labels are the reference argmax except every 7th voxel (ignored): the confusion
      // counts are then the diagonal of the valid voxels.
      const labels = Uint8Array.from(g.argmax, (v, i) => (i % 7 === 3 ? 255 : v));
      const volume = {
        size: g.size,
        image: inference.buffer(
          'image',
          Uint8Array.from({ length: voxels }, (_, i) => i % 251),
        ),
        labels: inference.buffer('labels', labels),
      };
      const inputs = {
        image: inference.buffer('in-image', batch * cells),
        labels: inference.buffer('in-labels', batch * cells),
      };
      const logitsBuffer = inference.buffer('logits', batch * g.outputs * cells * 4);
      const confusion = inference.buffer('confusion', 2 * g.classes * g.classes * 4);
      const seen: number[] = [];
      const result = await inference.predict(
        volume,
        inputs,
        logitsBuffer,
        async (windows, m) => {
          const data = new Float32Array(batch * g.outputs * cells);
          windows.forEach((k, s) =>
            data.set(logits(k + m / 8, g.outputs, g.windows[k], g.patch), s * g.outputs * cells),
          );
          device.queue.writeBuffer(logitsBuffer, 0, data);
          if (m === 0) seen.push(...windows);
          // The network's input: the window mirrored along the axes of m (D 4, H 2, W 1), 0 outside.
          if (m === 7 || (m === 0 && !g.mirror)) {
            const got = new Uint8Array((await readBuffer(device, inputs.image)).buffer, 0, cells);
            const [, ph, pw] = g.patch;
            const [D, H, W] = g.size;
            const flip = [4, 2, 1].map((bit) => (m & bit) !== 0);
            const expected = Array.from({ length: cells }, (_, i) => {
              const local = [Math.floor(i / (ph * pw)), Math.floor(i / pw) % ph, i % pw];
              const at = local.map(
                (l, a) => g.windows[windows[0]][a] + (flip[a] ? g.patch[a] - 1 - l : l) - g.pad_below[a],
              );
              const inside = at.every((v, a) => v >= 0 && v < [D, H, W][a]);
              return inside ? ((at[0] * H + at[1]) * W + at[2]) % 251 : 0;
            });
            expect(Array.from(got), `case ${n} input`).toEqual(expected);
          }
        },
        confusion,
        g.classes * g.classes,
      );
      expect(seen).toEqual(g.windows.map((_, k) => k));
      expect(result.windows).toEqual(g.windows);
      const probabilities = await readBuffer(device, result.probabilities, g.classes * voxels * 4);
      let worst = 0;
      probabilities.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - g.probabilities[i]))));
      expect(worst, `case ${n}`).toBeLessThan(2e-6);
      const predicted = await readBuffer(device, result.predicted, voxels * 4);
      expect(Array.from(predicted), `case ${n}`).toEqual(g.argmax);
      const counts = new Uint32Array((await readBuffer(device, confusion)).buffer);
      const expected = new Array(2 * g.classes * g.classes).fill(0);
      labels.forEach((l) => l !== 255 && expected[g.classes * g.classes + l * g.classes + l]++);
      expect(Array.from(counts.subarray(0, expected.length))).toEqual(expected);
      console.log(`sliding window case ${n}: largest probability difference ${worst.toExponential(2)}`);
      result.destroy();
      inference.destroy();
    }
  });
});
