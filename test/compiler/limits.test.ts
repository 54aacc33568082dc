// Plans against device limits without a GPU: validatePlan's diagnostic for a tensor over the buffer limits
// (exact text), internal errors for kernels over per-kernel limits, compileExperiment with a small device's
// limits, and how dispatches are laid out as 2-D grids past the per-dimension limit.
import { describe, expect, it } from 'vitest';
import { compileErrorText } from '../../cli/check.ts';
import {
  WEBGPU_DEFAULT_LIMITS,
  planLimits,
  validatePlan,
  workgroupStorageBytes,
} from '../../compiler/codegen/limits.ts';
import { generatePlan } from '../../compiler/index.ts';
import { MAX_GROUPS_PER_DIM, dispatchFor, gridFor } from '../../compiler/codegen/wgsl.ts';
import { CompileError, renderDiagnostic } from '../../diagnostics/index.ts';
import type { Span } from '../../diagnostics/index.ts';
import { GraphBuilder } from '../../compiler/ir/builder.ts';
import { compileExperiment } from '../../compiler/index.ts';

const MiB = 2 ** 20;
const source = 'loss = mean(exp(x) * y)\n';
const span: Span = { file: 'big.seg', start: 12, end: 22, line: 1, col: 13 };

/** mean(exp(x) * y) with x f32[N=8,C=32,H=64] and y f32[W=512], and the product (32 MiB) as an output too. */
function bigProduct() {
  const b = new GraphBuilder();
  const x = b.add('input', [], { name: 'x', dims: ['N', 'C', 'H'], sizes: [8, 32, 64] });
  const y = b.add('weight', [], { name: 'y', dims: ['W'], sizes: [512] });
  const product = b.add('mul', [b.unary('exp', x), y], {}, span);
  b.output('loss', b.sum(product, ['N', 'C', 'H', 'W']));
  b.output('p', product);
  return { graph: b.graph(), product };
}

describe('validatePlan', () => {
  it('names a tensor over maxStorageBufferBindingSize: its node, type, bytes, the limit and its .seg span', () => {
    const { graph, product } = bigProduct();
    const plan = generatePlan(graph, { name: 'big' });
    const diagnostics = validatePlan(plan, {
      maxStorageBufferBindingSize: 16 * MiB,
      maxBufferSize: 256 * MiB,
    });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].code).toBe('SEG6002');
    expect(renderDiagnostic(diagnostics[0], source)).toBe(
      [
        `big.seg:1:13: error SEG6002: Tensor %${product} (mul, f32[N=8,C=32,H=64,W=512]) needs ` +
          '32.0 MiB (33554432 bytes), more than one buffer may hold on this device: ' +
          'maxStorageBufferBindingSize is 16.0 MiB (16777216 bytes).',
        '  loss = mean(exp(x) * y)',
        '              ^~~~~~~~~~',
        '  hint: use a smaller batch or patch size',
      ].join('\n'),
    );
  });

  it('names the lower of the two buffer limits, and counts the other tensors over it', () => {
    const { graph } = bigProduct();
    const plan = generatePlan(graph, { name: 'big' });
    const [d] = validatePlan(plan, { maxStorageBufferBindingSize: 64 * MiB, maxBufferSize: 1024 });
    expect(d.message).toMatch(
      /needs 32\.0 MiB .* maxBufferSize is 1\.0 KiB \(1024 bytes\); 3 more tensors are over it too\.$/,
    );
  });

  it('names weights by their path and gives a gradient the span of its nearest staged operand', () => {
    const b = new GraphBuilder();
    const weightSpan: Span = { ...span, start: 0, end: 4, col: 1 };
    const w = b.add('weight', [], { name: 'net.conv.weight', dims: ['K'], sizes: [1 << 20] }, weightSpan);
    const g = b.add('exp', [w]); // no span, as autodiff's nodes
    b.output('loss', b.sum(b.binary('mul', w, g), ['K']));
    b.output('grad:net.conv.weight', b.add('mul', [g, b.constant(2)]), 'gradient');
    const plan = generatePlan(b.graph(), { name: 'w', fuse: false });
    const [d] = validatePlan(plan, { maxStorageBufferBindingSize: 4 * MiB - 4 });
    expect(d.message).toMatch(
      /^Weight 'net\.conv\.weight' \(f32\[K=1048576\]\) needs 4\.0 MiB \(4194304 bytes\),/,
    );
    const [onlyGradient] = validatePlan(
      { ...plan, buffers: plan.buffers.filter((x) => x.role === 'activation') },
      { maxBufferSize: 1024 },
    );
    expect(onlyGradient.message).toMatch(/^Tensor %\d+ \(\w+, f32\[K=1048576\]\)/);
    expect(onlyGradient.span).toEqual(weightSpan);
  });

  it('passes a plan within the limits; an absent limit is not checked', () => {
    const { graph } = bigProduct();
    const plan = generatePlan(graph, { name: 'big' });
    expect(validatePlan(plan, { ...WEBGPU_DEFAULT_LIMITS })).toEqual([]);
    expect(validatePlan(plan, {})).toEqual([]);
  });

  it('makes a kernel over a per-kernel limit an internal error naming the kernel', () => {
    const { graph } = bigProduct();
    const plan = generatePlan(graph, { name: 'big' });
    expect(() => validatePlan(plan, { maxStorageBuffersPerShaderStage: 1 })).toThrow(
      /internal error .*kernel big_000_mul binds storage buffers: 3, over this device's maxStorageBuffersPerShaderStage of 1/,
    );
    expect(() => validatePlan(plan, { maxComputeInvocationsPerWorkgroup: 128 })).toThrow(
      /kernel big_000_mul has workgroups of 256/,
    );
    expect(() => validatePlan(plan, { maxComputeWorkgroupStorageSize: 1024 })).toThrow(
      /kernel big_001_sum uses workgroup memory \(bytes\): 2048/,
    );
  });

  it('sizes workgroup memory from the WGSL declarations', () => {
    const wgsl =
      'var<workgroup> a: array<f32, 256>;\n' +
      'var<workgroup> b: array<vec4<f32>, 64>;\n' +
      'var<workgroup> c : array<array<u32, 33>, 4>;';
    expect(workgroupStorageBytes(wgsl)).toBe(1024 + 1024 + 528);
  });

  it("copies a device's limits into a plain object", () => {
    class Limits {
      get maxBufferSize() {
        return 1234;
      }
    }
    expect(planLimits(new Limits() as never)).toEqual({ maxBufferSize: 1234 });
  });
});

