// PyTorch golden values (test/golden/torch/ops.json, float64): forward and backward of conv, pooling,
// upsampling, batch norm, softmax, log-softmax and cross-entropy, through the oracle and the GPU kernels.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { differentiate } from '../../compiler/autodiff/index.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import { transposedSizes } from '../../compiler/ops/convolution.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { resolveModules } from '../../compiler/resolve/index.ts';
import { builtins } from '../../compiler/stage/builtins.ts';
import { Stager } from '../../compiler/stage/stager.ts';
import type { Value } from '../../compiler/stage/values.ts';
import { relativeError, runOnGpu } from '../helpers/gpu.ts';

interface TensorJson {
  shape: number[];
  data: number[];
}

interface Case {
  name: string;
  op: string;
  attrs: Record<string, number | string | boolean | number[]>;
  inputs: Record<string, TensorJson>;
  grad_output: TensorJson | null;
  output: TensorJson;
  grads: Record<string, TensorJson>;
  state_after?: Record<string, TensorJson>;
}

const cases = (JSON.parse(readFileSync('test/golden/torch/ops.json', 'utf8')) as Case[]).filter(
  (c) => c.op !== 'adam',
);
const NCHW = ['N', 'C', 'H', 'W'];
const span = { file: 'golden', start: 0, end: 0, line: 1, col: 1 };
const losses = resolveModules('stdlib/losses.seg').entry;

