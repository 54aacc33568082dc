// The sweep table's mean ± std over seeds, from run results as summary.json holds them (a NaN metric is
// written as null there).
import { describe, expect, it } from 'vitest';
import { formatTable, groupRows } from '../../jobs/table.ts';
import type { RunResult } from '../../jobs/table.ts';

const run = (group: string, seed: number, values: Record<string, number>): RunResult => ({
  id: `${group}-${seed}`,
  name: `${group}-seed=${seed}`,
  group,
  seed,
  values,
});

describe('sweep table', () => {
  it('is mean and sample std per group; a NaN (null) or missing metric makes NaN, not 0', () => {
    const read = JSON.parse(JSON.stringify([run('a', 1, { dice: 0.5 }), run('a', 2, { dice: NaN })]));
    const results = [...read, run('b', 1, { dice: 0.25 }), run('b', 2, { dice: 0.75 }), run('c', 1, {})];
    expect(read[1].values.dice).toBeNull();
    const rows = groupRows(results, ['dice']);
    expect(rows.map((r) => [r.group, r.runs])).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ]);
    expect(rows[0].stats.dice.mean).toBeNaN();
    expect(rows[1].stats.dice).toEqual({ mean: 0.5, std: Math.sqrt(0.125) });
    expect(rows[2].stats.dice.mean).toBeNaN();
    expect(formatTable(rows, ['dice']).split('\n')[1]).toBe('a    2      NaN ± NaN');
  });
});
