// Label masks. PNGs are decoded by fast-png, which keeps what the file stores: palette indices (VOC's
// SegmentationClass, labelme's exports) and 8- or 16-bit grey values, as PIL's Image.open gives them (sharp
// would expand a palette to RGB). 8-bit grey PNGs (Cityscapes' labelTrainIds, Retinal Lesions' lesion
// masks), where sharp gives the stored values too, go through sharp (libpng: 4-6x faster than fast-png's
// JavaScript inflate), its ICC profile ignored; a file sharp reads otherwise (not one grey channel) or
// refuses goes to fast-png, which then decodes it or names the problem as before. Other formats (a JPEG
// mask) go through sharp and are read as grey. RGB(A) masks become grey by ITU-R 601 luma as PIL's
// convert('L') computes it.
import { decode as decodePng } from 'fast-png';
import { dataError } from '../errors.ts';
import { decodeImageBytes, loadSharp, readBytes } from './image.ts';

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
  // IHDR (the first chunk): bit depth at byte 24, colour type at 25 (0: grey).
  if (bytes[24] === 8 && bytes[25] === 0) {
    const grey = await decodeGreyPng(bytes);
    if (grey) return grey;
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

/** An 8-bit grey PNG by sharp, or undefined where sharp does not give one grey channel (fast-png decides). */
async function decodeGreyPng(bytes: Uint8Array): Promise<DecodedMask | undefined> {
  const sharp = await loadSharp();
  try {
    // 'b-w' keeps the one grey band (sharp's default output would replicate it into sRGB's three).
    const { data, info } = await sharp(bytes, { failOn: 'warning', ignoreIcc: true })
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || data.length !== info.width * info.height) return undefined;
    const grey = new Uint8Array(data.buffer, data.byteOffset, data.length);
    return { data: grey, height: info.height, width: info.width, colour: false };
  } catch {
    return undefined;
  }
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