describe('compileExperiment with a small device', () => {
  it('is a CompileError naming the largest tensor, before any GPU is involved', () => {
    let error: unknown;
    try {
      compileExperiment('test/fixtures/experiments/tiny.seg', {
        limits: { maxStorageBufferBindingSize: 1024 },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect(compileErrorText(error)).toBe(
      [
        'stdlib/nets.seg:26:21: error SEG6002: Tensor %132 (concat, f32[N=2,C=6,H=8,W=8]) needs ' +
          '3.0 KiB (3072 bytes), more than one buffer may hold on this device: ' +
          'maxStorageBufferBindingSize is 1.0 KiB (1024 bytes); 7 more tensors are over it too.',
        '      x = double_conv(concat[C](upsample(x, 2), s), w, name = "up." + i)',
        '                      ^~~~~~~~~~~~~~~~~~~~~~~~~~~~',
        '  hint: use a smaller batch or patch size',
        '',
      ].join('\n'),
    );
  });

  it("fits a lavapipe-sized device at the experiment's batch, not at a batch 32 times larger", () => {
    const lavapipe = {
      ...WEBGPU_DEFAULT_LIMITS,
      maxStorageBuffersPerShaderStage: 16,
      maxComputeWorkgroupStorageSize: 32768,
    };
    expect(() =>
      compileExperiment('experiments/quickstart.seg', { limits: lavapipe, target: 'cpu' }),
    ).not.toThrow();
    expect(() =>
      compileExperiment('experiments/quickstart.seg', {
        limits: lavapipe,
        target: 'cpu',
        overrides: { 'train.batch': 512 },
      }),
    ).toThrow(/Tensor %\d+ \(concat, f32\[N=512,C=24,H=64,W=64\]\) needs 192\.0 MiB \(201326592 bytes\)/);
  });
});

describe('dispatch grids', () => {
  it('keeps up to the per-dimension limit along x and splits past it into x * y >= the workgroups', () => {
    expect(dispatchFor(MAX_GROUPS_PER_DIM)).toEqual([65535, 1, 1]);
    expect(dispatchFor(MAX_GROUPS_PER_DIM + 1)).toEqual([32768, 2, 1]);
    expect(dispatchFor(50, 8)).toEqual([8, 7, 1]);
    expect(gridFor([50, 1, 1], 8)).toEqual([8, 7, 1]);
    expect(gridFor([40000, 2, 1], 300)).toEqual([300, 267, 1]);
    expect(gridFor([7, 3, 1], 8)).toEqual([7, 3, 1]);
    expect(() => dispatchFor(65, 8)).toThrow(/65 workgroups do not fit a 8 x 8 grid/);
  });

  it('splits an elementwise kernel and a reduction with more than 65535 workgroups into 2-D grids', () => {
    const b = new GraphBuilder();
    const n = 65535 * 256 + 123;
    const x = b.add('input', [], { name: 'x', dims: ['K'], sizes: [n] });
    b.output('y', b.unary('exp', x));
    const rows = b.add('input', [], { name: 'r', dims: ['A', 'B'], sizes: [65600, 65] });
    b.output('s', b.sum(rows, ['B']));
    const plan = generatePlan(b.graph(), { name: 'wide' });
    expect(plan.kernels.map((k) => [k.kind, k.dispatch])).toEqual([
      ['elementwise', [32768, 2, 1]],
      ['reduce', [32800, 2, 1]],
    ]);
    // The device's limit, when lower than 65535, splits earlier; the WGSL stays the same.
    const lower = generatePlan(b.graph(), {
      name: 'wide',
      limits: { maxComputeWorkgroupsPerDimension: 40000 },
    });
    expect(lower.kernels.map((k) => k.dispatch)).toEqual([
      [32768, 2, 1],
      [32800, 2, 1],
    ]);
    const tiny = generatePlan(b.graph(), {
      name: 'wide',
      limits: { maxComputeWorkgroupsPerDimension: 8192 },
    });
    expect(tiny.kernels.map((k) => k.dispatch)).toEqual([
      [8192, 8, 1],
      [7289, 9, 1],
    ]);
    expect(tiny.kernels.map((k) => k.wgsl)).toEqual(plan.kernels.map((k) => k.wgsl));
  });
});
