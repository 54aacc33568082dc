// Pretrained weights through a network's `weights` argument (runtime/weights/import.ts): a torchvision-style
// encoder file loads the encoder only (fc dropped), in any float dtype, exactly; a mismatched file is an error
// that lists the missing and unexpected keys with a did-you-mean, names a wrong shape or dtype, a non-finite
// value, a damaged or absent file. F16 and BF16 widen to the exact values of their bit patterns.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WeightSpec } from '../../compiler/stage/index.ts';
import type { TensorEntry } from '../../runtime/checkpoint/safetensors.ts';
import { writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { stageExperiment } from '../../compiler/index.ts';
import { modelEntry, toFloat32 } from '../../runtime/weights/convert.ts';
import { printParams } from '../../cli/params.ts';
import { loadPretrained } from '../../runtime/weights/import.ts';

const dir = mkdtempSync(join(tmpdir(), 'segc-weights-'));
const count = (sizes: number[]) => sizes.reduce((a, b) => a * b, 1);

function modelWeights(weights: string, model = 'unet_resnet'): WeightSpec[] {
  const text = [
    'import std/losses { ce }',
    `import std/nets { ${model} }`,
    'experiment w {',
    '  data = shapes(size = [64, 64], classes = 3, train = 4, val = 2)',
    `  model = ${model}(depth = 18, classes = 3, weights = "${weights}")`,
    '  loss = ce(logits, y)',
    '  optimizer = adam(lr = 1e-3)',
    '  train { epochs = 1, batch = 2 }',
    '}',
  ].join('\n');
  return stageExperiment(join(dir, 'w.seg'), { text, check: true }).train.weights;
}

/** torchvision's resnet18 state_dict for the encoder of `weights`: keys without 'encoder.', plus fc. */
function encoderFile(weights: WeightSpec[], dtype: (i: number) => 'F32' | 'F64' | 'F16' | 'BF16') {
  const tensors: Record<string, TensorEntry> = {};
  weights
    .filter((w) => w.name.startsWith('encoder.'))
    .forEach((w, i) => {
      const n = count(w.sizes);
      const key = w.name.slice('encoder.'.length);
      const values = Array.from({ length: n }, (_, k) => ((k % 7) - 3) / 4 + i / 64);
      if (w.dtype === 'i64') {
        tensors[key] = { dtype: 'I64', shape: w.sizes, data: BigInt64Array.from([BigInt(i)]) };
        return;
      }
      const kind = dtype(i);
      if (kind === 'F32') tensors[key] = { dtype: kind, shape: w.sizes, data: Float32Array.from(values) };
      else if (kind === 'F64')
        tensors[key] = { dtype: kind, shape: w.sizes, data: Float64Array.from(values) };
      // Multiples of 1/64 up to 4 are exact in both 16-bit formats: bf16 is the top half of the f32 pattern.
      else if (kind === 'BF16') {
        const bits = new Uint32Array(Float32Array.from(values).buffer);
        tensors[key] = { dtype: kind, shape: w.sizes, data: Uint16Array.from(bits, (b) => b >>> 16) };
      } else tensors[key] = { dtype: kind, shape: w.sizes, data: Uint16Array.from(values, toHalf) };
    });
  tensors['fc.weight'] = { dtype: 'F32', shape: [1000, 512], data: new Float32Array(512_000) };
  tensors['fc.bias'] = { dtype: 'F32', shape: [1000], data: new Float32Array(1000) };
  return tensors;
}

/** The f16 bit pattern of a value that f16 holds exactly (normal numbers and zero). */
function toHalf(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}

async function load(file: string, tensors: Record<string, TensorEntry>, initFrom?: string) {
  await writeSafetensorsFile(file, tensors);
  const weights = modelWeights(file);
  const values = new Map(weights.map((w) => [w.name, new Float32Array(count(w.sizes)).fill(7)]));
  return { weights, values, loaded: await loadPretrained(weights, values, initFrom) };
}

describe('pretrained weights', () => {
  it('loads a torchvision encoder file (F32, F64, F16, BF16; fc dropped) into the encoder only', async () => {
    const file = join(dir, 'resnet18.safetensors');
    const kinds = ['F32', 'F64', 'F16', 'BF16'] as const;
    const tensors = encoderFile(modelWeights(''), (i) => kinds[i % 4]);
    const { weights, values, loaded } = await load(file, tensors);
    const encoder = weights.filter((w) => w.name.startsWith('encoder.'));
    expect(loaded).toEqual([{ file, scope: 'encoder', tensors: encoder.length }]);
    expect(new Set(kinds)).toEqual(
      new Set(
        Object.values(tensors)
          .map((t) => t.dtype)
          .filter((d) => d !== 'I64'),
      ),
    );
    for (const w of encoder) {
      const entry = tensors[w.name.slice('encoder.'.length)];
      const expected = entry.dtype === 'I64' ? [Number((entry.data as BigInt64Array)[0])] : null;
      if (expected) expect(Array.from(values.get(w.name)!)).toEqual(expected);
      else {
        const n = count(w.sizes);
        const i = encoder.indexOf(w);
        const want = Array.from({ length: n }, (_, k) => ((k % 7) - 3) / 4 + i / 64);
        expect(Array.from(values.get(w.name)!)).toEqual(want);
      }
    }
    for (const w of weights.filter((x) => x.name.startsWith('decoder.')))
      expect(values.get(w.name)!.every((v) => v === 7)).toBe(true);
  });

  it('loads a whole saved model by its own keys (int64 counters as torch saves them)', async () => {
    const weights = modelWeights('');
    const tensors = Object.fromEntries(
      weights.map((w, i) => [w.name, modelEntry(w, new Float32Array(count(w.sizes)).fill(i))]),
    );
    expect(tensors['encoder.bn1.num_batches_tracked'].dtype).toBe('I64');
    const file = join(dir, 'model.safetensors');
    const { values, loaded } = await load(file, tensors);
    expect(loaded).toEqual([{ file, scope: '', tensors: weights.length }]);
    weights.forEach((w, i) => expect(values.get(w.name)!.every((v) => v === i)).toBe(true));
    // --init-from takes the same file for the whole model.
    const init = await load(
      join(dir, 'other.safetensors'),
      encoderFile(weights, () => 'F32'),
      file,
    );
    expect(init.loaded.map((l) => [l.scope, l.tensors])).toEqual([
      ['encoder', weights.filter((w) => w.name.startsWith('encoder.')).length],
      ['', weights.length],
    ]);
    weights.forEach((w, i) => expect(init.values.get(w.name)!.every((v) => v === i)).toBe(true));
  });

  it('lists missing and unexpected keys with a did-you-mean', async () => {
    const tensors = encoderFile(modelWeights(''), () => 'F32');
    tensors['layer1.0.conv_1.weight'] = tensors['layer1.0.conv1.weight'];
    delete tensors['layer1.0.conv1.weight'];
    delete tensors['layer4.1.bn2.running_var'];
    const error = await load(join(dir, 'renamed.safetensors'), tensors).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(
      /w\.seg:5:\d+: cannot load weights from '.*renamed\.safetensors': its keys do not match/,
    );
    expect(message).toContain(
      "missing (2): 'layer1.0.conv1.weight' (did you mean 'layer1.0.conv_1.weight'?), 'layer4.1.bn2.running_var'",
    );
    expect(message).toContain(
      "unexpected (1): 'layer1.0.conv_1.weight' (did you mean 'layer1.0.conv1.weight'?)",
    );
    expect(message).toContain("Keys are relative to 'encoder'");
  });

  it('names a wrong shape, a wrong dtype, a non-finite value, a damaged and a missing file', async () => {
    const base = () => encoderFile(modelWeights(''), () => 'F32');
    const cases: [string, (t: Record<string, TensorEntry>) => void, RegExp][] = [
      [
        'shape',
        (t) => (t['conv1.weight'] = { dtype: 'F32', shape: [64, 3, 3, 3], data: new Float32Array(1728) }),
        /'conv1\.weight' has shape \[64, 3, 3, 3\], the model's 'encoder\.conv1\.weight' is \[64, 3, 7, 7\]\./,
      ],
      [
        'dtype',
        (t) => (t['bn1.bias'] = { dtype: 'I32', shape: [64], data: new Int32Array(64) }),
        /'bn1\.bias' is I32; weights are F32, F16, BF16, F64\./,
      ],
      [
        'nan',
        (t) => ((t['bn1.weight'].data as Float32Array)[3] = NaN),
        /'bn1\.weight' holds NaN at index 3\./,
      ],
    ];
    for (const [name, change, expected] of cases) {
      const tensors = base();
      change(tensors);
      const error = await load(join(dir, `${name}.safetensors`), tensors).catch((e: Error) => e);
      expect((error as Error).message).toMatch(expected);
    }
    const damaged = join(dir, 'damaged.safetensors');
    writeFileSync(damaged, 'not a safetensors file at all');
    const weights = modelWeights(damaged);
    const values = new Map(weights.map((w) => [w.name, new Float32Array(count(w.sizes))]));
    const error = await loadPretrained(weights, values).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/cannot load weights from '.*damaged\.safetensors': /);
    const absent = await loadPretrained(modelWeights(join(dir, 'absent.safetensors')), values).catch(
      (e: Error) => e,
    );
    expect((absent as Error).message).toMatch(/absent\.safetensors': there is no such file\./);
  });

  it('widens F16 and BF16 bit patterns exactly', () => {
    const half = toFloat32({
      dtype: 'F16',
      shape: [6],
      data: Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555]),
    });
    expect(Array.from(half)).toEqual([1, -2, 65504, 2 ** -24, Infinity, Math.fround(0.333251953125)]);
    const brain = toFloat32({ dtype: 'BF16', shape: [3], data: Uint16Array.from([0x3f80, 0xc0a0, 0x3eab]) });
    expect(Array.from(brain)).toEqual([1, -5, Math.fround(0.333984375)]);
  });

  it('segc params lists keys, shapes, counts and buffers (tiny.seg counted by hand)', () => {
    const text = printParams('test/fixtures/experiments/tiny.seg');
    const lines = text.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['down.0.conv1.0.weight', '[2,', '3,', '3,', '3]', '54']);
    expect(lines[5].split(/\s+/)).toEqual([
      'down.0.conv1.1.num_batches_tracked',
      '[]',
      '1',
      'buffer',
      '(int64)',
    ]);
    // unet(in = 3, classes = 3, widths = [2, 4]): 3x3 convs 3->2, 2->2, 2->4, 4->4, (4+2)->2, 2->2 with a batch
    // norm each (weight, bias; running mean, var and the counter), and a 1x1 head 2->3 with bias.
    const convs = [3 * 2, 2 * 2, 2 * 4, 4 * 4, 6 * 2, 2 * 2].reduce((a, c) => a + 9 * c, 0);
    const norms = 2 * (2 + 2 + 4 + 4 + 2 + 2);
    expect(lines.at(-1)).toBe(
      `20 parameters (${convs + norms + 2 * 3 + 3} values), 18 buffers (${norms + 6} values)`,
    );
  });
});
