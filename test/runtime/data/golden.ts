// The generator's record of what each fixture decodes to (test/golden/generate_data.py: PIL, OpenCV and
// nibabel), and the same summary of a segc array.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Summary {
  shape: number[];
  dtype: string;
  sum: number;
  sha256: string;
}

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'data');

export const LABELME = '/usr/share/doc/labelme-examples/examples/semantic_segmentation/data_dataset_voc';

export const golden: Record<string, Record<string, unknown>> = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'data', 'decoded.json'), 'utf8'),
);

/** Sum and sha256 of an array's bytes (u8, or u16/f32 little-endian as NumPy's tobytes). */
export function summarise(array: Uint8Array | Uint16Array | Float32Array): { sum: number; sha256: string } {
  let sum = 0;
  for (const v of array) sum += v;
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return { sum, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** What to compare with a golden Summary: its sum and hash. */
export const expected = (s: unknown) => ({ sum: (s as Summary).sum, sha256: (s as Summary).sha256 });
