// Initial weight values, seeded: PyTorch's default conv init (uniform in ±1/sqrt(fan_in)) and constants for
// norms.
import type { WeightSpec } from '../../compiler/index.ts';
import { createRandom } from '../data/random.ts';

export function initialValues(weights: WeightSpec[], seed: number): Map<string, Float32Array> {
  const random = createRandom(seed);
  const values = new Map<string, Float32Array>();
  for (const w of weights) {
    const data = new Float32Array(w.sizes.reduce((a, b) => a * b, 1));
    if (w.init.kind === 'constant') data.fill(w.init.value);
    else if (w.init.kind === 'values') data.set(w.init.values);
    else for (let i = 0; i < data.length; i++) data[i] = (2 * random.next() - 1) * w.init.bound;
    values.set(w.name, data);
  }
  return values;
}
