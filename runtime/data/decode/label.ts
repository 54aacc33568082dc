// Label masks. PNGs are decoded by fast-png, which keeps what the file stores: palette indices (VOC's
// SegmentationClass, labelme's exports) and 8- or 16-bit grey values, as PIL's Image.open gives them (sharp
// would expand a palette to RGB). Other formats (a JPEG mask) go through sharp and are read as grey.
// RGB(A) masks become grey by ITU-R 601 luma as PIL's convert('L') computes it.
import { decode as decodePng } from 'fast-png';
import { dataError } from '../errors.ts';
import { decodeImageBytes, readBytes } from './image.ts';

export interface DecodedMask {
  /** [H, W] stored values: palette index or grey level (u16 for a 16-bit PNG). */
  data: Uint8Array | Uint16Array;
  height: number;
  width: number;
  /** The file stores colours, not indices or grey levels (RGB or RGBA, not a palette). */
  colour: boolean;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

export async function decodeMask(file: string, option?: string): Promise<DecodedMask> {
  const bytes = await readBytes(file, 'Mask', option);
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const image = await decodeImageBytes(bytes, file);
    return { data: luma(image.data, 3), height: image.height, width: image.width, colour: true };
  }
  let png;
  try {
    png = decodePng(bytes);
  } catch (error) {
    throw dataError('SEG6039', [file, (error as Error).message], file);
  }
  const { width, height, channels, depth } = png;
  const expected = width * height * channels;
  if (png.data.length < expected || (depth < 8 && !png.palette && depth !== 1)) {
    throw dataError('SEG6040', [file, depth], file);
  }
  const data = png.data as Uint8Array | Uint16Array;
  if (channels === 1) return { data: data.subarray(0, width * height), height, width, colour: false };
  if (channels === 2) return { data: strided(data, 2), height, width, colour: false };
  const grey = depth === 16 ? luma(highBytes(data as Uint16Array), channels) : luma(data, channels);
  return { data: grey, height, width, colour: true };
}

/** Every `stride`-th value (the grey of grey + alpha). */
function strided(data: Uint8Array | Uint16Array, stride: number): Uint8Array | Uint16Array {
  const out = new (data.constructor as Uint8ArrayConstructor)(data.length / stride);
  for (let i = 0; i < out.length; i++) out[i] = data[i * stride];
  return out;
}

/** 16-bit colours as 8-bit (the high byte). */
function highBytes(data: Uint16Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] >> 8;
  return out;
}

/** PIL's RGB → L: (R·19595 + G·38470 + B·7471 + 0x8000) >> 16. */
export function luma(data: Uint8Array | Uint16Array, channels: number): Uint8Array {
  const out = new Uint8Array(data.length / channels);
  for (let i = 0; i < out.length; i++) {
    const j = i * channels;
    out[i] = (data[j] * 19595 + data[j + 1] * 38470 + data[j + 2] * 7471 + 0x8000) >>> 16;
  }
  return out;
}
