// The stdlib networks' random initialisation against smp 0.2.1's, derived by hand: initialize_decoder gives
// every decoder convolution kaiming_uniform(mode = "fan_in", nonlinearity = "relu"), U(-b, b) with
// b = sqrt(2) * sqrt(3 / fan_in) = sqrt(6 / fan_in), and zero biases (batch norms 1 and 0);
// initialize_head gives the head xavier_uniform, b = sqrt(6 / (fan_in + fan_out)), and a zero bias. The
// encoder keeps torch's default conv init, b = 1 / sqrt(fan_in). The drawn values (runtime/train/init.ts) are
// checked against each bound and against U(-b, b)'s mean 0 and variance b^2 / 3.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModules } from '../../compiler/resolve/index.ts';
import type { WeightSpec } from '../../compiler/stage/index.ts';
import { Stager } from '../../compiler/stage/stager.ts';
import { initialValues } from '../../runtime/train/init.ts';

/** The weights `model` stages on a 1x3x64x64 image (its layers named from the root), as training creates them. */
function weightsOf(model: string): WeightSpec[] {
  const call = model.replace(/\)$/, ', name = "")');
  const text = [
    'import std/nets { unet_resnet, fpn_resnet, deeplabv3plus_resnet }',
    `net init(x: image[N,Cin,H,W]) = ${call.replace('(', '(x, ')}`,
  ].join('\n');
  const resolved = resolveModules(join(__dirname, 'init.seg'), text);
  expect(resolved.diagnostics).toEqual([]);
  const net = resolved.entry.definitions.get('init')!;
  const s = new Stager({ mode: 'train', classes: 3 });
  const x = s.b.add('input', [], {
    name: 'x',
    dims: ['N', 'C', 'H', 'W'],
    sizes: [1, 3, 64, 64],
    dtype: 'f32',
  });
  const span = net.def.span;
  s.callDefinition({ kind: 'function', def: net.def, scope: net.scope }, [s.wrap(x)], new Map(), span, [
    span,
  ]);
  return s.weights;
}

/** Hand-derived bounds (name, shape, b) and the zero biases and unit batch-norm weights. */
const CASES: {
  model: string;
  uniform: [string, number[], number][];
  constant: [string, number][];
}[] = [
  {
    model: 'unet_resnet(depth = 18, classes = 3)',
    uniform: [
      // 512 + 256 input channels x 3 x 3 = 6912.
      ['decoder.blocks.0.conv1.0.weight', [256, 768, 3, 3], Math.sqrt(6 / 6912)],
      ['decoder.blocks.4.conv2.0.weight', [16, 16, 3, 3], Math.sqrt(6 / 144)],
      // fan_in 16 x 9, fan_out 3 x 9.
      ['segmentation_head.0.weight', [3, 16, 3, 3], Math.sqrt(6 / 171)],
      // torch's default: 1 / sqrt(3 x 7 x 7).
      ['encoder.conv1.weight', [64, 3, 7, 7], 1 / Math.sqrt(147)],
    ],
    constant: [
      ['segmentation_head.0.bias', 0],
      ['decoder.blocks.2.conv1.1.weight', 1],
      ['decoder.blocks.2.conv1.1.bias', 0],
    ],
  },
  {
    model: 'fpn_resnet(depth = 50, classes = 3)',
    uniform: [
      ['decoder.p5.weight', [256, 2048, 1, 1], Math.sqrt(6 / 2048)],
      ['decoder.p2.skip_conv.weight', [256, 256, 1, 1], Math.sqrt(6 / 256)],
      ['decoder.seg_blocks.0.block.0.block.0.weight', [128, 256, 3, 3], Math.sqrt(6 / 2304)],
      ['decoder.seg_blocks.0.block.2.block.0.weight', [128, 128, 3, 3], Math.sqrt(6 / 1152)],
      ['segmentation_head.0.weight', [3, 128, 1, 1], Math.sqrt(6 / 131)],
    ],
    constant: [
      ['decoder.p5.bias', 0],
      ['decoder.p3.skip_conv.bias', 0],
      ['segmentation_head.0.bias', 0],
    ],
  },
  {
    model: 'deeplabv3plus_resnet(depth = 50, classes = 3)',
    uniform: [
      // The depthwise 3x3 of a separable convolution: fan_in 1 x 3 x 3.
      ['decoder.aspp.0.convs.1.0.0.weight', [2048, 1, 3, 3], Math.sqrt(6 / 9)],
      ['decoder.aspp.0.convs.1.0.1.weight', [256, 2048, 1, 1], Math.sqrt(6 / 2048)],
      ['decoder.aspp.0.convs.4.1.weight', [256, 2048, 1, 1], Math.sqrt(6 / 2048)],
      ['decoder.aspp.0.project.0.weight', [256, 1280, 1, 1], Math.sqrt(6 / 1280)],
      ['decoder.block1.0.weight', [48, 256, 1, 1], Math.sqrt(6 / 256)],
      ['decoder.block2.0.1.weight', [256, 304, 1, 1], Math.sqrt(6 / 304)],
      ['segmentation_head.0.weight', [3, 256, 1, 1], Math.sqrt(6 / 259)],
    ],
    constant: [
      ['segmentation_head.0.bias', 0],
      ['decoder.aspp.2.weight', 1],
    ],
  },
];

