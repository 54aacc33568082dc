// A stage that no sample of a batch applies (and that keeps the size) is left out of that batch's dispatches:
// the result is the same as with it, checked against flips done here by hand for every pattern of applied
// stages in [hflip, vflip, hflip] (a stage left out first, in the middle, last; all left out: the last stage
// still writes the targets).
import { describe, expect, it } from 'vitest';
import { PARAMS_PER_SAMPLE, augmentPipeline } from '../../../compiler/index.ts';
import { Augmenter } from '../../../runtime/data/augment.ts';
import { stageParams } from '../../../runtime/data/augment-params.ts';
import { readBuffer } from '../../../runtime/executor.ts';
import { testDevice } from '../../helpers/gpu.ts';

const [B, C, H, W] = [2, 3, 3, 4];

/** Sample b's image flipped by hand ([C, H, W] planar): horizontally and/or vertically. */
function flipped(image: Uint8Array, b: number, horizontal: boolean, vertical: boolean): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sy = vertical ? H - 1 - y : y;
        const sx = horizontal ? W - 1 - x : x;
        out.push(image[((b * C + c) * H + sy) * W + sx]);
      }
    }
  }
  return out;
}

describe('stages no sample applies', () => {
  it('are left out with the same result', async () => {
    const { device } = await testDevice();
    const calls = ['hflip', 'vflip', 'hflip'].map((name) => ({ name, args: [1], options: {} }));
    const pipeline = augmentPipeline(calls, [H, W], [H, W]);
    const augmenter = await Augmenter.create(device, pipeline, B, C);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const targets = {
      image: device.createBuffer({ size: B * C * H * W, usage }),
      labels: device.createBuffer({ size: B * H * W, usage }),
    };
    const image = Uint8Array.from({ length: B * C * H * W }, (_, i) => (i * 37 + 11) % 256);
    const labels = new Uint8Array(B * H * W);
    // Each of the 2^6 patterns of apply flags (stage s, sample b: bit s * B + b).
    for (let pattern = 0; pattern < 1 << (3 * B); pattern++) {
      const applied = (s: number, b: number) => ((pattern >> (s * B + b)) & 1) === 1;
      const params = new Float32Array(3 * B * PARAMS_PER_SAMPLE);
      for (let s = 0; s < 3; s++) {
        // the flip's map, then the apply flag
        const map = stageParams({ ...calls[s], p: 1 }, [H, W], [H, W], () => 0);
        for (let b = 0; b < B; b++)
          params.set([applied(s, b) ? 1 : 0, ...map], (s * B + b) * PARAMS_PER_SAMPLE);
      }
      augmenter.runWith(image, labels, params, targets);
      const out = new Uint8Array((await readBuffer(device, targets.image)).buffer).slice(0, image.length);
      for (let b = 0; b < B; b++) {
        // two hflips cancel
        const horizontal = applied(0, b) !== applied(2, b);
        const got = [...out.slice(b * C * H * W, (b + 1) * C * H * W)];
        expect(got, `pattern ${pattern.toString(2)}, sample ${b}`).toEqual(
          flipped(image, b, horizontal, applied(1, b)),
        );
      }
    }
    augmenter.destroy();
    targets.image.destroy();
    targets.labels.destroy();
  });
});
