// A whole 3-D training step: the stdlib unet3d (3x3x3 convolutions, 2x2x2 pooling, nearest upsampling, batch
// norm, concatenation) under ce_l1 on a volume, staged, differentiated and run on the GPU against the float64
// oracle (loss, terms, every weight gradient, running statistics).
import { describe, expect, it } from 'vitest';
import { differentiate } from '../../compiler/autodiff/index.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { resolveModules } from '../../compiler/resolve/index.ts';
import { Stager } from '../../compiler/stage/stager.ts';
import type { Value } from '../../compiler/stage/values.ts';
import { createRandom } from '../../runtime/data/random.ts';
import { initialValues } from '../../runtime/train/init.ts';
import { relativeError, runOnGpu } from '../helpers/gpu.ts';

const span = { file: '3d', start: 0, end: 0, line: 1, col: 1 };
const int = (value: number): Value => ({ kind: 'number', value, integer: true });

function stageStep() {
  const nets = resolveModules('stdlib/nets.seg').entry;
  const losses = resolveModules('stdlib/losses.seg').entry;
  const s = new Stager({ mode: 'train', classes: 3 });
  const b = s.b;
  const sizes = [2, 1, 4, 4, 6];
  const x = b.add('input', [], { name: 'x', dims: ['N', 'C', 'D', 'H', 'W'], sizes });
  const y = b.add('input', [], { name: 'y', dims: ['N', 'D', 'H', 'W'], sizes: [2, 4, 4, 6], dtype: 'u8' });
  const call = (scope: typeof nets, name: string, positional: Value[], named: [string, Value][] = []) => {
    const found = scope.definitions.get(name)!;
    const args = new Map(named.map(([k, v]) => [k, { value: v, span }]));
    return s.callDefinition(
      { kind: 'function', def: found.def, scope: found.scope },
      positional,
      args,
      span,
      positional.map(() => span),
    );
  };
  const logits = call(
    nets,
    'unet3d',
    [{ kind: 'tensor', node: x }],
    [
      ['in', int(1)],
      ['classes', int(3)],
      ['widths', { kind: 'list', items: [int(2), int(4)] }],
    ],
  );
  const loss = s.tensor(call(losses, 'ce_l1', [logits, { kind: 'tensor', node: y }], [['T', int(4)]]), span);
  b.output('loss', loss);
  const trainable = b.nodes.filter((n) => n.op === 'weight');
  const grads = differentiate(
    b,
    loss,
    trainable.map((n) => n.id),
  );
  for (const w of trainable) b.output(`grad:${w.attrs.name}`, grads.get(w.id)!, 'gradient');
  for (const update of s.stateUpdates) b.output(update.name, update.node, 'state');
  return { graph: b.graph(), weights: s.weights, sizes };
}

describe('3-D U-Net training step', () => {
  it('matches the float64 oracle on the GPU', async () => {
    const { graph, weights, sizes } = stageStep();
    expect(graph.nodes.some((n) => n.op === 'convolution')).toBe(true);
    expect(graph.nodes.some((n) => n.op === 'pool')).toBe(true);
    const random = createRandom(5);
    const count = sizes.reduce((a, v) => a * v, 1);
    const labels = Array.from({ length: count / sizes[1] }, (_, i) => (i % 11 === 10 ? 255 : random.int(3)));
    const tensors: Record<string, ArrayLike<number>> = {
      x: Array.from({ length: count }, () => Math.fround(random.normal())),
      y: labels,
    };
    for (const [name, values] of initialValues(weights, 1)) tensors[name] = values;
    const expected = evaluateGraph(graph, { tensors });
    const gpu = await runOnGpu(graph, { tensors, bytes: { y: Uint8Array.from(labels) } });
    expect(graph.outputs.filter((o) => o.role === 'gradient').length).toBe(
      weights.filter((w) => w.trainable).length,
    );
    for (const output of graph.outputs) {
      expect(relativeError(gpu[output.name], expected.get(output.node)!.data), output.name).toBeLessThan(
        1e-4,
      );
    }
  });
});
