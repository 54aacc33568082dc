// Clipping by the global gradient norm (torch.nn.utils.clip_grad_norm_) on the device: each gradient's sum
// of squares into one slot of a norms buffer, then one thread turns the slots into the scale the update
// kernels multiply their gradient by. No value goes through the CPU.
import type { KernelBody } from '../kinds/elementwise.ts';
import { WORKGROUP, f32Literal, groupEntry } from '../wgsl.ts';

/**
 * norms[slot] = Σ g² over `count` elements, in one workgroup (strided, then a tree); with accumulation `sum`
 * holds the gradients of the earlier steps, added first.
 */
export function squaredNormKernel(
  count: number,
  gradient: string,
  norms: string,
  slot: number,
  sum?: string,
): KernelBody {
  const element = sum ? `${sum}[i] + ${gradient}[i]` : `${gradient}[i]`;
  const body = [
    `var<workgroup> partial: array<f32, ${WORKGROUP}>;`,
    ...groupEntry('g', 1, WORKGROUP),
    `  var acc = 0.0;`,
    `  for (var i = lid; i < ${count}u; i += ${WORKGROUP}u) {`,
    `    let x = ${element};`,
    `    acc = acc + x * x;`,
    `  }`,
    `  partial[lid] = acc;`,
    `  workgroupBarrier();`,
    `  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {`,
    `    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }`,
    `    workgroupBarrier();`,
    `  }`,
    `  if (lid == 0u) { ${norms}[${slot}] = partial[0]; }`,
    `}`,
  ];
  return { body: body.join('\n'), workgroup: WORKGROUP, dispatch: [1, 1, 1] };
}

/**
 * scale = min(1, max_norm / (‖g‖ + 1e-6)) as torch computes it, ‖g‖ being the norm of the mean gradient
 * (the sum's norm over `steps` with accumulation).
 */
export function clipScaleKernel(slots: number, maxNorm: number, steps: number, norms: string, scale: string) {
  const body = [
    ...groupEntry('g', 1, 1),
    `  var total = 0.0;`,
    `  for (var i = 0u; i < ${slots}u; i++) { total = total + ${norms}[i]; }`,
    `  let norm = sqrt(total) * ${f32Literal(1 / steps)};`,
    `  ${scale}[0] = min(1.0, ${f32Literal(maxNorm)} / (norm + 1e-6));`,
    `}`,
  ];
  return { body: body.join('\n'), workgroup: 1, dispatch: [1, 1, 1] as [number, number, number] };
}
