// segc report's reading of run folders: a damaged metrics.jsonl or a sweep folder of unfinished runs is a
// one-line error naming the file, not a crash.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectRuns } from '../../report/collect.ts';
import { writeReport } from '../../report/index.ts';
import { RunError } from '../../runtime/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'segc-collect-'));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const summary = JSON.stringify({ experiment: 'e', epochs: [], final: { values: { dice: 0.5 } } });

describe('collectRuns', () => {
  it('reads a plain run folder', () => {
    const dir = folder('plain', { 'summary.json': summary, 'metrics.jsonl': '{"epoch":1}\n{"epoch":2}\n' });
    const [run] = collectRuns([dir]);
    expect(run.group).toBe('e');
    expect(run.epochs).toEqual([{ epoch: 1 }, { epoch: 2 }]);
  });

  it('names the line of a damaged metrics.jsonl', () => {
    const dir = folder('damaged', { 'summary.json': summary, 'metrics.jsonl': '{"epoch":1}\n{"epo' });
    expect(() => collectRuns([dir])).toThrow(RunError);
    expect(() => collectRuns([dir])).toThrow(`Cannot read '${join(dir, 'metrics.jsonl')}:2'`);
  });

  it('refuses a sweep folder of unfinished runs', () => {
    const sweep = join(root, 'unfinished');
    folder('unfinished/a-1', { 'run.json': '{}' });
    folder('unfinished/b-2', { 'run.json': '{}', 'metrics.jsonl': '{"epoch":1}\n' });
    expect(() => collectRuns([sweep])).toThrow(
      `'${sweep}' holds no finished run (a folder with summary.json).`,
    );
  });

  it("leaves the images out when the sweep run's experiment file is gone", async () => {
    const record = { id: 'a-1', name: 'a', group: 'a', seed: 1, overrides: {}, experiment: 'e' };
    const dir = folder('moved/a-1', {
      'summary.json': summary,
      'run.json': JSON.stringify({ ...record, file: join(root, 'gone.seg') }),
      'predictions-val.safetensors': '',
    });
    const result = await writeReport([dir], { out: join(root, 'moved.html') });
    expect(result.runs).toBe(1);
    expect(result.figures).not.toContain('overlays');
  });
});
