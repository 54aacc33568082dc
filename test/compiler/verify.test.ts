// The IR verifier: staged graphs pass; each broken invariant is reported with the node and its neighbours.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import type { Graph } from '../../compiler/ir/types.ts';
import { verifyGraph } from '../../compiler/ir/verify.ts';
import { compileExperiment } from '../../compiler/index.ts';

function small(): Graph {
  const b = new GraphBuilder();
  const x = b.add('weight', [], { name: 'x', dims: ['N', 'C'], sizes: [2, 3] });
  const e = b.unary('exp', x);
  b.output('loss', b.sum(e, ['N', 'C']));
  return b.graph();
}

describe('verifyGraph', () => {
  it('accepts the staged training and evaluation graphs of the quickstart', () => {
    const compiled = compileExperiment('experiments/quickstart.seg');
    expect(() => verifyGraph(compiled.train.graph, 'train')).not.toThrow();
    expect(() => verifyGraph(compiled.eval.graph, 'eval')).not.toThrow();
  });

  it('reports a node whose type is not what its shape rule gives', () => {
    const g = small();
    g.nodes[1] = { ...g.nodes[1], type: { dims: [{ name: 'N', size: 2 }], dtype: 'f32' } };
    expect(() => verifyGraph(g, 'test')).toThrow(
      /IR verifier \(test\): its type differs[\s\S]*> %1: f32\[N=2\] = exp %0/,
    );
  });

  it('reports an input that does not come before its user, duplicate leaves and duplicate outputs', () => {
    const late = small();
    late.nodes[1] = { ...late.nodes[1], inputs: [2] };
    expect(() => verifyGraph(late, 'test')).toThrow('input %2 does not come before %1');
    const twice = small();
    twice.nodes.push({ ...twice.nodes[0], id: 3 });
    expect(() => verifyGraph(twice, 'test')).toThrow("two weight leaves are named 'x'");
    const outputs = small();
    outputs.outputs.push({ ...outputs.outputs[0] });
    expect(() => verifyGraph(outputs, 'test')).toThrow("two outputs are named 'loss'");
  });
});
