// segc run --init-from: a second run starts from the first run's model.safetensors. With a learning rate too
// small to move an f32 weight, its weights stay the first run's exactly while the batch norms' step counters
// (saved as int64, as torch saves num_batches_tracked) go on from the first run's: 2 steps each (4 images,
// batch 2, 1 epoch). The model of a network with other widths is refused before training.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { runExperiment } from '../../runtime/train/session.ts';

const file = 'test/fixtures/experiments/tiny.seg';
const root = mkdtempSync(join(tmpdir(), 'segc-init-from-'));

describe('segc run --init-from', () => {
  it('starts from a saved model: weights as saved, int64 counters continued', async () => {
    await runExperiment(file, { out: join(root, 'first') });
    const first = (await readSafetensorsFile(join(root, 'first', 'model.safetensors'))).tensors;
    const counter = first['down.0.conv1.1.num_batches_tracked'];
    expect([counter.dtype, counter.shape, Array.from(counter.data as BigInt64Array)]).toEqual([
      'I64',
      [],
      [2n],
    ]);
    await runExperiment(file, {
      out: join(root, 'second'),
      initFrom: join(root, 'first', 'model.safetensors'),
      overrides: { 'optimizer.lr': 1e-30 },
    });
    const second = (await readSafetensorsFile(join(root, 'second', 'model.safetensors'))).tensors;
    expect(Object.keys(second)).toEqual(Object.keys(first));
    for (const [name, entry] of Object.entries(first)) {
      if (name.endsWith('num_batches_tracked'))
        expect(second[name].data, name).toEqual(BigInt64Array.from([4n]));
      else if (!name.includes('running_')) expect(second[name].data, name).toEqual(entry.data);
    }
  });

  it('refuses the model of a network with other widths before training, naming the shape', async () => {
    const other = join(root, 'first', 'model.safetensors');
    const error = await runExperiment('test/fixtures/experiments/metrics-tiny.seg', {
      out: join(root, 'third'),
      initFrom: other,
    }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^--init-from: cannot load weights from '.*model\.safetensors': /,
    );
  });
});
