// random_scale (with its random_crop) and elastic on the GPU against OpenCV / SciPy
// (test/golden/generate_augment_resample.py): images within 1 grey level, labels exact, elastic's smoothed
// displacement field within 1e-4 pixel of scipy.ndimage.gaussian_filter on the same noise.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Setting } from '../../../compiler/index.ts';
import { PARAMS_PER_SAMPLE, augmentPipeline, stageKernels } from '../../../compiler/index.ts';
import { Augmenter } from '../../../runtime/data/augment.ts';
import { affineFromPoints, invertAffine } from '../../../runtime/data/augment-params.ts';
import { readBuffer, writeBuffer } from '../../../runtime/executor.ts';
import { testDevice } from '../../helpers/gpu.ts';

interface Image {
  channels: number;
  height: number;
  width: number;
  image: number[];
  labels: number[];
}

interface Case {
  kind: 'random_scale' | 'field' | 'remap' | 'affine' | 'elastic';
  name: string;
  params: Record<string, number & number[] & number[][] & string>;
  input: Image;
  output: Image;
  dx: number[];
  dy: number[];
}

const golden = JSON.parse(
  readFileSync(new URL('../../golden/augment/resample.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const call = (name: string, options: Record<string, Setting> = {}) => ({ name, args: [], options });

/** Largest differences by kind, printed after the run (the note's figures). */
const worst: Record<string, number> = {};
afterAll(() => console.log(`resample/elastic, largest differences: ${JSON.stringify(worst)}`));
const note = (key: string, value: number) => (worst[key] = Math.max(worst[key] ?? 0, value));

async function storage(device: GPUDevice, bytes: number): Promise<GPUBuffer> {
  return device.createBuffer({
    size: Math.max(4, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

const bytesOf = async (device: GPUDevice, b: GPUBuffer, n: number) =>
  new Uint8Array((await readBuffer(device, b)).buffer).slice(0, n);

/** Runs a one-sample pipeline with the given per-stage parameters; returns the output image and labels. */
async function run(transforms: Setting[], c: Case, out: [number, number], stageParams: number[][]) {
  const { device } = await testDevice();
  const input: [number, number] = [c.input.height, c.input.width];
  const pipeline = augmentPipeline(transforms, input, out);
  const augmenter = await Augmenter.create(device, pipeline, 1, c.input.channels);
  const params = new Float32Array(pipeline.stages.length * PARAMS_PER_SAMPLE);
  stageParams.forEach((p, s) => params.set(p, s * PARAMS_PER_SAMPLE));
  const imageBytes = c.input.channels * out[0] * out[1];
  const targets = {
    image: await storage(device, imageBytes),
    labels: await storage(device, out[0] * out[1]),
  };
  augmenter.runWith(Uint8Array.from(c.input.image), Uint8Array.from(c.input.labels), params, targets);
  const result = {
    image: await bytesOf(device, targets.image, imageBytes),
    labels: await bytesOf(device, targets.labels, out[0] * out[1]),
    fields: augmenter.fields,
    device,
    done: () => {
      augmenter.destroy();
      targets.image.destroy();
      targets.labels.destroy();
    },
  };
  return result;
}

function compare(key: string, c: Case, image: Uint8Array, labels: Uint8Array): void {
  let largest = 0;
  c.output.image.forEach((v, i) => (largest = Math.max(largest, Math.abs(image[i] - v))));
  note(key, largest);
  expect(largest, 'largest image difference (grey levels)').toBeLessThanOrEqual(1);
  expect([...labels]).toEqual(c.output.labels);
}

const keyParams = (key: number) => [1, key & 0xffff, key >>> 16];
const affineParams = (c: Case) => [1, ...invertAffine(affineFromPoints(c.params.from, c.params.to))];

describe('random_scale and elastic against OpenCV and SciPy', () => {
  for (const c of golden.cases) {
    it(c.name, async () => {
      const p = c.params;
      const [h, w] = [c.input?.height ?? p.height, c.input?.width ?? p.width];
      if (c.kind === 'random_scale') {
        const [nh, nw] = p.rescaled as unknown as number[];
        const transforms = [
          call('random_scale', { low: p.scale, high: p.scale, mode: p.mode }),
          call('random_crop', { size: p.crop }),
        ];
        const r = await run(transforms, c, p.crop as unknown as [number, number], [
          [1, w / nw, 0, p.x, 0, h / nh, p.y, nw, nh],
        ]);
        compare(`random_scale ${p.mode}`, c, r.image, r.labels);
        r.done();
      } else if (c.kind === 'field') {
        const fake: Case = { ...c, input: { channels: 3, height: h, width: w, image: [], labels: [] } };
        fake.input.image = new Array(3 * h * w).fill(0);
        fake.input.labels = new Array(h * w).fill(0);
        const elastic = call('elastic', { alpha: p.alpha, sigma: p.sigma, alpha_affine: 0, p: 1 });
        const r = await run([elastic], fake, [h, w], [[0], keyParams(p.key)]);
        const field = await readBuffer(r.device, r.fields[1]);
        let largest = 0;
        [...c.dx, ...c.dy].forEach((v, i) => (largest = Math.max(largest, Math.abs(field[i] - v))));
        note('field (pixels)', largest);
        expect(largest).toBeLessThan(1e-4);
        r.done();
      } else if (c.kind === 'remap') {
        // The remap kernel alone, on the golden's field.
        const { device } = await testDevice();
        const stage = {
          kind: 'elastic' as const,
          name: 'e',
          input: [h, w] as [number, number],
          output: [h, w] as [number, number],
          sigma: 1,
          alpha: 1,
        };
        const kernel = stageKernels(stage, 0, 1, 3)[2];
        const module = device.createShaderModule({ code: kernel.wgsl });
        const pipe = await device.createComputePipelineAsync({
          layout: 'auto',
          compute: { module, entryPoint: 'main' },
        });
        const buffers = [
          await storage(device, 3 * h * w),
          await storage(device, h * w),
          await storage(device, 3 * h * w),
          await storage(device, h * w),
          await storage(device, PARAMS_PER_SAMPLE * 4),
          undefined,
          await storage(device, 2 * h * w * 4),
        ];
        writeBuffer(device, buffers[0]!, Uint8Array.from(c.input.image));
        writeBuffer(device, buffers[1]!, Uint8Array.from(c.input.labels));
        writeBuffer(device, buffers[4]!, Float32Array.from([1, ...new Array(PARAMS_PER_SAMPLE - 1).fill(0)]));
        writeBuffer(device, buffers[6]!, Float32Array.from([...c.dx, ...c.dy]));
        const group = device.createBindGroup({
          layout: pipe.getBindGroupLayout(0),
          entries: kernel.bindings!.map((binding) => ({ binding, resource: { buffer: buffers[binding]! } })),
        });
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipe);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(...kernel.dispatch);
        pass.end();
        device.queue.submit([encoder.finish()]);
        compare(
          'remap',
          c,
          await bytesOf(device, buffers[2]!, 3 * h * w),
          await bytesOf(device, buffers[3]!, h * w),
        );
        for (const b of buffers) b?.destroy();
      } else {
        const alpha = c.kind === 'affine' ? 1 : p.alpha;
        const sigma = c.kind === 'affine' ? 1 : p.sigma;
        const elastic = call('elastic', { alpha, sigma, alpha_affine: 1, p: 1 });
        const field = c.kind === 'affine' ? [0] : keyParams(p.key);
        const r = await run([elastic], c, [h, w], [affineParams(c), field]);
        compare(c.kind, c, r.image, r.labels);
        r.done();
      }
    });
  }
});
