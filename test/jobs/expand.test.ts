// A sweep section expanded into runs: variants x grid x seeds, run-ids that depend on the resolved
// configuration only, and every mistake reported at its place in the file (no device needed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../jobs/expand.ts';
import { CompileError } from '../../diagnostics/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'segc-expand-'));
const base = (sweep: string, extra = '') => `import std/losses { ce, ce_l1 }
import std/nets { unet }

experiment grid {
  data = shapes(size = [8, 8], classes = 3, foreground = 0.2, train = 4, val = 2, seed = 3)
  model = unet(in = 3, classes = 3, widths = [2, 4])
  param alpha = 1.0
  loss = ce(logits, y)
  optimizer = adam(lr = 1e-2)
  train { epochs = 2, batch = 2, seed = 1 }
${extra}  sweep {
${sweep}
  }
}
`;
function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
function errorOf(file: string): string {
  try {
    expandSweep(file);
  } catch (error) {
    if (error instanceof CompileError)
      return error.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`).join('\n');
    throw error;
  }
  return 'no error';
}

describe('expandSweep', () => {
  const grid = `    loss ce = ce(logits, y)
    loss ce_l1 = ce_l1(logits, y, alpha = alpha, T = 10.0)
    grid alpha = [0.5, 2.0]
    grid optimizer lr = [1e-3, 3e-3]
    seeds = [1, 2]`;

  it('gives variants x grid points x seeds, grouped without the seed', () => {
    const sweep = expandSweep(write('grid.seg', base(grid)));
    expect(sweep.runs).toHaveLength(2 * 2 * 2 * 2);
    expect(sweep.runs.map((r) => r.name).slice(0, 4)).toEqual([
      'ce-alpha=0.5-lr=0.001-seed=1',
      'ce-alpha=0.5-lr=0.001-seed=2',
      'ce-alpha=0.5-lr=0.003-seed=1',
      'ce-alpha=0.5-lr=0.003-seed=2',
    ]);
    expect(sweep.runs[3].overrides).toEqual({ alpha: 0.5, 'optimizer.lr': 0.003, 'train.seed': 2 });
    expect(sweep.runs[3].group).toBe('ce-alpha=0.5-lr=0.003');
    expect(sweep.runs[15].variant).toBe('ce_l1');
    expect(new Set(sweep.runs.map((r) => r.id)).size).toBe(16);
    for (const r of sweep.runs)
      expect(r.id).toMatch(new RegExp(`^${r.name.replace(/\./g, '\\.')}-[0-9a-f]{8}$`));
  });

  it('keeps run-ids when only the sweep grows, and changes them when the configuration changes', () => {
    const before = expandSweep(write('ids-a.seg', base(grid)));
    const more = expandSweep(write('ids-b.seg', base(grid.replace('seeds = [1, 2]', 'seeds = [1, 2, 3]'))));
    // A third seed adds runs; the first two seeds' runs keep their ids (the sweep folder keeps them).
    expect(more.runs).toHaveLength(24);
    const ids = new Set(more.runs.map((r) => r.id));
    expect(before.runs.every((r) => ids.has(r.id))).toBe(true);
    const longer = expandSweep(write('ids-c.seg', base(grid).replace('epochs = 2', 'epochs = 3')));
    expect(longer.runs.some((r) => before.runs.some((b) => b.id === r.id))).toBe(false);
  });

  it('is the experiment itself, one run, without a sweep section', () => {
    const sweep = expandSweep('test/fixtures/experiments/tiny.seg');
    expect(sweep.runs.map((r) => [r.name, r.overrides, r.variant])).toEqual([['loss', {}, undefined]]);
  });

  it('reports mistakes where they are written', () => {
    const at = (sweep: string) => errorOf(write(`bad-${Math.random()}.seg`, base(sweep)));
    expect(at('    grid gamma = [1, 2]')).toMatch(/^12:10 Unknown param 'gamma' in the sweep's grid/);
    expect(at('    grid optimizer lr = []')).toBe(
      "12:25 A grid is a non-empty list of values, as in 'grid optimizer lr = [1, 2]'.",
    );
    expect(at('    seeds = [1, 1]')).toBe("12:13 'seeds' repeats a seed: each replicate needs its own.");
    expect(at('    grid alpha = [0.5, 1, 0.5]')).toBe(
      "12:18 The grid over 'alpha' repeats a value: each run needs its own.",
    );
    expect(at('    loss a = ce(logits, y)\n    loss a = ce(logits, y)')).toBe(
      "13:10 The sweep names the loss variant 'a' twice.",
    );
    expect(at('    epochs = [1, 2]')).toMatch(/^12:5 A sweep holds 'loss NAME = formula'/);
    expect(at('    loss broken = ce(logits, z)')).toMatch(/^12:\d+ .*'z'/);
    expect(
      at(
        '    grid alpha = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n    grid optimizer lr = [' +
          Array.from({ length: 1000 }, (_, i) => `${i + 1}e-6`).join(', ') +
          ']\n    seeds = [1, 2]',
      ),
    ).toBe('11:3 The sweep expands to 20000 runs, more than the 10000 allowed.');
  });
});
