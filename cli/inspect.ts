// Text for `segc graph` and `segc wgsl`: the IR of the training and evaluation graphs, and every kernel.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userError } from '../diagnostics/index.ts';
import { printGraph } from '../compiler/ir/printer.ts';
import { liveNodes } from '../compiler/ir/types.ts';
import { memoryReport } from '../compiler/index.ts';
import type { CompiledExperiment } from '../compiler/index.ts';

export function printGraphs(compiled: CompiledExperiment): string {
  const section = (title: string, text: string) => `# ${title}\n${text}`;
  return [
    section(
      `training step of '${compiled.spec.name}' (forward, backward, state updates)`,
      printGraph(compiled.train.graph, liveNodes(compiled.train.graph)),
    ),
    section('evaluation (forward, metrics)', printGraph(compiled.eval.graph, liveNodes(compiled.eval.graph))),
  ].join('\n');
}

/** The kernels whose names contain `filter` (all without one); none matching is an error with examples. */
function selectKernels(compiled: CompiledExperiment, filter?: string) {
  const all = [...compiled.trainPlan.kernels, ...compiled.evalPlan.kernels];
  const chosen = all.filter((k) => !filter || k.name.includes(filter));
  if (chosen.length === 0) {
    const examples = [all[0], all[all.length - 1]].map((k) => `'${k.name}'`).join(' ... ');
    throw userError('SEG6087', [String(filter), all.length, examples]);
  }
  return chosen;
}

export function printKernels(compiled: CompiledExperiment, filter?: string): string {
  return selectKernels(compiled, filter)
    .map((k) => `${k.wgsl}`)
    .join('\n');
}

/**
 * Writes each kernel to `DIR/<kernel name>.wgsl` (what `segc wgsl --out DIR` does), for tools that take WGSL
 * files; refuses a directory that already holds .wgsl files, so nothing a user saved is overwritten. Returns
 * the count.
 */
export function writeKernels(compiled: CompiledExperiment, dir: string, filter?: string): number {
  if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.wgsl'))) {
    throw userError('SEG6088', [dir]);
  }
  mkdirSync(dir, { recursive: true });
  const kernels = selectKernels(compiled, filter);
  for (const k of kernels) writeFileSync(join(dir, `${k.name}.wgsl`), k.wgsl);
  return kernels.length;
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
        `  activations: ${mib(r.activations.before)} -> ${mib(r.activations.after)} in ${r.arenas} arenas`,
      ].join('\n');
    })
    .join('\n')
    .concat('\n');
}
