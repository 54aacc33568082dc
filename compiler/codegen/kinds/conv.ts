// Direct 2-D convolution kernels: forward (thread per output), input gradient (thread per input element) and
// weight gradient (workgroup per weight element, reducing over N and the output positions).
import { InternalError } from '../../diagnostics/diagnostic.ts';
import type { Node } from '../../ir/types.ts';
import { convGeometry } from '../../ops/conv.ts';
import type { ConvGeometry } from '../../ops/conv.ts';
import type { KernelContext } from '../context.ts';
import { LINEAR_GROUP, WORKGROUP, decompose, dispatchFor } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

const entry = [
  `@compute @workgroup_size(${WORKGROUP})`,
  `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,`,
  `        @builtin(local_invocation_index) lid: u32) {`,
];

function dims(names: string[], sizes: number[]) {
  return names.map((name, i) => ({ name, size: sizes[i] }));
}

function threadPerElement(total: number, coords: string[], loop: string[], store: string): KernelBody {
  const body = [
    ...entry,
    `  let t = ${LINEAR_GROUP} * ${WORKGROUP}u + lid;`,
    `  if (t >= ${total}u) { return; }`,
    ...coords.map((l) => `  ${l}`),
    `  var acc = 0.0;`,
    ...loop.map((l) => `  ${l}`),
    `  ${store}`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: dispatchFor(Math.ceil(total / WORKGROUP)) };
}

function forward(ctx: KernelContext, node: Node, g: ConvGeometry): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const w = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(node.id, 'read_write');
  const total = g.n * g.co * g.oh * g.ow;
  const coords = decompose('t', dims(['n', 'o', 'y', 'x'], [g.n, g.co, g.oh, g.ow]), 'c_');
  const loop = [
    `for (var i = 0u; i < ${g.ci}u; i++) {`,
    `  for (var ky = 0u; ky < ${g.k}u; ky++) {`,
    `    let iy = i32(c_y + ky) - ${g.pad};`,
    `    if (iy < 0 || iy >= ${g.h}) { continue; }`,
    `    for (var kx = 0u; kx < ${g.k}u; kx++) {`,
    `      let ix = i32(c_x + kx) - ${g.pad};`,
    `      if (ix < 0 || ix >= ${g.w}) { continue; }`,
    `      acc += ${x}[((c_n * ${g.ci}u + i) * ${g.h}u + u32(iy)) * ${g.w}u + u32(ix)]`,
    `        * ${w}[((c_o * ${g.ci}u + i) * ${g.k}u + ky) * ${g.k}u + kx];`,
    `    }`,
    `  }`,
    `}`,
  ];
  return threadPerElement(total, coords, loop, `${out}[t] = acc;`);
}

function gradInput(ctx: KernelContext, node: Node, g: ConvGeometry): KernelBody {
  const grad = ctx.bindNode(node.inputs[0]);
  const w = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(node.id, 'read_write');
  const total = g.n * g.ci * g.h * g.w;
  const coords = decompose('t', dims(['n', 'i', 'y', 'x'], [g.n, g.ci, g.h, g.w]), 'c_');
  const loop = [
    `for (var o = 0u; o < ${g.co}u; o++) {`,
    `  for (var ky = 0u; ky < ${g.k}u; ky++) {`,
    `    let oy = i32(c_y) + ${g.pad} - i32(ky);`,
    `    if (oy < 0 || oy >= ${g.oh}) { continue; }`,
    `    for (var kx = 0u; kx < ${g.k}u; kx++) {`,
    `      let ox = i32(c_x) + ${g.pad} - i32(kx);`,
    `      if (ox < 0 || ox >= ${g.ow}) { continue; }`,
    `      acc += ${grad}[((c_n * ${g.co}u + o) * ${g.oh}u + u32(oy)) * ${g.ow}u + u32(ox)]`,
    `        * ${w}[((o * ${g.ci}u + c_i) * ${g.k}u + ky) * ${g.k}u + kx];`,
    `    }`,
    `  }`,
    `}`,
  ];
  return threadPerElement(total, coords, loop, `${out}[t] = acc;`);
}

function gradWeight(ctx: KernelContext, node: Node, g: ConvGeometry): KernelBody {
  const x = ctx.bindNode(node.inputs[0]);
  const grad = ctx.bindNode(node.inputs[1]);
  const out = ctx.bindNode(node.id, 'read_write');
  const weights = g.co * g.ci * g.k * g.k;
  const count = g.n * g.oh * g.ow;
  const body = [
    `var<workgroup> partial: array<f32, ${WORKGROUP}>;`,
    ...entry,
    `  let t = ${LINEAR_GROUP};`,
    `  if (t >= ${weights}u) { return; }`,
    ...decompose('t', dims(['o', 'i', 'ky', 'kx'], [g.co, g.ci, g.k, g.k]), 'c_').map((l) => `  ${l}`),
    `  var acc = 0.0;`,
    `  for (var r = lid; r < ${count}u; r += ${WORKGROUP}u) {`,
    ...decompose('r', dims(['n', 'y', 'x'], [g.n, g.oh, g.ow]), 'p_').map((l) => `    ${l}`),
    `    let iy = i32(p_y + c_ky) - ${g.pad};`,
    `    let ix = i32(p_x + c_kx) - ${g.pad};`,
    `    if (iy >= 0 && iy < ${g.h} && ix >= 0 && ix < ${g.w}) {`,
    `      acc += ${x}[((p_n * ${g.ci}u + c_i) * ${g.h}u + u32(iy)) * ${g.w}u + u32(ix)]`,
    `        * ${grad}[((p_n * ${g.co}u + c_o) * ${g.oh}u + p_y) * ${g.ow}u + p_x];`,
    `    }`,
    `  }`,
    `  partial[lid] = acc;`,
    `  workgroupBarrier();`,
    `  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {`,
    `    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }`,
    `    workgroupBarrier();`,
    `  }`,
    `  if (lid == 0u) { ${out}[t] = partial[0]; }`,
    `}`,
  ].join('\n');
  return { body, workgroup: WORKGROUP, dispatch: dispatchFor(weights) };
}

export function convKernel(ctx: KernelContext, node: Node): KernelBody {
  const type = (i: number) => ctx.graph.nodes[node.inputs[i]].type;
  const pad = node.attrs.pad as number;
  switch (node.op) {
    case 'conv2d':
      return forward(ctx, node, convGeometry(type(0), type(1), pad));
    case 'conv2d_grad_input':
      return gradInput(ctx, node, convGeometry(node.type, type(1), pad));
    case 'conv2d_grad_weight':
      return gradWeight(ctx, node, convGeometry(type(0), node.type, pad));
    default:
      throw new InternalError(`'${node.op}' is not a conv op`);
  }
}
