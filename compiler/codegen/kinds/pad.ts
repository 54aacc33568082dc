// The kernel of constant padding (negative amounts crop): one thread per output element, which copies its
// source element or the fill value.
import type { Node } from '../../ir/types.ts';
import { elementCount } from '../../ir/types.ts';
import type { KernelContext } from '../context.ts';
import { f32Literal, perThreadKernel } from '../wgsl.ts';
import type { KernelBody } from './elementwise.ts';

export function padKernel(ctx: KernelContext, node: Node): KernelBody {
  const input = (i: number) => ctx.graph.nodes[node.inputs[i]];
  const out = ctx.bindNode(node.id, 'read_write');
  const x = ctx.bindNode(node.inputs[0]);
  const before = node.attrs.before as number[];
  const inSizes = input(0)
    .type.dims.slice(2)
    .map((d) => d.size);
  const outSizes = node.type.dims.slice(2).map((d) => d.size);
  const outVolume = outSizes.reduce((a, b) => a * b, 1);
  const inVolume = inSizes.reduce((a, b) => a * b, 1);
  const lines = [
    `let plane = t / ${outVolume}u;`,
    `var rest = t % ${outVolume}u;`,
    `var source = 0;`,
    `var stride = 1;`,
    `var inside = true;`,
  ];
  for (let d = outSizes.length - 1; d >= 0; d--) {
    lines.push(
      `{`,
      `  let at = i32(rest % ${outSizes[d]}u) - ${before[d]};`,
      `  rest = rest / ${outSizes[d]}u;`,
      `  inside = inside && at >= 0 && at < ${inSizes[d]};`,
      `  source += at * stride;`,
      `  stride *= ${inSizes[d]};`,
      `}`,
    );
  }
  lines.push(
    `var value = ${f32Literal(node.attrs.value as number)};`,
    `if (inside) { value = ${x}[plane * ${inVolume}u + u32(source)]; }`,
    `${out}[t] = value;`,
  );
  return perThreadKernel(elementCount(node.type), lines);
}