/** Builds the graph of one golden case: output, its vjp with grad_output, and state updates. */
function build(c: Case): {
  graph: Graph;
  tensors: Record<string, number[]>;
  bytes: Record<string, Uint8Array>;
} {
  const s = new Stager({
    mode: c.op === 'batchnorm_eval' ? 'eval' : 'train',
    classes: c.inputs.z?.shape[1] ?? 1,
  });
  const b = s.b;
  const tensors: Record<string, number[]> = {};
  const bytes: Record<string, Uint8Array> = {};
  const leaf = (name: string, dims: string[], op = 'weight') => {
    tensors[name] = c.inputs[name].data;
    return b.add(op, [], { name, dims, sizes: c.inputs[name].shape });
  };
  const call = (name: string, positional: Value[], axes: string[] = []) =>
    builtins.get(name)!(s, {
      name,
      axes: axes.map((a) => ({ name: a, span })),
      positional,
      named: new Map(),
      span,
      argSpans: [],
      env: { vars: new Map(), scope: losses },
    });
  const tensor = (node: number): Value => ({ kind: 'tensor', node });
  let out: number;
  const weights: number[] = [];
  switch (c.op) {
    case 'conv2d': {
      // torch's conv2d with stride 1: the plain 'convolution' the tiled kernels run.
      weights.push(leaf('x', NCHW), leaf('w', ['O', 'I', 'KH', 'KW']));
      const pad = c.attrs.pad as number;
      out = b.add('convolution', weights, { stride: [1, 1], pad: [pad, pad], dilation: [1, 1], groups: 1 });
      break;
    }
    case 'convolution':
    case 'conv_transpose': {
      const rank = c.inputs.x.shape.length - 2;
      const spatial = rank === 3 ? ['D', 'H', 'W'] : ['H', 'W'];
      weights.push(leaf('x', ['N', 'C', ...spatial]), leaf('w', ['O', 'I', ...spatial.map((d) => `K${d}`)]));
      const stride = c.attrs.stride as number[];
      const attrs = {
        stride,
        pad: c.attrs.pad as number[],
        dilation: (c.attrs.dilation as number[]) ?? stride.map(() => 1),
        groups: c.attrs.groups as number,
      };
      if (c.op === 'convolution') {
        out = b.add('convolution', weights, attrs);
      } else {
        const kernel = c.inputs.w.shape.slice(2);
        const input = transposedSizes(
          c.inputs.x.shape.slice(2),
          kernel,
          attrs,
          c.attrs.output_padding as number[],
        );
        out = b.add('convolution_grad_input', weights, { ...attrs, input });
      }
      break;
    }
    case 'pool':
    case 'resize': {
      const rank = c.inputs.x.shape.length - 2;
      weights.push(leaf('x', ['N', 'C', ...(rank === 3 ? ['D', 'H', 'W'] : ['H', 'W'])]));
      out = b.add(c.op, weights, c.attrs);
      break;
    }
    case 'maxpool2d': {
      // torch's max_pool2d(x, k): a k x k stride-k max 'pool' (its window kernel).
      weights.push(leaf('x', NCHW));
      const k = c.attrs.size as number;
      out = b.add('pool', weights, { mode: 'max', kernel: [k, k], stride: [k, k], pad: [0, 0] });
      break;
    }
    case 'upsample_nearest': {
      // torch's interpolate(scale_factor = k, mode = 'nearest'): a nearest 'resize' (its upsampling kernel).
      weights.push(leaf('x', NCHW));
      const k = c.attrs.scale as number;
      const [, , h, w] = c.inputs.x.shape;
      out = b.add('resize', weights, { mode: 'nearest', size: [h * k, w * k], align_corners: false });
      break;
    }
    case 'softmax':
    case 'log_softmax':
      weights.push(leaf('x', NCHW));
      out = s.tensor(call(c.op, [tensor(weights[0])], ['C']), span);
      break;
    case 'batchnorm_train':
    case 'batchnorm_eval': {
      weights.push(leaf('x', NCHW));
      const x = weights[0];
      out = s.scoped('bn', () => s.tensor(call('batchnorm', [tensor(x)]), span));
      const named = (suffix: string) => b.nodes.find((n) => String(n.attrs.name).endsWith(suffix))!;
      // The batchnorm builtin declares its own weight/bias/state leaves: feed them the golden values.
      tensors[named('.weight').attrs.name as string] = c.inputs.weight.data;
      tensors[named('.bias').attrs.name as string] = c.inputs.bias.data;
      const c3 = c.inputs.weight.data.length;
      tensors[named('.running_mean').attrs.name as string] = c.inputs.running_mean?.data ?? Array(c3).fill(0);
      tensors[named('.running_var').attrs.name as string] = c.inputs.running_var?.data ?? Array(c3).fill(1);
      // torch's fresh module has counted no batch; training mode counts this one (state_after).
      tensors[named('.num_batches_tracked').attrs.name as string] = [0];
      weights.push(named('.weight').id, named('.bias').id);
      for (const update of s.stateUpdates)
        b.output(update.name.replace(/.*\./, 'state.'), update.node, 'value');
      break;
    }
    case 'groupnorm': {
      const rank = c.inputs.x.shape.length - 2;
      weights.push(leaf('x', ['N', 'C', ...(rank === 3 ? ['D', 'H', 'W'] : ['H', 'W'])]));
      const groups: Value = { kind: 'number', value: c.attrs.groups as number, integer: true };
      out = s.scoped('gn', () => s.tensor(call('groupnorm', [tensor(weights[0]), groups]), span));
      const named = (suffix: string) => b.nodes.find((n) => String(n.attrs.name).endsWith(suffix))!;
      tensors[named('.weight').attrs.name as string] = c.inputs.weight.data;
      tensors[named('.bias').attrs.name as string] = c.inputs.bias.data;
      weights.push(named('.weight').id, named('.bias').id);
      break;
    }
    case 'linear': {
      weights.push(leaf('x', ['N', 'C']), leaf('w', ['O', 'I']), leaf('b', ['C']));
      out = b.add('add', [b.add('channel_mix', [weights[0], weights[1]]), weights[2]]);
      break;
    }
    case 'pad': {
      weights.push(leaf('x', NCHW));
      const p = c.attrs.p as number[];
      out = b.add('pad', weights, { before: p, after: p, value: c.attrs.value as number });
      break;
    }
    case 'cross_entropy': {
      const z = leaf('z', NCHW);
      const y = b.add('input', [], {
        name: 'y',
        dims: ['N', 'H', 'W'],
        sizes: c.inputs.y.shape,
        dtype: 'u8',
      });
      tensors.y = c.inputs.y.data;
      bytes.y = Uint8Array.from(c.inputs.y.data);
      weights.push(z);
      const ce = losses.definitions.get('ce')!;
      out = s.tensor(
        s.callDefinition(
          { kind: 'function', def: ce.def, scope: ce.scope },
          [tensor(z), tensor(y)],
          new Map(),
          span,
          [],
        ),
        span,
      );
      break;
    }
    default:
      throw new Error(`no mapping for golden op ${c.op}`);
  }
  b.output('out', out);
  if (c.grad_output) {
    const type = b.type(out);
    const g = b.add('input', [], {
      name: 'grad_output',
      dims: type.dims.map((d) => d.name),
      sizes: type.dims.map((d) => d.size),
    });
    tensors.grad_output = c.grad_output.data;
    const loss = b.sum(
      b.binary('mul', out, g),
      type.dims.map((d) => d.name),
    );
    const grads = differentiate(b, loss, weights);
    const names = Object.keys(c.grads);
    weights.forEach((w, i) => b.output(`grad.${names[i]}`, grads.get(w)!, 'gradient'));
  }
  return { graph: b.graph(), tensors, bytes };
}

function expected(c: Case, name: string): number[] {
  if (name === 'out') return c.output.data;
  if (name.startsWith('grad.')) return c.grads[name.slice(5)].data;
  return c.state_after![name.slice(6)].data;
}

describe.each(cases.map((c) => [c.name, c] as const))('torch golden %s', (_name, c) => {
  const { graph, tensors, bytes } = build(c);

  it('oracle matches PyTorch (float64)', () => {
    const values = evaluateGraph(graph, { tensors });
    for (const o of graph.outputs)
      expect(relativeError(values.get(o.node)!.data, expected(c, o.name)), o.name).toBeLessThan(1e-9);
  });

  it('GPU matches PyTorch (float32)', async () => {
    const gpu = await runOnGpu(graph, { tensors, bytes });
    for (const o of graph.outputs)
      expect(relativeError(gpu[o.name], expected(c, o.name)), o.name).toBeLessThan(1e-4);
  });
});
