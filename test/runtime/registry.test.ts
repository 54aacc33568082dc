// Every catalogue entry a run may name has its implementation, and every implementation its entry: what
// "how to add an optimizer / a metric / a dataset" (docs/architecture.md) would otherwise leave to a run to
// find. The per-name lists the runtime used to keep beside the catalogue are derived from it now; this test
// catches the piece that is still written by hand (an update rule, a metric factory, a reader).
import { describe, expect, it } from 'vitest';
import { METRICS, entries, withDefaults } from '../../compiler/config/index.ts';
import { RUNNABLE_DATASETS } from '../../compiler/config/run.ts';
import { METRIC_SUMS } from '../../compiler/stage/metrics.ts';
import { UPDATES } from '../../compiler/index.ts';
import { READERS } from '../../runtime/data/registry.ts';
import { METRIC_IMPLEMENTATIONS } from '../../runtime/metrics/registry.ts';
import { OPTIMIZERS } from '../../runtime/optim/index.ts';

const names = (family: Parameters<typeof entries>[0]) => entries(family).map((e) => e.name);

describe('implementations of the catalogue', () => {
  it('every optimizer has an update rule, and every rule an entry', () => {
    expect(Object.keys(UPDATES).sort()).toEqual(names('optimizer').sort());
    expect(OPTIMIZERS.sort()).toEqual(names('optimizer').sort());
  });

  it("each update rule gives a value to every uniform it reads, at the entry's defaults", () => {
    const missing = entries('optimizer').flatMap((entry) => {
      const settings = withDefaults(entry, {}) as Record<string, number | boolean>;
      const rule = UPDATES[entry.name];
      const values = rule.stepValues(settings, 1);
      return rule.uniforms(settings).filter((u) => !Number.isFinite(values[u]));
    });
    expect(missing).toEqual([]);
  });

  it('every metric with sums has an implementation, and every implementation an entry', () => {
    expect(Object.keys(METRIC_IMPLEMENTATIONS).sort()).toEqual([...METRICS].sort());
    expect(Object.keys(METRIC_SUMS).sort()).toEqual([...METRICS].sort());
    expect(METRICS.every((m) => names('metric').includes(m))).toBe(true);
  });

  it('every runnable dataset has a reader (shapes is generated), and every reader an entry', () => {
    expect(RUNNABLE_DATASETS.filter((d) => d !== 'shapes' && !READERS[d])).toEqual([]);
    expect(Object.keys(READERS).filter((d) => !names('dataset').includes(d))).toEqual([]);
  });
});
