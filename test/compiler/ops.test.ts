// Every IR op: its vjp against float64 central differences (oracle), and its GPU kernel (lavapipe) against
// the oracle, forward and backward, on odd sizes.
import { describe, expect, it } from 'vitest';
import { differentiate } from '../../compiler/autodiff/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { evaluateGraph } from '../../compiler/ir/oracle.ts';
import type { OracleFeeds } from '../../compiler/ir/oracle.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { elementCount } from '../../compiler/ir/types.ts';
import { getOp, opTable } from '../../compiler/ops/index.ts';
import { createRandom } from '../../runtime/data/random.ts';
import { relativeError, runOnGpu } from '../helpers/gpu.ts';
import type { OpCase } from './op-cases.ts';
import { buildLeaves, opCases } from './op-cases.ts';

/** No gradient by design, so finite differences do not apply. */
const NO_FD = new Set(['stop_gradient']);

interface Built {
  graph: Graph;
  feeds: OracleFeeds;
  bytes: Record<string, Uint8Array>;
  differentiable: string[];
  hasLoss: boolean;
}

function build(testCase: OpCase, seed: number): Built {
  const random = createRandom(seed);
  const b = new GraphBuilder();
  const leaves = buildLeaves(b, testCase.leaves);
  const out = b.add(testCase.op, leaves, testCase.attrs ?? {});
  b.output('out', out);
  const tensors: Record<string, number[]> = {};
  const bytes: Record<string, Uint8Array> = {};
  for (const leaf of testCase.leaves) {
    const count = leaf.sizes.reduce((a, s) => a * s, 1);
    if (leaf.values === 'labels') {
      const labels = Array.from({ length: count }, (_, i) => (i % 5 === 4 ? 255 : random.int(3)));
      tensors[leaf.name] = labels;
      bytes[leaf.name] = Uint8Array.from(labels);
    } else {
      const draws = {
        positive: () => 0.5 + 2 * random.next(),
        small: () => 1e-3 * random.normal(),
        mask: () => random.int(2),
        seed: () => 1 + random.int(100000),
        normal: () => random.normal(),
      };
      const draw = draws[leaf.values ?? 'normal'];
      tensors[leaf.name] = Array.from({ length: count }, () => Math.fround(draw()));
    }
  }
  // Labels and 0/1 conditions take no gradient (a finite difference would flip a condition).
  const differentiable = testCase.leaves
    .filter((l) => l.values !== 'labels' && l.values !== 'mask' && l.values !== 'seed')
    .map((l) => l.name);
  const hasLoss = getOp(testCase.op).vjp !== undefined && differentiable.length > 0;
  if (hasLoss) {
    const type = b.type(out);
    const r = b.add('input', [], {
      name: 'r',
      dims: type.dims.map((d) => d.name),
      sizes: type.dims.map((d) => d.size),
    });
    tensors.r = Array.from({ length: elementCount(type) }, () => Math.fround(random.normal()));
    const loss = b.sum(
      b.binary('mul', out, r),
      type.dims.map((d) => d.name),
    );
    b.output('loss', loss);
    const weights = differentiable.map(
      (name) => b.nodes.find((n) => n.op === 'weight' && n.attrs.name === name)!.id,
    );
    const grads = differentiate(b, loss, weights);
    differentiable.forEach((name, i) => b.output(`grad:${name}`, grads.get(weights[i])!, 'gradient'));
  }
  return { graph: b.graph(), feeds: { tensors }, bytes, differentiable, hasLoss };
}

function outputValue(graph: Graph, feeds: OracleFeeds, name: string): Float64Array {
  const values = evaluateGraph(graph, feeds);
  return values.get(graph.outputs.find((o) => o.name === name)!.node)!.data;
}

const caseName = (c: OpCase) => c.label ?? c.op;

describe('op table', () => {
  it('has a test case for every non-leaf op', () => {
    const covered = new Set(opCases.map((c) => c.op));
    const missing = [...opTable.values()]
      .filter((op) => op.kind !== 'leaf' && !covered.has(op.name))
      .map((o) => o.name);
    expect(missing).toEqual([]);
  });
});

const cases = opCases.map((c) => ({ name: caseName(c), testCase: c, built: build(c, 1234) }));
const differentiable = cases.filter(
  (c) => c.built.hasLoss && !NO_FD.has(c.testCase.op) && !c.testCase.gpuOnly,
);

describe('vjp matches float64 central differences', () => {
  it.each(differentiable.map((c) => [c.name, c.built] as const))('%s', (_name, built) => {
    const { graph, feeds } = built;
    const h = 1e-6;
    for (const name of built.differentiable) {
      const analytic = outputValue(graph, feeds, `grad:${name}`);
      const base = feeds.tensors[name] as number[];
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number) => {
          const moved = { ...feeds.tensors, [name]: base.map((v, k) => (k === i ? v + delta : v)) };
          return outputValue(graph, { tensors: moved }, 'loss')[0];
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(analytic[i] - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      }
    }
  });
});

describe('GPU kernels match the float64 oracle (forward and gradients)', () => {
  it.each(cases.map((c) => [c.name, c.built] as const))('%s', async (_name, built) => {
    const { graph, feeds, bytes } = built;
    const gpu = await runOnGpu(graph, { tensors: feeds.tensors, bytes });
    const values = evaluateGraph(graph, feeds);
    for (const output of graph.outputs) {
      const expected = values.get(output.node)!.data;
      expect(relativeError(gpu[output.name], expected), output.name).toBeLessThan(1e-4);
    }
  });
});