describe('stdlib networks are initialised as smp 0.2.1 initialises them', () => {
  for (const c of CASES) {
    it(`${c.model}: decoder kaiming_uniform (relu), head xavier_uniform, zero biases`, () => {
      const weights = weightsOf(c.model);
      const byName = new Map(weights.map((w) => [w.name, w]));
      const values = initialValues(weights, 1);
      for (const [name, shape, bound] of c.uniform) {
        const w = byName.get(name)!;
        expect([name, w.sizes]).toEqual([name, shape]);
        expect(w.init.kind).toBe('uniform');
        expect(w.init.kind === 'uniform' && w.init.bound).toBeCloseTo(bound, 12);
        // The drawn values: inside (-b, b), reaching near both ends, mean 0 and variance b^2 / 3 within five
        // standard errors (the variance of u^2 for u ~ U(-b, b) is b^4 / 5 - b^4 / 9 = 4 b^4 / 45).
        const data = values.get(name)!;
        const n = data.length;
        let sum = 0;
        let square = 0;
        let largest = 0;
        for (const v of data) {
          sum += v;
          square += v * v;
          largest = Math.max(largest, Math.abs(v));
        }
        expect(largest).toBeLessThanOrEqual(bound);
        expect(largest).toBeGreaterThan(bound * (1 - 20 / n));
        expect(Math.abs(sum / n)).toBeLessThan(5 * bound * Math.sqrt(1 / (3 * n)));
        expect(Math.abs(square / n - (bound * bound) / 3)).toBeLessThan(
          5 * bound * bound * Math.sqrt(4 / (45 * n)),
        );
      }
      for (const [name, value] of c.constant) {
        expect([name, byName.get(name)!.init]).toEqual([name, { kind: 'constant', value }]);
        expect(values.get(name)!.every((v) => v === value)).toBe(true);
      }
      // Every decoder convolution and the head follow the same rule: no decoder weight keeps torch's default.
      for (const w of weights) {
        if (!w.name.startsWith('decoder.') && !w.name.startsWith('segmentation_head.')) continue;
        if (w.name.endsWith('.bias'))
          expect([w.name, w.init]).toEqual([w.name, { kind: 'constant', value: 0 }]);
        else if (w.sizes.length === 4) {
          const fanIn = w.sizes.slice(1).reduce((a, b) => a * b, 1);
          const fanOut = w.sizes[0] * w.sizes.slice(2).reduce((a, b) => a * b, 1);
          const head = w.name.startsWith('segmentation_head.');
          const bound = head ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
          expect([w.name, w.init.kind === 'uniform' && w.init.bound]).toEqual([w.name, bound]);
        }
      }
    });
  }
});
