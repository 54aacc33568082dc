// Photos (JPEG, PNG, TIFF, WebP) decoded by sharp (libvips) into 8-bit RGB [H, W, 3], as PIL's
// convert('RGB') and OpenCV's imread (BGR reversed) give them: alpha dropped, grey repeated, palette
// expanded. No EXIF rotation (PIL does not rotate either) and no embedded ICC profile applied (PIL and
// OpenCV apply none: sharp would convert to sRGB through it; test/runtime/data/icc-photos.test.ts). Its JPEG
// decode equals PIL's bit for bit (test/runtime/data/readers.test.ts).
import { readFile } from 'node:fs/promises';
import type Sharp from 'sharp';
import { dataError } from '../errors.ts';

export interface DecodedImage {
  /** [H, W, 3] RGB. */
  data: Uint8Array;
  height: number;
  width: number;
}

/** Reads a file, naming it (and the option that led to it) when it is missing or unreadable. */
export async function readBytes(file: string, what: string, option?: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw dataError('SEG6036', [what, file], file, option);
    throw dataError('SEG6037', [what, file, code ?? String(error)], file, option);
  }
}

export async function decodeImage(file: string, option?: string): Promise<DecodedImage> {
  return decodeImageBytes(await readBytes(file, 'Image', option), file);
}

/**
 * sharp (libvips), loaded by the first decode, not by every start of segc (about 0.1 s). One libvips thread
 * per decode (the loader's parallelism is its worker threads; more would oversubscribe the cores) and no
 * operation cache (every decode is of new bytes: caching them only costs).
 */
let sharpModule: Promise<typeof Sharp> | undefined;

export function loadSharp(): Promise<typeof Sharp> {
  return (sharpModule ??= import('sharp').then(({ default: sharp }) => {
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  }));
}

export async function decodeImageBytes(bytes: Uint8Array, file: string): Promise<DecodedImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', ignoreIcc: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion to RGB`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      height: info.height,
      width: info.width,
    };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw dataError('SEG6038', [file, reason], file);
  }
}
