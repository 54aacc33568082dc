// The stdlib networks against independent figures: ResNet encoders have torchvision's parameter counts
// (resnet18: 11,689,512 and resnet50: 25,557,032, minus their 1000-class fc layers), the smp-style U-Net
// decoder adds what its formula says, and unet3d stages on volumes.
import { describe, expect, it } from 'vitest';
import { resolveModules } from '../../compiler/resolve/index.ts';
import { Stager } from '../../compiler/stage/stager.ts';
import { compileExperiment } from '../../compiler/index.ts';

const count = (sizes: number[]) => sizes.reduce((a, b) => a * b, 1);

function trainableParams(model: string): { params: number; output: number[] } {
  const text = [
    'import std/losses { ce }',
    'import std/nets { unet_resnet, fpn_resnet }',
    'experiment nets {',
    '  data = shapes(size = [64, 64], classes = 3, train = 4, val = 2)',
    `  model = ${model}`,
    '  loss = ce(logits, y)',
    '  optimizer = adam(lr = 1e-3)',
    '  train { epochs = 1, batch = 1 }',
    '}',
  ].join('\n');
  const compiled = compileExperiment('nets.seg', { text });
  const params = compiled.train.weights.filter((w) => w.trainable).reduce((a, w) => a + count(w.sizes), 0);
  const logits = compiled.evalPlan.graph.outputs.find((o) => o.name === 'loss');
  expect(logits).toBeDefined();
  return { params, output: [] };
}

/**
 * Parameters of the U-Net decoder and head: two 3x3 conv (no bias) + batch norm per block, a 3x3 head with
 * bias.
 */
function decoderParams(encoder: number[], classes: number): number {
  const widths = [256, 128, 64, 32, 16];
  const skips = [encoder[3], encoder[2], encoder[1], encoder[0], 0];
  let total = 0;
  let channels = encoder[4];
  widths.forEach((w, i) => {
    total += (channels + skips[i]) * w * 9 + 2 * w + w * w * 9 + 2 * w;
    channels = w;
  });
  return total + 16 * 9 * classes + classes;
}

describe('stdlib networks', () => {
  it('unet_resnet(depth = 18) has the ResNet-18 encoder of torchvision', () => {
    const { params } = trainableParams('unet_resnet(in = 3, classes = 3, depth = 18)');
    expect(params - decoderParams([64, 64, 128, 256, 512], 3)).toBe(11_689_512 - (512 * 1000 + 1000));
  });

  it('unet_resnet(depth = 50) has the ResNet-50 encoder of torchvision', () => {
    const { params } = trainableParams('unet_resnet(in = 3, classes = 3, depth = 50)');
    expect(params - decoderParams([64, 256, 512, 1024, 2048], 3)).toBe(25_557_032 - (2048 * 1000 + 1000));
  });

  it('fpn_resnet(depth = 50) is the ResNet-50 encoder plus the FPN decoder of its formula', () => {
    const { params } = trainableParams('fpn_resnet(in = 3, classes = 3, depth = 50)');
    // Laterals: 1x1 convs with bias to 256 from 2048, 1024, 512, 256 channels. Segmentation blocks: 3x3 convs
    // (no bias) + group norm (weight, bias) to 128: 3 + 2 + 1 + 1 of them, the first of each from 256. Head:
    // 1x1.
    const laterals = [2048, 1024, 512, 256].reduce((a, c) => a + c * 256 + 256, 0);
    const block = (cin: number) => cin * 128 * 9 + 2 * 128;
    const segmentation = 4 * block(256) + 3 * block(128);
    const head = 128 * 3 + 3;
    expect(params).toBe(25_557_032 - (2048 * 1000 + 1000) + laterals + segmentation + head);
  });

  it('unet3d stages on a volume [N,C,D,H,W] and keeps its size', () => {
    const nets = resolveModules('stdlib/nets.seg').entry;
    const s = new Stager({ mode: 'train', classes: 2 });
    const x = s.b.add('weight', [], { name: 'x', dims: ['N', 'C', 'D', 'H', 'W'], sizes: [1, 1, 8, 6, 4] });
    const span = { file: 'nets', start: 0, end: 0, line: 1, col: 1 };
    const net = nets.definitions.get('unet3d')!;
    const named = new Map([
      ['classes', { value: { kind: 'number' as const, value: 2, integer: true }, span }],
      [
        'widths',
        {
          value: {
            kind: 'list' as const,
            items: [2, 4].map((v) => ({ kind: 'number' as const, value: v, integer: true })),
          },
          span,
        },
      ],
    ]);
    const out = s.callDefinition(
      { kind: 'function', def: net.def, scope: net.scope },
      [{ kind: 'tensor', node: x }],
      named,
      span,
      [span],
    );
    const type = s.b.type(s.tensor(out, span));
    expect(type.dims.map((d) => `${d.name}=${d.size}`)).toEqual(['N=1', 'C=2', 'D=8', 'H=6', 'W=4']);
    // Per level two 3x3x3 convs (no bias) + batch norm; the decoder's first conv sees the concatenation; 1x1
    // head.
    const conv = (cin: number, cout: number) => cin * cout * 27 + 2 * cout;
    const expected =
      conv(1, 2) + conv(2, 2) + conv(2, 4) + conv(4, 4) + conv(4 + 2, 2) + conv(2, 2) + 2 * 2 + 2;
    expect(s.weights.filter((w) => w.trainable).reduce((a, w) => a + count(w.sizes), 0)).toBe(expected);
  });
});
