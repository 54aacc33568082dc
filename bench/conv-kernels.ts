// The implicit-GEMM convolutions (compiler/codegen/kinds/conv-igemm.ts) against the kernels they replace
// (one thread per output, conv-direct.ts; for the 1x1 stride-1 case the register-tiled kernel), on the
// adapter at hand: time of forward + input gradient + weight gradient of ResNet-like layers, in one run.
// Usage: npx tsx bench/conv-kernels.ts [repeats] [--scale k]  (sizes divided by k); GPU plans on any adapter.
import { differentiate } from '../compiler/autodiff/index.ts';
import { IMPLICIT_GEMM } from '../compiler/codegen/kinds/conv-igemm.ts';
import { generatePlan } from '../compiler/index.ts';
import { GraphBuilder } from '../compiler/ir/builder.ts';
import { openDevice } from '../runtime/device.ts';
import { BufferStore, executePlan, loadPlan, releasePlan, writeBuffer } from '../runtime/executor.ts';

const repeats = Number(process.argv[2] ?? 3);
const scaleAt = process.argv.indexOf('--scale');
const scale = scaleAt > 0 ? Number(process.argv[scaleAt + 1]) : 1;

interface Layer {
  label: string;
  x: number[];
  w: number[];
  stride: number;
  pad: number;
  dilation: number;
  groups?: number;
}

const s = (n: number) => Math.max(1, Math.round(n / scale));
const layers: Layer[] = [
  {
    label: '7x7 stride 2 stem 3->64',
    x: [2, 3, s(64), s(64)],
    w: [64, 3, 7, 7],
    stride: 2,
    pad: 3,
    dilation: 1,
  },
  {
    label: '3x3 stride 2 64->64',
    x: [2, 64, s(32), s(32)],
    w: [64, 64, 3, 3],
    stride: 2,
    pad: 1,
    dilation: 1,
  },
  {
    label: '3x3 dilation 2 64->64',
    x: [2, 64, s(16), s(16)],
    w: [64, 64, 3, 3],
    stride: 1,
    pad: 2,
    dilation: 2,
  },
  {
    label: '1x1 stride 2 128->256',
    x: [2, 128, s(16), s(16)],
    w: [256, 128, 1, 1],
    stride: 2,
    pad: 0,
    dilation: 1,
  },
  {
    label: '1x1 256->64 (old: register-tiled)',
    x: [2, 256, s(16), s(16)],
    w: [64, 256, 1, 1],
    stride: 1,
    pad: 0,
    dilation: 1,
  },
];

function graph(l: Layer) {
  const b = new GraphBuilder();
  const x = b.add('weight', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: l.x });
  const w = b.add('weight', [], { name: 'w', dims: ['O', 'I', 'KH', 'KW'], sizes: l.w });
  const attrs = {
    stride: [l.stride, l.stride],
    pad: [l.pad, l.pad],
    dilation: [l.dilation, l.dilation],
    groups: l.groups ?? 1,
  };
  const out = b.add('convolution', [x, w], attrs);
  const type = b.type(out);
  const r = b.add('weight', [], {
    name: 'r',
    dims: ['N', 'C', 'H', 'W'],
    sizes: type.dims.map((d) => d.size),
  });
  const loss = b.sum(b.binary('mul', out, r), ['N', 'C', 'H', 'W']);
  // An image (3 channels) takes no gradient in a network: the stem's input gradient is left out.
  const image = l.x[1] <= 3;
  const grads = differentiate(b, loss, image ? [w] : [x, w]);
  if (!image) b.output('grad:x', grads.get(x)!, 'gradient');
  b.output('grad:w', grads.get(w)!, 'gradient');
  return b.graph();
}

const { device, description } = await openDevice('auto');
// Plans for GPUs everywhere: the CPU adapter's own plans keep the direct kernels (conv-igemm.ts).
const target = 'gpu';

async function time(l: Layer, gemm: boolean): Promise<number> {
  IMPLICIT_GEMM.enabled = gemm;
  const plan = generatePlan(graph(l), { name: gemm ? 'igemm' : 'direct', target });
  IMPLICIT_GEMM.enabled = true;
  const loaded = await loadPlan(new BufferStore(device), plan);
  plan.buffers.forEach((b, i) => {
    if (b.role === 'weight') writeBuffer(device, loaded.buffers[i], new Float32Array(b.elements).fill(0.5));
  });
  executePlan(loaded, {});
  await device.queue.onSubmittedWorkDone();
  const times: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    executePlan(loaded, {});
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - start);
  }
  releasePlan(loaded);
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

console.log(
  `${description} (plans for the ${target}): forward + both gradients (the stem: + weight gradient), ` +
    `median of ${repeats}`,
);
console.log('| layer | input | direct (old) ms | implicit GEMM ms | old / new |');
console.log('|---|---|---|---|---|');
let oldTotal = 0;
let newTotal = 0;
for (const l of layers) {
  const old = await time(l, false);
  const now = await time(l, true);
  oldTotal += old;
  newTotal += now;
  console.log(
    `| ${l.label} | ${l.x.join('x')} | ${old.toFixed(1)} | ${now.toFixed(1)} | ${(old / now).toFixed(2)} |`,
  );
}
console.log(
  `| all | | ${oldTotal.toFixed(1)} | ${newTotal.toFixed(1)} | ${(oldTotal / newTotal).toFixed(2)} |`,
);
device.destroy();
