// The report's figures as Vega-Lite (and, for the radar, Vega) specifications over the collected runs: loss
// terms, metrics, lr and params per epoch; per-class Dice per variant; predicted against true class
// proportions (the paper's point); a radar of each variant's scores. Means over seeds.
import type { ReportRun } from './collect.ts';
import { meanStd } from '../jobs/table.ts';

export interface Figure {
  id: string;
  title: string;
  caption: string;
  /** A Vega-Lite spec (`lite`) or a Vega spec. */
  spec: object;
  lite: boolean;
}

const WIDTH = 260;
const HEIGHT = 170;
const FONT = { font: 'DejaVu Sans', labelFont: 'DejaVu Sans', titleFont: 'DejaVu Sans' };
const config = {
  font: 'DejaVu Sans',
  axis: FONT,
  legend: FONT,
  header: { labelFont: 'DejaVu Sans', titleFont: 'DejaVu Sans' },
  title: { font: 'DejaVu Sans' },
  view: { stroke: '#ddd' },
  background: 'white',
};

/** One colour per run group in every figure (in the groups' order), and grey for the labels' own series. */
function colours(runs: ReportRun[], extra: string[] = []): { domain: string[]; range: string[] } {
  const palette = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6'];
  const groups = [...new Set(runs.map((r) => r.group))];
  return {
    domain: [...groups, ...extra],
    range: [...groups.map((_, i) => palette[i % palette.length]), ...extra.map(() => '#9a9a9a')],
  };
}

/** Every figure the runs can support (a figure needs its data: no per-class Dice, no bars). */
export function buildFigures(runs: ReportRun[], metrics: string[]): Figure[] {
  const figures: Figure[] = [curves(runs)];
  const perClass = perClassDice(runs);
  if (perClass) figures.push(perClass);
  const proportions = proportionFigure(runs);
  if (proportions) figures.push(proportions);
  const radar = radarFigure(runs, metrics);
  if (radar) figures.push(radar);
  return figures;
}

function curves(runs: ReportRun[]): Figure {
  const values: { group: string; seed: string; epoch: number; quantity: string; value: number }[] = [];
  for (const run of runs) {
    for (const e of run.epochs) {
      const epoch = Number(e.epoch);
      const push = (quantity: string, value: unknown) => {
        if (typeof value === 'number' && Number.isFinite(value))
          values.push({ group: run.group, seed: String(run.seed ?? ''), epoch, quantity, value });
      };
      const val = run.summary.epochs.find((r) => r.epoch === epoch);
      for (const [k, v] of Object.entries(val?.train ?? {})) push(`train ${k}`, v);
      for (const [k, v] of Object.entries(val?.val?.values ?? {})) push(`val ${k}`, v);
      push('lr', e.lr);
      for (const [k, v] of Object.entries((e.params ?? {}) as Record<string, unknown>)) push(k, v);
    }
  }
  return {
    id: 'curves',
    title: 'Training curves',
    caption: 'Loss terms (train), metrics (validation), learning rate and params per epoch; mean over seeds.',
    lite: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values },
      facet: { field: 'quantity', type: 'nominal', title: null },
      columns: 3,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: WIDTH,
        height: HEIGHT,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
          y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          color: { field: 'group', type: 'nominal', title: 'run', scale: colours(runs) },
        },
      },
    },
  };
}

function perClassDice(runs: ReportRun[]): Figure | undefined {
  const values = runs.flatMap((run) => [
    ...(run.summary.final?.dicePerClass ?? []).map((value, i) => ({
      group: run.group,
      metric: 'Dice',
      class: `class ${i + 1}`,
      value,
    })),
    ...(run.summary.final?.tables?.per_class_iou ?? []).map((value, i) => ({
      group: run.group,
      metric: 'IoU',
      class: `class ${i}`,
      value,
    })),
  ]);
  if (values.length === 0) return undefined;
  return {
    id: 'per-class',
    title: 'Dice and IoU per class',
    caption:
      'Dice of each foreground class and IoU of every class at the last evaluation, per run; mean over ' +
      'seeds.',
    lite: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values },
      facet: { field: 'metric', type: 'nominal', title: null },
      resolve: { scale: { x: 'independent' } },
      spec: {
        // The step is one bar's (one run's) width within a class.
        width: { step: 14 },
        height: HEIGHT + 40,
        mark: 'bar',
        encoding: {
          x: { field: 'class', type: 'nominal', title: null },
          xOffset: { field: 'group', type: 'nominal' },
          y: {
            aggregate: 'mean',
            field: 'value',
            type: 'quantitative',
            title: null,
            scale: { domain: [0, 1] },
          },
          color: { field: 'group', type: 'nominal', title: 'run', scale: colours(runs) },
        },
      },
    },
  };
}

