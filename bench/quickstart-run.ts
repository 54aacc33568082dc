// Trains experiments/quickstart.seg end to end on the selected device and prints the per-epoch lines and the
// wall time (for the GPU machine: npx-free, bundled by ../shared/device/pack.sh). Usage: quickstart-run.mjs
// [out-dir]
import { runExperiment } from '../runtime/train/session.ts';

const out = process.argv[2] ?? 'runs/quickstart-bench';
const summary = await runExperiment('experiments/quickstart.seg', { out, device: 'auto' });
console.log(
  `quickstart on ${summary.device}: ${summary.wallSeconds.toFixed(1)} s wall, final dice ` +
    `${summary.final?.values.dice.toFixed(4)}`,
);
