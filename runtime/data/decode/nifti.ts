// NIfTI-1/2 volumes (.nii, .nii.gz) decoded by nifti-reader-js: voxels scaled by scl_slope/scl_inter (a slope
// of 0 or NaN means none, as nibabel), in segc's [D, H, W] order (the file's x is W: x varies fastest, so the
// stored order already is [z][y][x]), with the voxel spacing [d, h, w] and the orientation of the axes.
import * as nifti from 'nifti-reader-js';
import { dataError } from '../errors.ts';
import { readBytes } from './image.ts';

export interface DecodedVolume {
  /** [D, H, W, C] intensities after scl_slope/scl_inter. */
  data: Float32Array;
  /** [D, H, W]. */
  size: [number, number, number];
  channels: number;
  /** Voxel spacing [d, h, w] (pixdim[3], pixdim[2], pixdim[1]). */
  spacing: [number, number, number];
  /** The world direction of each voxel axis x, y, z as nibabel's aff2axcodes writes it (e.g. 'RAS'). */
  orientation: string;
}

export async function decodeVolume(file: string, option?: string): Promise<DecodedVolume> {
  const bytes = await readBytes(file, 'Volume', option);
  let buffer: ArrayBuffer = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.length,
  ) as ArrayBuffer;
  const fail = (reason: string) => dataError('SEG6041', [file, reason], file);
  try {
    if (nifti.isCompressed(buffer)) buffer = nifti.decompress(buffer) as ArrayBuffer;
  } catch (error) {
    throw fail(`its gzip stream is corrupt or truncated (${(error as Error).message})`);
  }
  if (!nifti.isNIFTI(buffer)) throw fail('no NIfTI header');
  const header = nifti.readHeader(buffer);
  const [, x, y, z = 1, t = 1] = header.dims;
  const count = x * y * z * t;
  const image = nifti.readImage(header, buffer);
  const bytesPerVoxel = header.numBitsPerVoxel / 8;
  if (image.byteLength < count * bytesPerVoxel) {
    throw fail(`truncated: ${image.byteLength} bytes of voxels, ${count * bytesPerVoxel} expected`);
  }
  const view = new DataView(image);
  const read = reader(header.datatypeCode, view, header.littleEndian);
  if (!read) throw fail(`voxel type ${header.datatypeCode} is not supported`);
  const slope = header.scl_slope;
  const scaled = Number.isFinite(slope) && slope !== 0;
  const inter = scaled && Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  // The file holds [t][z][y][x]; segc keeps the channels last: [z][y][x][t].
  const plane = x * y * z;
  const data = new Float32Array(count);
  for (let c = 0; c < t; c++) {
    for (let i = 0; i < plane; i++) {
      const v = read((c * plane + i) * bytesPerVoxel);
      data[i * t + c] = scaled ? v * slope + inter : v;
    }
  }
  const d = header.pixDims;
  return {
    data,
    size: [z, y, x],
    channels: t,
    spacing: [d[3] || 1, d[2] || 1, d[1] || 1],
    orientation: axisCodes(header.affine),
  };
}

function reader(code: number, view: DataView, little: boolean): ((offset: number) => number) | undefined {
  switch (code) {
    case nifti.NIFTI1.TYPE_UINT8:
      return (o) => view.getUint8(o);
    case nifti.NIFTI1.TYPE_INT8:
      return (o) => view.getInt8(o);
    case nifti.NIFTI1.TYPE_INT16:
      return (o) => view.getInt16(o, little);
    case nifti.NIFTI1.TYPE_UINT16:
      return (o) => view.getUint16(o, little);
    case nifti.NIFTI1.TYPE_INT32:
      return (o) => view.getInt32(o, little);
    case nifti.NIFTI1.TYPE_UINT32:
      return (o) => view.getUint32(o, little);
    case nifti.NIFTI1.TYPE_FLOAT32:
      return (o) => view.getFloat32(o, little);
    case nifti.NIFTI1.TYPE_FLOAT64:
      return (o) => view.getFloat64(o, little);
    default:
      return undefined;
  }
}

/** For each voxel axis, the world axis it runs along most and its sign: R/L, A/P, S/I (RAS+ world). */
export function axisCodes(affine: number[][]): string {
  const labels = [
    ['R', 'L'],
    ['A', 'P'],
    ['S', 'I'],
  ];
  let codes = '';
  for (let j = 0; j < 3; j++) {
    let best = 0;
    for (let i = 1; i < 3; i++) if (Math.abs(affine[i][j]) > Math.abs(affine[best][j])) best = i;
    codes += affine[best][j] >= 0 ? labels[best][0] : labels[best][1];
  }
  return codes;
}
