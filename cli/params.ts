// `segc params FILE`: the model's tensors as they are saved and loaded (torch's state_dict keys), with their
// shapes and element counts, and the totals.
import { stageExperiment } from '../compiler/index.ts';

export function printParams(file: string): string {
  const { train } = stageExperiment(file, { check: true });
  const weights = train.weights.filter((w) => w.init.kind !== 'values');
  const count = (sizes: number[]) => sizes.reduce((a, b) => a * b, 1);
  const rows = weights.map((w) => [
    w.name,
    `[${w.sizes.join(', ')}]`,
    count(w.sizes).toLocaleString('en-US'),
    w.trainable ? '' : w.dtype === 'i64' ? 'buffer (int64)' : 'buffer',
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 0));
  const lines = rows.map((r) =>
    `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padStart(widths[2])}  ${r[3]}`.trimEnd(),
  );
  const trainable = weights.filter((w) => w.trainable);
  const total = (ws: typeof weights) => ws.reduce((a, w) => a + count(w.sizes), 0).toLocaleString('en-US');
  lines.push(
    `${trainable.length} parameters (${total(trainable)} values), ` +
      `${weights.length - trainable.length} buffers (${total(weights.filter((w) => !w.trainable))} values)`,
  );
  return `${lines.join('\n')}\n`;
}
