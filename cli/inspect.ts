// Text for `segc graph` and `segc wgsl`: the IR of the training and evaluation graphs, and every kernel.
import { printGraph } from '../compiler/ir/printer.ts';
import { liveNodes } from '../compiler/ir/types.ts';
import { memoryReport } from '../compiler/passes/plan-memory.ts';
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

export function printPlanSummary(compiled: CompiledExperiment): string {
  const mib = (bytes: number) => `${bytes} bytes (${(bytes / 2 ** 20).toFixed(1)} MiB)`;
  return [compiled.trainPlan, compiled.evalPlan]
    .map((plan) => {
      const r = memoryReport(plan);
      const kinds = new Map<string, number>();
      for (const k of plan.kernels) kinds.set(k.kind, (kinds.get(k.kind) ?? 0) + 1);
      const byKind = [...kinds].map(([kind, n]) => `${kind} ${n}`).join(', ');
      return [
        `${plan.name}: ${plan.kernels.length} kernels (${byKind})`,
        `  memory: ${mib(r.total)} without sharing, ${mib(r.allocated)} allocated, peak live ${mib(r.peak)}`,
        `  activations: ${mib(r.activations.before)} -> ${mib(r.activations.after)}`,
      ].join('\n');
    })
    .join('\n')
    .concat('\n');
}
