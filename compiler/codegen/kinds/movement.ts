// Data-movement kernels, one thread per output element: max pooling and its gradient, nearest upsampling and
// its gradient, concatenation and slicing along C.
import { InternalError } from '../../../diagnostics/diagnostic.ts';
import type { Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import { foldedNchw, nchw } from '../../ops/spatial.ts';
import type { Nchw } from '../../ops/spatial.ts';
import type { KernelContext } from '../context.ts';
import { WORKGROUP, decompose, linearDispatch, threadEntry } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';
import { poolingKernel } from './pooling.ts';
import { channelKernel } from './channels.ts';
import { linearKernel } from './linear.ts';

const at = (s: Nchw, n: string, c: string, y: string, x: string) =>
  `((${n} * ${s.c}u + ${c}) * ${s.h}u + ${y}) * ${s.w}u + ${x}`;

function coords(s: Nchw): string[] {
  const dims = [
    { name: 'n', size: s.n },
    { name: 'c', size: s.c },
    { name: 'y', size: s.h },
    { name: 'x', size: s.w },
  ];
  return decompose('t', dims, 'c_');
}

function perOutput(node: Node, shape: Nchw, compute: string[], value: string, out: string): KernelBody {
  const total = elementCount(node.type);
  const body = [
    ...threadEntry('t', total),
    ...coords(shape).map((l) => `  ${l}`),
    ...compute.map((l) => `  ${l}`),
    `  ${out}[t] = ${value};`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: linearDispatch(Math.ceil(total / WORKGROUP)) };
}

/** WGSL lines finding the first maximum (row-major) of pooling window (wy, wx): sets best_y, best_x. */
function windowArgmax(input: string, s: Nchw, k: number, wy: string, wx: string): string[] {
  return [
    `var best = bitcast<f32>(0xff7fffffu);`,
    `var best_y = ${wy} * ${k}u;`,
    `var best_x = ${wx} * ${k}u;`,
    `for (var dy = 0u; dy < ${k}u; dy++) {`,
    `  for (var dx = 0u; dx < ${k}u; dx++) {`,
    `    let v = ${input}[${at(s, 'c_n', 'c_c', `${wy} * ${k}u + dy`, `${wx} * ${k}u + dx`)}];`,
    `    if (v > best) { best = v; best_y = ${wy} * ${k}u + dy; best_x = ${wx} * ${k}u + dx; }`,
    `  }`,
    `}`,
  ];
}

export function movementKernel(ctx: KernelContext, node: Node): KernelBody {
  if (['pool', 'pool_grad', 'resize', 'resize_grad'].includes(node.op)) return poolingKernel(ctx, node);
  if (node.op === 'group_sum' || node.op === 'random_mask') return channelKernel(ctx, node);
  if (['channel_mix', 'channel_outer', 'pad'].includes(node.op)) return linearKernel(ctx, node);
  // Concat and slice move whole rows along C, so 3-D tensors take the same kernels with D·H rows.
  const view = ['concat', 'slice'].includes(node.op) ? foldedNchw : nchw;
  const type = (i: number) => view(ctx.graph.nodes[node.inputs[i]].type, node.op);
  const self = view(node.type, node.op);
  const input = (i: number) => ctx.bindNode(node.inputs[i]);
  const out = ctx.bindNode(node.id, 'read_write');
  switch (node.op) {
    case 'maxpool2d': {
      const x = input(0);
      return perOutput(
        node,
        self,
        windowArgmax(x, type(0), node.attrs.size as number, 'c_y', 'c_x'),
        'best',
        out,
      );
    }
    case 'maxpool2d_grad': {
      // Each input element takes the gradient of its window if it is that window's first maximum.
      const k = node.attrs.size as number;
      const [x, g] = [input(0), input(1)];
      const pooled = type(1);
      const compute = [
        `var value = 0.0;`,
        `let wy = c_y / ${k}u;`,
        `let wx = c_x / ${k}u;`,
        `if (wy < ${pooled.h}u && wx < ${pooled.w}u) {`,
        ...windowArgmax(x, self, k, 'wy', 'wx').map((l) => `  ${l}`),
        `  if (best_y == c_y && best_x == c_x) { value = ${g}[${at(pooled, 'c_n', 'c_c', 'wy', 'wx')}]; }`,
        `}`,
      ];
      return perOutput(node, self, compute, 'value', out);
    }
    case 'upsample_nearest': {
      const k = node.attrs.scale as number;
      return perOutput(
        node,
        self,
        [],
        `${input(0)}[${at(type(0), 'c_n', 'c_c', `c_y / ${k}u`, `c_x / ${k}u`)}]`,
        out,
      );
    }
    case 'upsample_nearest_grad': {
      const k = node.attrs.scale as number;
      const g = input(0);
      const big = type(0);
      const compute = [
        `var value = 0.0;`,
        `for (var dy = 0u; dy < ${k}u; dy++) {`,
        `  for (var dx = 0u; dx < ${k}u; dx++) {`,
        `    value += ${g}[${at(big, 'c_n', 'c_c', `c_y * ${k}u + dy`, `c_x * ${k}u + dx`)}];`,
        `  }`,
        `}`,
      ];
      return perOutput(node, self, compute, 'value', out);
    }
    case 'concat': {
      const [a, b] = [input(0), input(1)];
      const first = type(0);
      const second = type(1);
      const compute = [
        `var value = 0.0;`,
        `if (c_c < ${first.c}u) { value = ${a}[${at(first, 'c_n', 'c_c', 'c_y', 'c_x')}]; }`,
        `else { value = ${b}[${at(second, 'c_n', `(c_c - ${first.c}u)`, 'c_y', 'c_x')}]; }`,
      ];
      return perOutput(node, self, compute, 'value', out);
    }
    case 'slice': {
      const start = node.attrs.start as number;
      return perOutput(
        node,
        self,
        [],
        `${input(0)}[${at(type(0), 'c_n', `(c_c + ${start}u)`, 'c_y', 'c_x')}]`,
        out,
      );
    }
    default:
      throw new InternalError(`'${node.op}' is not a movement op`);
  }
}