function proportionFigure(runs: ReportRun[]): Figure | undefined {
  const values: { series: string; class: string; proportion: number }[] = [];
  const truths = new Map<string, number[][]>();
  for (const run of runs) {
    const p = run.summary.final?.proportions;
    if (!p) continue;
    p.predicted.forEach((v, c) => values.push({ series: run.group, class: `class ${c}`, proportion: v }));
    const list = truths.get(run.experiment) ?? [];
    list.push(p.target);
    truths.set(run.experiment, list);
  }
  if (values.length === 0) return undefined;
  // The labels' proportions are the same for every run of one experiment: shown once, as 'true'.
  const [target] = [...truths.values()][0];
  target.forEach((v, c) => values.push({ series: 'true', class: `class ${c}`, proportion: v }));
  const order = ['true', ...new Set(runs.map((r) => r.group))];
  return {
    id: 'proportions',
    title: 'Predicted and true class proportions',
    caption:
      "Each class's share of the validation pixels: in the labels ('true') and as predicted by each run " +
      '(argmax); the gap is the label-marginal bias a loss hides. Mean over seeds.',
    lite: true,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config,
      data: { values },
      facet: { field: 'class', type: 'nominal', title: null },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 40 + 22 * order.length,
        height: HEIGHT,
        mark: 'bar',
        encoding: {
          x: { field: 'series', type: 'nominal', sort: order, title: null, axis: { labelAngle: -45 } },
          y: { aggregate: 'mean', field: 'proportion', type: 'quantitative', title: 'share of pixels' },
          color: {
            field: 'series',
            type: 'nominal',
            sort: order,
            title: null,
            scale: colours(runs, ['true']),
          },
        },
      },
    },
  };
}

/** Scores where higher is better on every spoke: proportion errors are shown as 1 - error. */
function score(metric: string, value: number): { key: string; value: number } {
  return metric === 'proportion_error'
    ? { key: '1 - proportion_error', value: 1 - value }
    : { key: metric, value };
}

function radarFigure(runs: ReportRun[], metrics: string[]): Figure | undefined {
  const experiments = [...new Set(runs.map((r) => r.experiment))];
  const groups = [...new Set(runs.map((r) => r.group))];
  const rows: { group: string; key: string; value: number }[] = [];
  const mean = (list: ReportRun[], metric: string) =>
    meanStd(list.map((r) => r.summary.final?.values[metric]).filter((v): v is number => v !== undefined))
      .mean;
  if (experiments.length > 1) {
    // Across experiments (datasets): each variant's first metric in each.
    const metric = metrics[0];
    for (const group of groups) {
      for (const experiment of experiments) {
        const list = runs.filter((r) => r.group === group && r.experiment === experiment);
        if (list.length > 0) rows.push({ group, ...score(metric, mean(list, metric)), key: experiment });
      }
    }
  } else {
    for (const group of groups) {
      const list = runs.filter((r) => r.group === group);
      for (const metric of metrics) rows.push({ group, ...score(metric, mean(list, metric)) });
    }
  }
  const keys = [...new Set(rows.map((r) => r.key))];
  if (keys.length < 3 || rows.some((r) => !Number.isFinite(r.value))) return undefined;
  const size = 320;
  return {
    id: 'radar',
    title: experiments.length > 1 ? `${metrics[0]} across experiments` : 'Scores',
    caption:
      experiments.length > 1
        ? `Each run's ${metrics[0]} in each experiment (mean over seeds), as the paper's radar chart.`
        : 'Each run on every metric (higher is better; proportion error as 1 - error), mean over seeds.',
    lite: false,
    spec: radarSpec(runs, rows, keys, size),
  };
}

