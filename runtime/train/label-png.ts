// Class maps as PNG files (fast-png): 8-bit grey of the class indices (upstream's <split>_results/<id>.png
// holds raw label values), or a palette PNG whose indices are the classes and whose colours are the dataset's
// (Pascal VOC's colour map, Cityscapes' trainId colours), so viewers show colours and readers get indices.
import { encode } from 'fast-png';
import { writeFileAtomic } from '../checkpoint/safetensors.ts';

/** Pascal VOC's colour map (the bit-interleaved one of the devkit's VOClabelcolormap), 256 entries. */
export function vocPalette(): number[][] {
  const bit = (value: number, index: number) => (value >> index) & 1;
  return Array.from({ length: 256 }, (_, i) => {
    let [r, g, b] = [0, 0, 0];
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= bit(c, 0) << (7 - j);
      g |= bit(c, 1) << (7 - j);
      b |= bit(c, 2) << (7 - j);
      c >>= 3;
    }
    return [r, g, b];
  });
}

/** Cityscapes' colours of the 19 train ids (cityscapesScripts labels.py), the rest black, 255 as VOC's. */
export function cityscapesPalette(): number[][] {
  const colours = [
    [128, 64, 128],
    [244, 35, 232],
    [70, 70, 70],
    [102, 102, 156],
    [190, 153, 153],
    [153, 153, 153],
    [250, 170, 30],
    [220, 220, 0],
    [107, 142, 35],
    [152, 251, 152],
    [70, 130, 180],
    [220, 20, 60],
    [255, 0, 0],
    [0, 0, 142],
    [0, 0, 70],
    [0, 60, 100],
    [0, 80, 100],
    [0, 0, 230],
    [119, 11, 32],
  ];
  return Array.from({ length: 256 }, (_, i) => colours[i] ?? [0, 0, 0]);
}

/** The palette of a dataset's class maps, or undefined for grey PNGs. */
export function paletteOf(dataset: string): number[][] | undefined {
  if (dataset === 'voc') return vocPalette();
  if (dataset === 'cityscapes') return cityscapesPalette();
  return undefined;
}

/** Encodes a class map [H, W] (row-major u8) as a PNG, with a palette when given. */
export function encodeLabelPng(
  map: Uint8Array,
  height: number,
  width: number,
  palette?: number[][],
): Uint8Array {
  return encode({ width, height, data: map, channels: 1, depth: 8, ...(palette ? { palette } : {}) });
}

export async function writeLabelPng(
  path: string,
  map: Uint8Array,
  height: number,
  width: number,
  palette?: number[][],
): Promise<void> {
  await writeFileAtomic(path, encodeLabelPng(map, height, width, palette));
}

/**
 * K multilabel planes [K, pixels] as one class map for an overlay: at each pixel the first channel whose
 * value is `on` (1 for masks with 255 ignored, 255 for 0/255 predictions), + 1; 0 where none is.
 */
export function firstChannelMap(masks: Uint8Array, channels: number, pixels: number, on: number): Uint8Array {
  const map = new Uint8Array(pixels);
  for (let k = channels - 1; k >= 0; k--) {
    for (let p = 0; p < pixels; p++) if (masks[k * pixels + p] === on) map[p] = k + 1;
  }
  return map;
}
