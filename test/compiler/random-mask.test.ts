// The dropout masks' random draws (shared bit for bit by the oracle and the WGSL kernel, see ops.test.ts):
// uniform enough that the kept fraction and the mean match their expectations, and different per seed and per
// salt.
import { describe, expect, it } from 'vitest';
import { randomDraw } from '../../compiler/ops/channels.ts';

describe('random draws of the dropout masks', () => {
  const draws = (seed: number, salt: number) =>
    Array.from({ length: 200_000 }, (_, i) => randomDraw(seed, salt, i));

  it('are uniform on [0, 1): mean 1/2, deciles 1/10 each', () => {
    const values = draws(1, 7);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    const deciles = new Array(10).fill(0);
    for (const v of values) deciles[Math.floor(v * 10)]++;
    // 20,000 expected per decile; a binomial standard deviation is ~134, so 5 sigma is ~670.
    for (const count of deciles) expect(Math.abs(count - 20_000)).toBeLessThan(700);
  });

  it('change with the seed (the step) and the salt (the dropout layer)', () => {
    const a = draws(1, 7).slice(0, 1000);
    const b = draws(2, 7).slice(0, 1000);
    const c = draws(1, 8).slice(0, 1000);
    const same = (x: number[], y: number[]) => x.filter((v, i) => v === y[i]).length;
    expect(same(a, b)).toBeLessThan(5);
    expect(same(a, c)).toBeLessThan(5);
  });
});
