// `segc check --data FILE`: the dataset scanned without training; counts, sizes and notes printed, every bad
// file named, exit 1 unless the experiment skips bad files.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkData } from '../../../runtime/data/check-data.ts';
import { FIXTURES } from './golden.ts';

const experiment = (name: string) => join(FIXTURES, 'experiments', name);

test("the labelme photos as voc: 3 samples per split, two sizes, labelme's layout noted", async () => {
  const { lines, ok } = await checkData(experiment('labelme_voc.seg'));
  expect(ok).toBe(true);
  expect(lines[0]).toMatch(/^voc: train 3, val 3, test 3 samples; 21 classes \(_background_, aeroplane, /);
  expect(lines[0]).toMatch(/; sizes 338×500 \(1\), 375×500 \(2\)$/);
  expect(lines.filter((l) => l.startsWith('note: '))).toHaveLength(3);
});

test('a skipped bad mask is named and the check passes; a truncated image fails it', async () => {
  const skip = await checkData(experiment('image_folder.seg'));
  expect(skip.ok).toBe(true);
  expect(skip.lines).toContain(
    "error: Mask 'test/fixtures/data/bad/label/masks/a.png' has the label 7 at row 4, column 5: not a class " +
      '(3 classes, 255 ignored)',
  );
  expect(skip.lines.at(-1)).toBe('1 bad file: a run skips it (on_error = "skip")');
  let status = 0;
  let stdout = '';
  try {
    execFileSync('node', ['bin/segc.mjs', 'check', '--data', experiment('truncated.seg')], { stdio: 'pipe' });
  } catch (error) {
    status = (error as { status: number }).status;
    stdout = String((error as { stdout: Buffer }).stdout);
  }
  expect(status).toBe(1);
  expect(stdout).toContain(
    "error: Image 'test/fixtures/data/bad/truncated/images/a.jpg' is corrupt or not an image: ",
  );
  expect(stdout).toContain('1 bad file: a run stops (fix, or on_error = "skip")');
});
