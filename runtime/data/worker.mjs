// A decoding worker thread of the loader (runtime/data/loader.ts): loads the TypeScript sources through tsx,
// as bin/segc.mjs does, and decodes the samples piscina hands it.
import { register } from 'tsx/esm/api';

register();
const { decodeInWorker } = await import('./decode/worker-task.ts');
export default decodeInWorker;
