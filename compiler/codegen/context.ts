// Per-kernel codegen state: storage bindings, uniform slots, and emission of fused pointwise expression
// trees.
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { Dim, Graph, Node, TensorType } from '../ir/types.ts';
import { stridesOf } from '../ir/types.ts';
import { getOp } from '../ops/index.ts';
import { f32Literal, uniformRead } from './wgsl.ts';

export interface Binding {
  buffer: number;
  access: 'read' | 'read_write';
  packed: boolean; // u8 data packed in u32 words
  label: string;
}

export class KernelContext {
  readonly bindings: Binding[] = [];
  usesUniforms = false;
  /** The values behind `size()` reads, bound as the kernel's `sizes` uniform (PlanKernel.sizes). */
  readonly sizes: number[] = [];
  private readonly sizeNames: string[] = [];

  constructor(
    readonly graph: Graph,
    private readonly bufferOf: (node: number) => number,
    private readonly uniformSlot: (name: string) => number,
    private readonly bufferLabel: (buffer: number) => string,
    /**
     * Whether `size()` reads its value from a uniform (the CPU adapter): kernels that differ only in their
     * sizes then have one WGSL text and share one pipeline, compiled once.
     */
    readonly sharedSizes = false,
  ) {}

  /**
   * A u32 size named `name` in this kernel, as WGSL: a literal, or with `sharedSizes` a read of the kernel's
   * `sizes` uniform (one slot per name, so kernels of one structure read the same slots).
   */
  size(name: string, value: number): string {
    if (!this.sharedSizes) return `${value}u`;
    let slot = this.sizeNames.indexOf(name);
    if (slot < 0) {
      slot = this.sizeNames.push(name) - 1;
      this.sizes.push(value);
    } else if (this.sizes[slot] !== value) {
      throw new InternalError(`size '${name}' is ${this.sizes[slot]} and ${value} in one kernel`);
    }
    return `sizes[${slot >> 2}][${slot & 3}]`;
  }

  /** `size()` as an i32 (for signed coordinate arithmetic). */
  sizeI32(name: string, value: number): string {
    return this.sharedSizes ? `i32(${this.size(name, value)})` : `${value}`;
  }

  /** The WGSL variable of a buffer binding (one binding per buffer and access). */
  bind(buffer: number, access: Binding['access'], packed = false): string {
    let index = this.bindings.findIndex((b) => b.buffer === buffer && b.access === access);
    if (index < 0) {
      index = this.bindings.length;
      this.bindings.push({ buffer, access, packed, label: this.bufferLabel(buffer) });
    }
    return `b${index}`;
  }

  bindNode(node: number, access: Binding['access'] = 'read'): string {
    return this.bind(this.bufferOf(node), access, this.graph.nodes[node].type.dtype === 'u8');
  }

  uniform(name: string): string {
    this.usesUniforms = true;
    return uniformRead(this.uniformSlot(name));
  }

  declarations(uniformStructText: string): string {
    const lines = this.bindings.map((b, i) => {
      const element = b.packed ? 'u32' : 'f32';
      const mode = b.access === 'read' ? 'read' : 'read_write';
      return `@group(0) @binding(${i}) var<storage, ${mode}> b${i}: array<${element}>;`;
    });
    if (this.usesUniforms) {
      lines.push(uniformStructText);
      lines.push(`@group(0) @binding(${this.bindings.length}) var<uniform> u: Uniforms;`);
    }
    if (this.sizes.length > 0) {
      const binding = this.bindings.length + (this.usesUniforms ? 1 : 0);
      const vectors = Math.ceil(this.sizes.length / 4);
      lines.push(`@group(0) @binding(${binding}) var<uniform> sizes: array<vec4<u32>, ${vectors}>;`);
    }
    return lines.join('\n');
  }

  /** Reads node `id` (stored in a buffer) at the current coordinates `i_<dim>`. */
  load(id: number, flat?: { name: string; dims: Dim[] }): string {
    const node = this.graph.nodes[id];
    const variable = this.bindNode(id);
    const index = indexExpression(node.type, flat, (dim, stride) => this.size(`${variable}.${dim}`, stride));
    if (node.type.dtype === 'u8') {
      return `f32((${variable}[(${index}) >> 2u] >> (((${index}) & 3u) * 8u)) & 255u)`;
    }
    return `${variable}[${index}]`;
  }

  /**
   * Emits `let v<id> = ...;` lines for `root` and the inlined nodes it depends on (in id order), reading
   * every other node from its buffer. Returns the lines and the WGSL name of the root's value.
   */
  emitExpression(
    root: number,
    inlined: Set<number>,
    flat?: { name: string; dims: Dim[] },
    computeRoot = true,
    /** Nodes whose value is already in a WGSL variable (a conv's accumulator in an epilogue). */
    given: Map<number, string> = new Map(),
  ): { lines: string[]; value: string } {
    const lines: string[] = [];
    const names = new Map<number, string>(given);
    const visit = (id: number, isRoot: boolean): string => {
      const seen = names.get(id);
      if (seen) return seen;
      const node = this.graph.nodes[id];
      let expression: string;
      if (node.op === 'const') expression = f32Literal(node.attrs.value as number);
      else if (node.op === 'uniform') expression = this.uniform(node.attrs.name as string);
      else if (!isRoot && !inlined.has(id)) expression = this.load(id, flat);
      else
        expression = this.pointwise(
          node,
          node.inputs.map((i) => visit(i, false)),
        );
      const name = `v${id}`;
      lines.push(`let ${name} = ${expression};`);
      names.set(id, name);
      return name;
    };
    const value = visit(root, computeRoot);
    return { lines, value };
  }

  private pointwise(node: Node, args: string[]): string {
    const def = getOp(node.op);
    if (!def.wgsl) throw new InternalError(`op '${node.op}' cannot be inlined into a kernel`);
    return def.wgsl(args, node.attrs, (dim) => `i_${dim}`);
  }
}

/** Flat index of a tensor at coordinates `i_<dim>` of a kernel's iteration space (broadcast by name). */
export function indexExpression(
  type: TensorType,
  flat?: { name: string; dims: Dim[] },
  stride: (dim: string, value: number) => string = (_, value) => `${value}u`,
): string {
  if (type.dims.length === 0) return '0u';
  if (flat && sameDims(type.dims, flat.dims)) return flat.name;
  const strides = stridesOf(type);
  return type.dims.map((d) => `i_${d.name} * ${stride(d.name, strides.get(d.name)!)}`).join(' + ');
}

function sameDims(a: Dim[], b: Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d.name === b[i].name && d.size === b[i].size);
}
