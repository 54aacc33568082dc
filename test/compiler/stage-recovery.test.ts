// "Every error at once": staging records each independent error in the model and the loss
// (StageError.diagnostics), and nothing that follows from one. The cases are
// test/fixtures/malformed/many-errors-*.seg, whose goldens `segc check` prints once compiler/index.ts
// renders every staging diagnostic.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModules } from '../../compiler/resolve/index.ts';
import { StageError, readExperiment, stageGraph } from '../../compiler/stage/index.ts';
import { readRunConfig } from '../../compiler/config/run.ts';

/** `line:col message` of every diagnostic staging the training graph of `file` gives. */
function stagingErrors(file: string, text?: string): string[] {
  const resolved = resolveModules(resolve(file), text);
  expect(resolved.diagnostics).toEqual([]);
  const { spec } = readExperiment(resolved.entry);
  const { config } = readRunConfig(spec!);
  const c = config!;
  const shape = {
    batch: c.train.batch,
    channels: 3,
    height: c.data.size[0],
    width: c.data.size[1],
    classes: c.data.classes,
    mean: 0.5,
    std: 0.25,
    ignore: 255,
  };
  try {
    stageGraph(spec!, shape, 'train');
  } catch (error) {
    if (error instanceof StageError)
      return error.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`);
    throw error;
  }
  return [];
}

const pending = 'test/fixtures/malformed';

describe('staging reports every independent error', () => {
  it('in one loss formula', () => {
    expect(stagingErrors(`${pending}/many-errors-loss.seg`)).toEqual([
      "8:31 Unknown name 'sharpen'.",
      "8:57 Expected a float tensor or a number for '*' but found labels (class indices: use " +
        'onehot(y) or valid(y)).',
      "8:73 'softmax' needs axes, as in 'softmax[C](...)'.",
    ]);
  });

  it('in the statements of a definition, silent on the uses of a failed let', () => {
    expect(stagingErrors(`${pending}/many-errors-statements.seg`)).toEqual([
      "6:11 Unknown name 'softmx'.",
      "8:15 'f32[N=2,C=3,H=8,W=8]' has no dimension 'Q'.",
    ]);
  });

  it('in the model call and in the loss, silent on what uses the failed logits', () => {
    expect(stagingErrors(`${pending}/many-errors-model-and-loss.seg`)).toEqual([
      "8:54 Unknown keyword argument 'depth' for 'unet'.",
      "9:85 Unknown name 'nosuch'.",
    ]);
  });

  it('once for a mistake inside a loop or a definition called twice', () => {
    const text = `import std/losses { ce }
import std/nets { unet }
fn twice(z) = z * nosuch
fn looped(z) {
  for i in range(3) {
    z = z + missing
  }
  return z
}
experiment tiny {
  data = shapes(size = [8, 8], classes = 3)
  model = unet(in = 3, classes = 3, widths = [2, 4])
  loss = ce(logits, y) + mean(twice(logits)) + mean(twice(logits)) + mean(looped(logits))
  train { batch = 2 }
}
`;
    expect(stagingErrors('overlay.seg', text)).toEqual([
      "3:19 Unknown name 'nosuch'.",
      "6:13 Unknown name 'missing'.",
    ]);
  });
});
