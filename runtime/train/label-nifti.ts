// A predicted class map of a volume as a NIfTI label file beside its image (nnU-Net's predictions): the
// image's own header (its NIfTI-1 or NIfTI-2 version, dims, voxel spacing, qform and sform, units) as
// nifti-reader-js reads and writes it, one channel of uint8 class indices, unscaled, gzipped when the name
// ends in .gz. The class map is segc's [D, H, W], which is the file's [z][y][x] voxel order.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { writeFileAtomic } from '../checkpoint/safetensors.ts';
import { InternalError } from '../../diagnostics/index.ts';

/** The header of the NIfTI file `image` (its voxels left unread). */
export function readNiftiHeader(image: string): nifti.NIFTI1 | nifti.NIFTI2 {
  const bytes = readFileSync(image);
  let buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  if (nifti.isCompressed(buffer)) buffer = nifti.decompress(buffer) as ArrayBuffer;
  if (!nifti.isNIFTI(buffer))
    throw new InternalError(`'${image}' was decoded as NIfTI but has no header now`);
  return nifti.readHeader(buffer) as nifti.NIFTI1 | nifti.NIFTI2;
}

/** The bytes of a label volume with `header`'s geometry: u8 `labels` [D, H, W] (z, y, x). */
export function encodeLabelNifti(
  header: nifti.NIFTI1 | nifti.NIFTI2,
  labels: Uint8Array,
  size: number[],
  gzip: boolean,
): Uint8Array {
  const [d, h, w] = size;
  if (labels.length !== d * h * w) throw new InternalError('a class map does not fill its volume');
  const out = Object.assign(Object.create(Object.getPrototypeOf(header)), header) as typeof header;
  out.dims = [3, w, h, d, 1, 1, 1, 1];
  out.datatypeCode = nifti.NIFTI1.TYPE_UINT8;
  out.numBitsPerVoxel = 8;
  out.scl_slope = 1;
  out.scl_inter = 0;
  out.cal_min = 0;
  out.cal_max = labels.reduce((a, b) => Math.max(a, b), 0);
  out.intent_code = 1002; // NIFTI_INTENT_LABEL
  out.extensions = [];
  const head = new Uint8Array(out.toArrayBuffer(false));
  // The voxels follow the header and its 4 extension bytes (none), at vox_offset.
  out.vox_offset = head.length;
  const bytes = new Uint8Array(head.length + labels.length);
  bytes.set(new Uint8Array(out.toArrayBuffer(false)), 0);
  bytes.set(labels, head.length);
  return gzip ? new Uint8Array(gzipSync(bytes)) : bytes;
}

/** Writes `labels` (u8 [D, H, W]) to `path` (.nii or .nii.gz) with the geometry of the NIfTI file `image`. */
export async function writeLabelNifti(
  path: string,
  image: string,
  labels: Uint8Array,
  size: number[],
): Promise<void> {
  await writeFileAtomic(path, encodeLabelNifti(readNiftiHeader(image), labels, size, path.endsWith('.gz')));
}