/** A radar chart in Vega: one closed polygon per group over the spokes `keys`, radius 0..1. */
function radarSpec(
  runs: ReportRun[],
  rows: { group: string; key: string; value: number }[],
  keys: string[],
  size: number,
): object {
  const r = size / 2;
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: size,
    height: size,
    padding: { left: 90, right: 160, top: 30, bottom: 30 },
    autosize: 'none',
    background: 'white',
    config: { text: { font: 'DejaVu Sans' }, legend: FONT },
    signals: [{ name: 'radius', value: r }],
    data: [
      { name: 'table', values: rows },
      { name: 'keys', values: keys.map((key) => ({ key })) },
      {
        name: 'groups',
        values: [...new Set(rows.map((r) => r.group))].map((group, index) => ({ group, index })),
      },
    ],
    scales: [
      { name: 'angular', type: 'point', range: { signal: '[-PI, PI]' }, padding: 0.5, domain: keys },
      {
        name: 'radial',
        type: 'linear',
        range: { signal: '[0, radius]' },
        zero: true,
        nice: false,
        domain: [0, 1],
      },
      {
        name: 'color',
        type: 'ordinal',
        ...colours(runs),
      },
    ],
    encode: { enter: { x: { signal: 'radius' }, y: { signal: 'radius' } } },
    marks: [
      // The legend as marks (the root group is centred on the chart, where Vega's legends do not follow).
      {
        type: 'symbol',
        from: { data: 'groups' },
        encode: {
          enter: {
            x: { signal: 'radius + 50' },
            y: { signal: '-radius + 16 * datum.index' },
            fill: { scale: 'color', field: 'group' },
            size: { value: 80 },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'groups' },
        encode: {
          enter: {
            x: { signal: 'radius + 60' },
            y: { signal: '-radius + 16 * datum.index' },
            text: { field: 'group' },
            baseline: { value: 'middle' },
            fill: { value: '#333' },
            fontSize: { value: 11 },
          },
        },
      },
      {
        type: 'group',
        name: 'categories',
        zindex: 1,
        from: { facet: { data: 'table', name: 'facet', groupby: ['group'] } },
        marks: [
          {
            type: 'line',
            from: { data: 'facet' },
            encode: {
              enter: {
                interpolate: { value: 'linear-closed' },
                x: { signal: "scale('radial', datum.value) * cos(scale('angular', datum.key))" },
                y: { signal: "scale('radial', datum.value) * sin(scale('angular', datum.key))" },
                stroke: { scale: 'color', field: 'group' },
                strokeWidth: { value: 2 },
                fill: { scale: 'color', field: 'group' },
                fillOpacity: { value: 0.08 },
              },
            },
          },
        ],
      },
      {
        type: 'rule',
        from: { data: 'keys' },
        encode: {
          enter: {
            x: { value: 0 },
            y: { value: 0 },
            x2: { signal: "radius * cos(scale('angular', datum.key))" },
            y2: { signal: "radius * sin(scale('angular', datum.key))" },
            stroke: { value: '#bbb' },
            strokeWidth: { value: 1 },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'keys' },
        encode: {
          enter: {
            x: { signal: "(radius + 8) * cos(scale('angular', datum.key))" },
            y: { signal: "(radius + 8) * sin(scale('angular', datum.key))" },
            text: { field: 'key' },
            align: {
              signal:
                "abs(cos(scale('angular', datum.key))) < 0.2 ? 'center' : " +
                "cos(scale('angular', datum.key)) > 0 ? 'left' : 'right'",
            },
            baseline: {
              signal:
                "sin(scale('angular', datum.key)) > 0.2 ? 'top' : " +
                "sin(scale('angular', datum.key)) < -0.2 ? 'bottom' : 'middle'",
            },
            fill: { value: '#333' },
            fontSize: { value: 11 },
          },
        },
      },
      ...[0.25, 0.5, 0.75, 1].map((level) => ({
        type: 'line',
        from: { data: 'keys' },
        encode: {
          enter: {
            interpolate: { value: 'linear-closed' },
            x: { signal: `${level} * radius * cos(scale('angular', datum.key))` },
            y: { signal: `${level} * radius * sin(scale('angular', datum.key))` },
            stroke: { value: '#ddd' },
            strokeWidth: { value: 1 },
          },
        },
      })),
    ],
  };
}
