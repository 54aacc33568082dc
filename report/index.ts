// segc report: one self-contained HTML file (inline SVG figures and styles, no script, no network) over run
// and sweep folders, and optionally each figure as SVG and PNG for a paper.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../runtime/checkpoint/safetensors.ts';
import { groupRows } from '../jobs/table.ts';
import type { GroupRow } from '../jobs/table.ts';
import { collectRuns } from './collect.ts';
import type { ReportRun } from './collect.ts';
import { buildFigures } from './figures.ts';
import type { Figure } from './figures.ts';
import { figureSvg, svgToPng } from './render.ts';
import { overlayGrid } from './overlays.ts';
import type { OverlayGrid } from './overlays.ts';

export interface ReportOptions {
  out: string;
  /** A folder for each figure as `<id>.svg` and `<id>.png`. */
  figures?: string;
  title?: string;
}

export interface ReportResult {
  runs: number;
  figures: string[];
  tables: { experiment: string; rows: GroupRow[]; metrics: string[] }[];
}

/** Metrics where lower is better (the best value in a table is the smallest). */
const LOWER_IS_BETTER = new Set(['proportion_error', 'hd95', 'loss']);

export async function writeReport(dirs: string[], options: ReportOptions): Promise<ReportResult> {
  const runs = collectRuns(dirs);
  const experiments = [...new Set(runs.map((r) => r.experiment))];
  const metrics = metricNames(runs);
  const tables = experiments.map((experiment) => {
    const own = runs.filter((r) => r.experiment === experiment);
    const results = own.map((r) => ({
      id: r.id,
      name: r.id,
      group: r.group,
      seed: r.seed ?? 0,
      values: r.summary.final?.values ?? {},
    }));
    return { experiment, rows: groupRows(results, metrics), metrics };
  });
  const figures = buildFigures(runs, metrics);
  const svgs = await Promise.all(figures.map(figureSvg));
  if (options.figures) {
    mkdirSync(options.figures, { recursive: true });
    figures.forEach((f, i) => {
      writeFileSync(join(options.figures!, `${f.id}.svg`), svgs[i]);
      writeFileSync(join(options.figures!, `${f.id}.png`), svgToPng(svgs[i]));
    });
  }
  const overlays = await overlayGrid(runs);
  const title = options.title ?? `segc report: ${experiments.join(', ')}`;
  await writeFileAtomic(options.out, html(title, runs, tables, figures, svgs, overlays));
  const ids = [...figures.map((f) => f.id), ...(overlays ? ['overlays'] : [])];
  return { runs: runs.length, figures: ids, tables };
}

/** The metrics the runs were evaluated on, in the order of the first run's final evaluation. */
function metricNames(runs: ReportRun[]): string[] {
  const names: string[] = [];
  for (const run of runs) {
    for (const key of Object.keys(run.summary.final?.values ?? {})) {
      // Loss terms evaluated on the validation split are curves, not table columns.
      if (!names.includes(key) && !(key in (run.summary.epochs[0]?.train ?? {}))) names.push(key);
    }
  }
  return names;
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function table(t: ReportResult['tables'][number]): string {
  const best = new Map<string, number>();
  for (const m of t.metrics) {
    const means = t.rows.map((r) => r.stats[m].mean).filter(Number.isFinite);
    if (means.length > 0) best.set(m, LOWER_IS_BETTER.has(m) ? Math.min(...means) : Math.max(...means));
  }
  const head = ['run', 'seeds', ...t.metrics].map((h) => `<th>${escape(h)}</th>`).join('');
  const body = t.rows
    .map((r) => {
      const cells = t.metrics.map((m) => {
        const { mean, std } = r.stats[m];
        const text = `${mean.toFixed(4)} ± ${std.toFixed(4)}`;
        return mean === best.get(m) ? `<td><b>${text}</b></td>` : `<td>${text}</td>`;
      });
      return `<tr><td>${escape(r.group)}</td><td>${r.runs}</td>${cells.join('')}</tr>`;
    })
    .join('\n');
  return (
    `<h2>${escape(t.experiment)}</h2>\n<table class="results"><thead><tr>${head}</tr></thead>\n` +
    `<tbody>\n${body}\n</tbody></table>\n<p class="note">Mean ± standard deviation over seeds at the last ` +
    `evaluation; the best mean of each column in bold.</p>`
  );
}

function html(
  title: string,
  runs: ReportRun[],
  tables: ReportResult['tables'],
  figures: Figure[],
  svgs: string[],
  overlays: OverlayGrid | undefined,
): string {
  const figureHtml = figures
    .map(
      (f, i) =>
        `<figure id="figure-${f.id}">\n<h2>${escape(f.title)}</h2>\n${svgs[i]}\n` +
        `<figcaption>${escape(f.caption)}</figcaption>\n</figure>`,
    )
    .join('\n');
  const overlayHtml = overlays ? overlayFigure(overlays) : '';
  const runList = runs
    .map(
      (r) =>
        `<li><code>${escape(r.id)}</code>: ${escape(r.group)}` +
        `${r.seed !== undefined ? `, seed ${r.seed}` : ''}</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table.results { border-collapse: collapse; margin: 1em 0; }
table.results th, table.results td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
table.results td:first-child, table.results th:first-child { text-align: left; }
figure { margin: 2em 0; }
figcaption, .note { color: #555; font-size: 0.9em; }
svg { max-width: 100%; height: auto; }
table.overlays td { padding: 2px; text-align: center; font-size: 0.8em; }
table.overlays img { width: 128px; image-rendering: pixelated; }
</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p>${runs.length} runs. Written by segc report.</p>
${tables.map(table).join('\n')}
${figureHtml}
${overlayHtml}
<h2>Runs</h2>
<ul>
${runList}
</ul>
</body>
</html>
`;
}

const DATA_PNG = 'data:image/png;base64,';

function overlayFigure(grid: OverlayGrid): string {
  const head = grid.columns.map((c) => `<th>${escape(c)}</th>`).join('');
  const image = (id: string, png: string) => `<td><img alt="${escape(id)}" src="${DATA_PNG}${png}"></td>`;
  const rows = grid.rows
    .map((r) => `<tr>${r.cells.map((cell) => image(r.id, cell)).join('')}</tr>`)
    .join('\n');
  return (
    `<figure id="figure-overlays">\n<h2>Validation images</h2>\n` +
    `<table class="overlays"><thead><tr>${head}</tr>` +
    `</thead>\n<tbody>\n${rows}\n</tbody></table>\n<figcaption>The first validation images with the true ` +
    `classes and each run's predicted classes overlaid (the first seed of each).</figcaption>\n</figure>`
  );
}
