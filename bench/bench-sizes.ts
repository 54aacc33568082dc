// The benchmark sizes of an experiment: SEGC_BENCH_SCALE=k divides its image sides (`size = [H, W]`) by k (to
// a multiple of 32, at least 64) and SEGC_BENCH_BATCH=b sets its batch. Tiny sizes check the GPU scripts on
// the CPU adapter (bench/gpu-run.sh with SEGC_BENCH_SMOKE=1), where SEGC_BENCH_DEPTH=d also swaps the ResNet
// encoders' depth (`depth = 50`) for d: a ResNet-50 plan's ~1000 pipelines take llvmpipe too long to build.
import { readFileSync } from 'node:fs';

export function benchText(file: string): string {
  const scale = Number(process.env.SEGC_BENCH_SCALE ?? 1);
  const batch = process.env.SEGC_BENCH_BATCH;
  const side = (n: number) => Math.max(64, Math.round(n / scale / 32) * 32);
  let text = readFileSync(file, 'utf8');
  if (scale !== 1)
    text = text.replace(
      /size = \[(\d+), (\d+)\]/,
      (_, h: string, w: string) => `size = [${side(Number(h))}, ${side(Number(w))}]`,
    );
  if (batch) text = text.replace(/batch = \d+/g, `batch = ${batch}`);
  const depth = process.env.SEGC_BENCH_DEPTH;
  if (depth) text = text.replace(/depth = \d+/g, `depth = ${depth}`);
  return text;
}
