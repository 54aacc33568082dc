// Evaluation at another size than training (runtime/train/eval-plan.ts): Cityscapes trains on 32x64 crops and
// evaluates its 64x128 images whole, with a second evaluation plan that reads the training plan's weight
// buffers. The run that evaluates this way (class shares at 64x128 equal to the generator's pixel counts) is
// test/e2e/spec-examples.test.ts's Cityscapes example.
import { describe, expect, it } from 'vitest';
import { compileExperiment, planLimits } from '../../../compiler/index.ts';
import { openRunData } from '../../../runtime/data/run-data.ts';
import { BufferStore, loadPlan } from '../../../runtime/executor.ts';
import { evalTarget, trainInputSize } from '../../../runtime/train/eval-plan.ts';
import { testDevice } from '../../helpers/gpu.ts';

const FILE = 'test/fixtures/experiments/eval-size.seg';

describe('evaluation at the dataset eval_size', () => {
  it('compiles a second plan once, sharing the weight buffers', async () => {
    const { device } = await testDevice();
    const compiled = compileExperiment(FILE, { target: 'cpu', limits: planLimits(device.limits) });
    const data = await openRunData(compiled.config.data, compiled.config.train.batch);
    try {
      expect(data.nativeSize).toEqual([64, 128]);
      expect(trainInputSize(compiled, data)).toEqual([64, 128]);
      const store = new BufferStore(device);
      const train = await loadPlan(store, compiled.trainPlan);
      const evaluation = await loadPlan(store, compiled.evalPlan);
      const transforms = compiled.spec.blocks?.data?.['eval augment'];
      const at = await evalTarget(store, compiled, evaluation, data, transforms);
      expect([at.compiled.shape.height, at.compiled.shape.width]).toEqual([64, 128]);
      const image = at.loaded.plan.buffers.find((b) => b.name === 'input:image')!;
      expect(image.elements).toBe(2 * 3 * 64 * 128);
      // Every weight of the eval plan is the training plan's buffer itself.
      const weights = at.loaded.plan.buffers.filter((b) => b.name.startsWith('weight:'));
      expect(weights.length).toBeGreaterThan(0);
      for (const w of weights) {
        const index = train.plan.buffers.findIndex((b) => b.name === w.name);
        expect(at.loaded.buffers[w.index]).toBe(train.buffers[index]);
      }
      // Cached by shape: asked again, the same loaded plan.
      expect((await evalTarget(store, compiled, evaluation, data, transforms)).loaded).toBe(at.loaded);
      expect(at.input.augmenter).toBeUndefined();
    } finally {
      await data.close();
    }
  }, 120_000);
});
