// Text for `segc graph` and `segc wgsl`: the IR of the training and evaluation graphs, and every kernel.
import { printGraph } from '../compiler/ir/printer.ts';
import { liveNodes } from '../compiler/passes/fuse.ts';
import type { CompiledExperiment } from '../runtime/compile.ts';

export function printGraphs(compiled: CompiledExperiment): string {
  const section = (title: string, text: string) => `# ${title}\n${text}`;
  return [
    section(`training step of '${compiled.spec.name}' (forward, backward, state updates)`, printGraph(compiled.train.graph, liveNodes(compiled.train.graph))),
    section('evaluation (forward, metrics)', printGraph(compiled.eval.graph, liveNodes(compiled.eval.graph))),
  ].join('\n');
}

export function printKernels(compiled: CompiledExperiment, filter?: string): string {
  const kernels = [...compiled.trainPlan.kernels, ...compiled.evalPlan.kernels].filter((k) => !filter || k.name.includes(filter));
  return kernels.map((k) => `${k.wgsl}`).join('\n');
}
