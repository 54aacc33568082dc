// normalize(imagenet) at the end of `train augment`: the staged graph's image is (x / 255 - mean_c) / std_c
// per channel (albumentations Normalize), computed on the GPU; the reference is the formula in float64.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/ir/builder.ts';
import { normalized } from '../../../compiler/stage/graphs.ts';
import { readExperiment } from '../../../compiler/index.ts';
import { readRunConfig } from '../../../compiler/index.ts';
import { resolve } from '../../../compiler/index.ts';
import { runOnGpu } from '../../helpers/gpu.ts';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

describe('normalize', () => {
  it('reads the statistics that end train augment (std/augment imagenet)', () => {
    const resolved = resolve('test/fixtures/experiments/tiny-augment.seg');
    const spec = readExperiment(resolved.entry).spec!;
    expect(readRunConfig(spec).config!.data.normalize).toEqual(IMAGENET);
  });

  it('normalises each channel on the GPU', async () => {
    const [n, c, h, w] = [2, 3, 3, 5];
    const image = Uint8Array.from({ length: n * c * h * w }, (_, i) => (i * 37 + 11) % 256);
    const b = new GraphBuilder();
    const input = b.add('input', [], {
      name: 'image',
      dims: ['N', 'C', 'H', 'W'],
      sizes: [n, c, h, w],
      dtype: 'u8',
    });
    const shape = { batch: n, channels: c, height: h, width: w, classes: 2, ignore: 255, ...IMAGENET };
    b.output('x', normalized(b, input, shape));
    const { x } = await runOnGpu(b.graph(), { tensors: {}, bytes: { image } });
    let largest = 0;
    image.forEach((v, i) => {
      const channel = Math.floor(i / (h * w)) % c;
      const expected = (v / 255 - IMAGENET.mean[channel]) / IMAGENET.std[channel];
      largest = Math.max(largest, Math.abs(x[i] - expected));
    });
    expect(largest).toBeLessThan(1e-5);
  });
});
