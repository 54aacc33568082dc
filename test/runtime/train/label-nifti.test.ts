// The NIfTI label files segc test writes for volumes (runtime/train/label-nifti.ts), with the headers of real
// files (Debian's mricron-data templates): read back, their affine, shape and voxel spacing are nibabel's of
// the image they were written beside (test/golden/generate_label_nifti.py), their voxels are the class map in
// segc's [D, H, W] order, uint8, unscaled, with the label intent.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as nifti from 'nifti-reader-js';
import { encodeLabelNifti, readNiftiHeader } from '../../../runtime/train/label-nifti.ts';

const golden = JSON.parse(
  readFileSync(new URL('../../golden/data/label_nifti.json', import.meta.url), 'utf8'),
) as { cases: { file: string; affine: number[][]; shape: number[]; zooms: number[]; axcodes: string }[] };

describe('label volumes as NIfTI', () => {
  for (const c of golden.cases) {
    it(`${c.file.split('/').pop()} (${c.axcodes})`, () => {
      const [x, y, z] = c.shape;
      const labels = Uint8Array.from({ length: x * y * z }, (_, i) => (i * 5 + (i >> 9)) % 7);
      const bytes = encodeLabelNifti(readNiftiHeader(c.file), labels, [z, y, x], true);
      const plain = gunzipSync(bytes);
      const buffer = plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.length) as ArrayBuffer;
      const header = nifti.readHeader(buffer)!;
      expect(header.dims.slice(0, 5)).toEqual([3, x, y, z, 1]);
      expect(header.datatypeCode).toBe(nifti.NIFTI1.TYPE_UINT8);
      expect([header.scl_slope, header.scl_inter, header.intent_code]).toEqual([1, 0, 1002]);
      expect(header.pixDims.slice(1, 4)).toEqual(c.zooms.map((v) => expect.closeTo(v, 6)));
      header.affine.forEach((row, i) => expect(row).toEqual(c.affine[i].map((v) => expect.closeTo(v, 4))));
      // x varies fastest: the file's voxels are the [z][y][x] class map as it is.
      const voxels = Buffer.from(nifti.readImage(header, buffer));
      expect(voxels.length).toBe(labels.length);
      expect(voxels.equals(Buffer.from(labels.buffer)), 'voxels equal the class map').toBe(true);
    });
  }
});
