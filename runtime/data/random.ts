// Seeded pseudo-random numbers (mulberry32): the same seed always yields the same sequence,
// so synthetic datasets and initialisations are byte-reproducible across runs and machines.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample (Box-Muller). */
  normal(): number;
}

export function createRandom(seed: number): Random {
  // Mix the seed once so small consecutive seeds give unrelated streams.
  let state = mixSeed(seed);
  let spareNormal: number | undefined;

  function next(): number {
    state = (state + 0x6d2b79f5) | 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }

  function int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new Error(`random.int: n must be a positive integer, got ${n}`);
    }
    return Math.floor(next() * n);
  }

  function normal(): number {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    const uniform = 1 - next(); // in (0, 1], keeps log finite
    const angle = 2 * Math.PI * next();
    const radius = Math.sqrt(-2 * Math.log(uniform));
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  return { next, int, normal };
}

function mixSeed(seed: number): number {
  // splitmix32-style finaliser over the low 32 bits plus the high bits of the seed.
  let value = (Math.trunc(seed) ^ Math.trunc(seed / 4294967296)) | 0;
  value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
  value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
  return (value ^ (value >>> 16)) | 0;
}
