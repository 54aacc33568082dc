// A `train augment` list that cannot run at the training size is a diagnostic at the pipeline, from segc check
// (before any device opens), and the pipelines of the std/augment recipes that run are built at 512×512.
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../../diagnostics/index.ts';
import { augmentPipeline, checkFile } from '../../../compiler/index.ts';

const call = (name: string, args: unknown[] = [], options: Record<string, unknown> = {}) =>
  ({ name, args, options }) as never;

describe('checking augmentation', () => {
  it('reports a crop larger than the images at the list', () => {
    let caught: unknown;
    try {
      checkFile('test/fixtures/experiments/augment-oversized.seg');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CompileError);
    const [d] = (caught as CompileError).diagnostics;
    expect([d.code, d.span?.line, d.message]).toEqual([
      'SEG5036',
      7,
      'train augment: random_crop of 16×16 from 8×8 images.',
    ]);
  });

  it('builds the sizes of the polyp recipe (longest side 640, pad, crop back to the training size)', () => {
    const pipeline = augmentPipeline(
      [
        call('longest_max_size', [640]),
        call('pad_if_needed', [], { mask: 255 }),
        call('random_crop'),
        call('hflip', [0.5]),
        call('brightness_contrast', [0.2, 0.2], { p: 0.5 }),
        call('normalize', [], { mean: [0.5], std: [0.2] }),
      ],
      [512, 384],
    );
    expect(pipeline.stages.map((s) => [s.name, ...s.input, ...s.output])).toEqual([
      ['longest_max_size', 512, 384, 640, 480],
      ['pad_if_needed', 640, 480, 640, 480],
      ['random_crop', 640, 480, 512, 384],
      ['hflip', 512, 384, 512, 384],
      ['brightness_contrast', 512, 384, 512, 384],
    ]);
    expect(() => augmentPipeline([call('resize', [[16, 16]])], [8, 8])).toThrow(
      'the transforms end at 16×16, but the network trains at 8×8',
    );
  });
});
