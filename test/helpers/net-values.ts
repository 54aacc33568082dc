// The deterministic tensor values of test/golden/generate_nets.py (values_for, uniform), computed again so that
// the network goldens need not hold their weights: every element is a function of its tensor's key and index.
const M = 0x9e3779b1;
/** A bottleneck's last batch norm scale (bn3) relative to the others (generate_nets.py: conditioning). */
export const RESIDUAL_SCALE = 0.1;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** count values in [0, 1): mix(fnv1a(key) + i * 0x9E3779B1 mod 2^32) / 2^32. */
export function uniform(key: string, count: number): Float64Array {
  const h = fnv1a(key);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = mix((h + Math.imul(i, M)) >>> 0) / 4294967296;
  return out;
}

/** The values of tensor `key` of `shape`, by what its name says it is (see generate_nets.py). */
export function valuesFor(key: string, shape: number[]): Float64Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const u = uniform(key, count);
  const leaf = key.slice(key.lastIndexOf('.') + 1);
  const map = (f: (v: number) => number) => u.map(f);
  if (leaf === 'num_batches_tracked') return map((v) => Math.floor(v * 1000));
  if (leaf === 'running_mean' || leaf === 'bias') return map((v) => (2 * v - 1) * 0.1);
  if (leaf === 'running_var') return map((v) => 0.5 + v);
  // Batch and group norm scales; a bottleneck's last (bn3) at RESIDUAL_SCALE of them.
  if (leaf === 'weight' && shape.length === 1) {
    const damp = key.endsWith('.bn3.weight') ? RESIDUAL_SCALE : 1;
    return map((v) => (0.3 + 0.4 * v) * damp);
  }
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(6 / fanIn);
  return map((v) => (2 * v - 1) * bound);
}
