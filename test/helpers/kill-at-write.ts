// Runs an experiment and kills its own process (SIGKILL: no cleanup, as a crash or `kill -9`) at the k-th
// write boundary of its run folder (runtime/checkpoint/write-boundary.ts); with k past the last boundary the
// run ends normally and prints how many boundaries it passed. Usage: kill-at-write.ts FILE OUT K [EPOCHS]
import { setWriteHook } from '../../runtime/checkpoint/write-boundary.ts';
import { runExperiment } from '../../runtime/train/session.ts';

const [file, out, k, epochs] = process.argv.slice(2);
let passed = 0;
setWriteHook(() => {
  passed++;
  if (passed === Number(k)) process.kill(process.pid, 'SIGKILL');
});
const overrides: Record<string, number> = epochs ? { 'train.epochs': Number(epochs) } : {};
await runExperiment(file, { out, overrides });
process.stdout.write(`boundaries ${passed}\n`);
