// The per-class table of an evaluation as text (upstream prints an ASCII table per class at Val and Test):
// one row per class, one column per per-class metric; NaN (a class not scored) shows as '-'.

/** Rows of text: a header, then each class with its values to 4 decimals. */
export function formatClassTable(tables: Record<string, number[]>, classNames?: string[]): string[] {
  const columns = Object.keys(tables);
  const classes = Math.max(0, ...columns.map((c) => tables[c].length));
  const names = Array.from({ length: classes }, (_, c) => classNames?.[c] ?? `class ${c}`);
  const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(4));
  const rows = [
    ['class', ...columns],
    ...names.map((name, c) => [name, ...columns.map((k) => cell(tables[k][c]))]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}
