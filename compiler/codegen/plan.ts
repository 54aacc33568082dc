// emitPlan (codegen): turns a graph, with the kernels fusion chose (passes/), into buffers and WGSL kernels
// in dispatch order, plus step-end updates. The compiler's driver (compiler/index.ts, generatePlan) runs
// fusion before it and memory planning after it.
import type { Graph, Node } from '../ir/types.ts';
import { describeNode } from '../ir/printer.ts';
import type { BufferRole, Plan, PlanBuffer, PlanKernel, PlanOutput } from '../ir/plan.ts';
import { elementCount } from '../ir/types.ts';
import { getOp } from '../ops/index.ts';
import type { Fusion } from '../passes/index.ts';
import { KernelContext } from './context.ts';
import type { KernelBody } from './kinds/elementwise.ts';
import { combineKernel } from './kinds/reduce.ts';
import type { AdamSettings } from './kinds/update.ts';
import { accumulateKernel, adamKernel, guardKernel } from './kinds/update.ts';
import type { OptimizerPlan } from './updates/index.ts';
import { emitUpdates, updateUniforms } from './updates/index.ts';
import type { PlanLimits } from './limits.ts';
import { loweringOf } from './lowering.ts';
import { MAX_GROUPS_PER_DIM, gridFor, kernelHeader, uniformStruct } from './wgsl.ts';

export type { BufferRole, Plan, PlanBuffer, PlanKernel, PlanOutput } from '../ir/plan.ts';
export { describeNode } from '../ir/printer.ts';

export interface PlanOptions {
  name: string;
  fuse?: boolean;
  /** Sum every 'value' output into one accumulator buffer each execution (losses and metrics). */
  accumulate?: boolean;
  /** Append an Adam update of each weight using its 'gradient' output named `grad:<weight name>`. */
  adam?: AdamSettings;
  /**
   * Append the optimizer's update of each weight using its 'gradient' output named `grad:<weight name>`
   * (kernels from the table in updates/index.ts).
   */
  optimizer?: OptimizerPlan;
  /** Share allocations between activations with disjoint lifetimes (default true). */
  reuse?: boolean;
  /**
   * Let a ReLU's backward read its output instead of its input where that stores less (chooseReluMasks;
   * default true, with fusion). False: every ReLU's mask reads its input, as its vjp builds it.
   */
  reluMasks?: boolean;
  /** The adapter kind the plan is tuned for: how far large reductions are split across workgroups. */
  target?: 'gpu' | 'cpu';
  /**
   * The device's limits, of which the plan uses maxComputeWorkgroupsPerDimension: dispatches wider than it
   * (or than WebGPU's guaranteed 65535, whichever is lower) become 2-D grids. Tests lower it to split small
   * kernels. Checking the plan against the limits is validatePlan's (limits.ts).
   */
  limits?: Partial<PlanLimits>;
}

/** Workgroups to aim for when splitting reductions (chunks) and weight gradients. */
const SPLIT_TARGET = { gpu: { reduce: 65536, weights: 65536 }, cpu: { reduce: 1, weights: 1 } };

/** Storage buffers a kernel may bind when no device is given (`segc wgsl`, `plan`): what lavapipe offers. */
export const STORAGE_BUFFERS_WITHOUT_DEVICE = 16;
/** Bindings a fused kernel needs besides the tensors its tree reads: its output, a conv host's two inputs. */
export const OWN_BINDINGS = 3;

export function emitPlan(graph: Graph, fusion: Fusion, options: PlanOptions): Plan {
  const buffers: PlanBuffer[] = [];
  const named = new Map<string, number>();
  const addBuffer = (
    name: string,
    role: BufferRole,
    elements: number,
    dtype: 'f32' | 'u8' = 'f32',
    node?: number,
  ): number => {
    const existing = named.get(name);
    if (existing !== undefined) return existing;
    const bytes = Math.max(4, dtype === 'u8' ? Math.ceil(elements / 4) * 4 : elements * 4);
    buffers.push({
      index: buffers.length,
      name,
      role,
      elements,
      dtype,
      bytes,
      ...(node === undefined ? {} : { node }),
    });
    named.set(name, buffers.length - 1);
    return buffers.length - 1;
  };
  const nodeBuffer = new Map<number, number>();
  for (const node of graph.nodes) {
    if (!fusion.stored.has(node.id)) continue;
    const role: BufferRole = ['input', 'weight', 'state'].includes(node.op)
      ? (node.op as BufferRole)
      : 'activation';
    const name = role === 'activation' ? `t${node.id}` : `${role}:${node.attrs.name}`;
    nodeBuffer.set(node.id, addBuffer(name, role, elementCount(node.type), node.type.dtype, node.id));
  }
  const uniforms = collectUniforms(graph, fusion.live, options.adam !== undefined, options.optimizer);
  const target = SPLIT_TARGET[options.target ?? 'gpu'];
  const maxPerDim = Math.min(
    MAX_GROUPS_PER_DIM,
    options.limits?.maxComputeWorkgroupsPerDimension ?? MAX_GROUPS_PER_DIM,
  );
  const kernels: PlanKernel[] = [];
  const emit = (name: string, kind: string, ctx: KernelContext, made: KernelBody, nodes: Node[]) => {
    const header = kernelHeader({
      name,
      kind,
      workgroup: made.workgroup,
      bindings: ctx.bindings
        .map((b) => `${b.access} ${b.label}`)
        .concat(ctx.usesUniforms ? ['uniforms'] : [])
        .concat(ctx.sizes.length > 0 ? [`sizes [${ctx.sizes.join(', ')}]`] : []),
      nodes: nodes.map(describeNode),
      spans: [...new Set(nodes.filter((n) => n.span).map((n) => spanText(n)))],
    });
    const wgsl = `${header}\n${ctx.declarations(uniformStruct(uniforms.length))}\n\n${made.body}\n`;
    kernels.push({
      name,
      kind,
      wgsl,
      bindings: ctx.bindings.map((b) => b.buffer),
      writes: ctx.bindings.filter((b) => b.access === 'read_write').map((b) => b.buffer),
      usesUniforms: ctx.usesUniforms,
      ...(ctx.sizes.length > 0 ? { sizes: [...ctx.sizes] } : {}),
      workgroup: made.workgroup,
      dispatch: gridFor(made.dispatch, maxPerDim),
      nodes: nodes.map((n) => n.id),
    });
  };
  const newContext = () =>
    new KernelContext(
      graph,
      (id) => nodeBuffer.get(id)!,
      (name) => uniforms.indexOf(name),
      (b) => `${buffers[b].name} ${buffers[b].dtype}[${buffers[b].elements}]`,
      options.target === 'cpu',
    );
  for (const root of fusion.roots) {
    const node = graph.nodes[root];
    const ctx = newContext();
    const inlined = new Set(fusion.inlined.get(root) ?? []);
    const kind = getOp(node.op).kind;
    const members = [...inlined].map((id) => graph.nodes[id]).concat(node);
    const kernelName = () => `${options.name}_${String(kernels.length).padStart(3, '0')}_${node.op}`;
    const lowering = loweringOf(node);
    const targetKind = options.target ?? 'gpu';
    // Large reductions with few outputs run in two kernels: chunks into a partial buffer, then a combine.
    const outputs = elementCount(node.type);
    const chunks = lowering.chunks?.(graph, node, target, targetKind) ?? 1;
    const split =
      chunks > 1
        ? {
            chunks,
            partial: addBuffer(`t${node.id}.partial`, 'activation', outputs * chunks, 'f32', node.id),
          }
        : undefined;
    const host = fusion.epilogues.get(root);
    if (host !== undefined) {
      // The pointwise root runs in the epilogue of the convolution it reads.
      const conv = graph.nodes[host];
      const made = loweringOf(conv).kernel(ctx, conv, {
        inlined: new Set(),
        target: targetKind,
        epilogue: { root: node, inlined },
      });
      emit(
        `${options.name}_${String(kernels.length).padStart(3, '0')}_${conv.op}_${node.op}`,
        'conv',
        ctx,
        made,
        [conv, ...members],
      );
      continue;
    }
    const made = lowering.kernel(ctx, node, { inlined, split, target: targetKind });
    emit(kernelName(), kind, ctx, made, members);
    if (split) {
      const combine = newContext();
      const made2 = combineKernel(
        combine,
        node.op === 'max' ? 'max' : 'sum',
        split.partial,
        nodeBuffer.get(root)!,
        outputs,
        chunks,
      );
      emit(`${kernelName()}_combine`, kind, combine, made2, [node]);
    }
  }
  const outputs: PlanOutput[] = graph.outputs.map((o) => ({
    name: o.name,
    role: o.role,
    buffer: nodeBuffer.get(o.node)!,
    elements: elementCount(graph.nodes[o.node].type),
  }));
  const copies = outputs
    .filter((o) => o.role === 'state')
    .map((o) => ({ from: o.buffer, to: named.get(`state:${o.name}`)! }));
  let accumulator: number | undefined;
  if (options.accumulate) {
    const values = outputs.filter((o) => o.role === 'value');
    let offset = 0;
    for (const o of values) {
      o.offset = offset;
      offset += o.elements;
    }
    accumulator = addBuffer('accumulator', 'accumulator', offset);
    for (const o of values) {
      const ctx = newContext();
      ctx.bind(o.buffer, 'read');
      ctx.bind(accumulator, 'read_write');
      emit(
        `${options.name}_accumulate_${o.name}`,
        'update',
        ctx,
        accumulateKernel(o.elements, o.offset!),
        [],
      );
    }
  }
  let guard: number | undefined;
  if (options.optimizer) {
    // The loss guard: the first non-finite loss records its step and freezes the weights (see updateKernel).
    const loss = outputs.find((o) => o.name === 'loss')!;
    guard = addBuffer('guard', 'accumulator', 2);
    const guardContext = newContext();
    guardContext.bind(loss.buffer, 'read');
    guardContext.bind(guard, 'read_write');
    emit(`${options.name}_guard`, 'update', guardContext, guardKernel(guardContext.uniform('step')), []);
    const gradients = outputs
      .filter((o) => o.role === 'gradient')
      .map((o) => ({ weight: o.name.replace(/^grad:/, ''), buffer: o.buffer, elements: o.elements }));
    emitUpdates(options.optimizer, gradients, guard, {
      buffer: (name, role, elements, node) => addBuffer(name, role, elements, 'f32', node),
      weight: (name) => {
        const buffer = named.get(`weight:${name}`)!;
        return { buffer, node: buffers[buffer].node };
      },
      context: newContext,
      emit: (name, ctx, made) => emit(`${options.name}_${name}`, 'update', ctx as KernelContext, made, []),
    });
  } else if (options.adam) {
    // The loss guard: the first non-finite loss records its step and freezes the weights (see adamKernel).
    const loss = outputs.find((o) => o.name === 'loss')!;
    guard = addBuffer('guard', 'accumulator', 2);
    const guardContext = newContext();
    guardContext.bind(loss.buffer, 'read');
    guardContext.bind(guard, 'read_write');
    emit(`${options.name}_guard`, 'update', guardContext, guardKernel(guardContext.uniform('step')), []);
    for (const o of outputs.filter((x) => x.role === 'gradient')) {
      const weight = o.name.replace(/^grad:/, '');
      const p = named.get(`weight:${weight}`)!;
      const ctx = newContext();
      ctx.bind(p, 'read_write');
      ctx.bind(o.buffer, 'read');
      const node = buffers[p].node;
      ctx.bind(addBuffer(`optimizer:${weight}.exp_avg`, 'optimizer', o.elements, 'f32', node), 'read_write');
      ctx.bind(
        addBuffer(`optimizer:${weight}.exp_avg_sq`, 'optimizer', o.elements, 'f32', node),
        'read_write',
      );
      ctx.bind(guard, 'read_write');
      const made = adamKernel(
        o.elements,
        options.adam,
        ctx.uniform('adam.step_size'),
        ctx.uniform('adam.bias2'),
        ctx.uniform('step'),
      );
      emit(`${options.name}_adam_${weight}`, 'update', ctx, made, []);
    }
  }
  const plan: Plan = {
    name: options.name,
    graph,
    buffers,
    kernels,
    uniforms,
    outputs,
    copies,
    accumulator,
    guard,
  };
  return plan;
}

function collectUniforms(
  graph: Graph,
  live: Set<number>,
  adam: boolean,
  optimizer?: OptimizerPlan,
): string[] {
  const names = new Set<string>();
  for (const node of graph.nodes)
    if (live.has(node.id) && node.op === 'uniform') names.add(node.attrs.name as string);
  if (adam) {
    names.add('adam.step_size');
    names.add('adam.bias2');
    names.add('step');
  }
  for (const name of optimizer ? updateUniforms(optimizer) : []) names.add(name);
  return [...names].sort();
}

function spanText(node: Node): string {
  const span = node.span!;
  const file = span.file.split('/').pop();
  return `${file}:${span.line}:${span.col}`;
}
