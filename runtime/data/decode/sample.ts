// A sample from its entry: the image decoded, the mask turned into labels and both checked (the mask's size
// is the image's; every label is a class or the ignore value). The same function runs on the main thread and
// in the loader's worker threads (decode/worker-task.ts).
import type { MaskMode, Sample, SampleEntry } from '../dataset.ts';
import { DataError, dataError } from '../errors.ts';
import { decodeImage } from './image.ts';
import { decodeMask } from './label.ts';
import type { DecodedMask } from './label.ts';
import { decodeVolume } from './nifti.ts';
import { volumeToBytes } from './intensity.ts';

/** What a decoded sample is checked against. */
export interface LabelRules {
  classes: number;
  ignore: number;
}

export async function decodeSample(entry: SampleEntry, rules: LabelRules): Promise<Sample> {
  switch (entry.kind) {
    case 'image':
      return decodeImageSample(entry, rules);
    case 'lesions':
      return decodeLesions(entry);
    case 'volume':
      return decodeVolumeSample(entry, rules);
  }
}

async function decodeImageSample(
  entry: Extract<SampleEntry, { kind: 'image' }>,
  rules: LabelRules,
): Promise<Sample> {
  const image = await decodeImage(entry.image);
  const sample: Sample = { id: entry.id, image: image.data, size: [image.height, image.width], channels: 3 };
  if (entry.mask === undefined) return sample;
  const mask = await decodeMask(entry.mask);
  sameSize(mask, image.height, image.width, entry.mask, entry.image);
  sample.labels = toLabels(mask, entry.maskMode, entry.mask, rules);
  return sample;
}

function sameSize(
  mask: { height: number; width: number },
  height: number,
  width: number,
  file: string,
  image: string,
) {
  if (mask.height !== height || mask.width !== width) {
    throw dataError('SEG6042', [file, mask.height, mask.width, image, height, width], file);
  }
}

/** Class indices from a mask's stored values, checked against the class count. */
export function toLabels(
  mask: DecodedMask,
  mode: MaskMode,
  file: string,
  rules: LabelRules,
): Uint8Array | Uint16Array {
  const { data } = mask;
  const wide = rules.classes > 255 && rules.ignore > 255;
  const labels = wide ? new Uint16Array(data.length) : new Uint8Array(data.length);
  if (mode.kind === 'binary') {
    for (let i = 0; i < data.length; i++) labels[i] = data[i] > mode.threshold ? 1 : 0;
    return labels;
  }
  if (mode.kind === 'values') {
    const lookup = new Map(mode.values.map((v, c) => [v, c]));
    for (let i = 0; i < data.length; i++) {
      const c = lookup.get(data[i]);
      if (c === undefined) {
        if (data[i] === rules.ignore) {
          labels[i] = rules.ignore;
          continue;
        }
        throw badValue(file, data[i], i, mask.width, `not in the value map [${mode.values.join(', ')}]`);
      }
      labels[i] = c;
    }
    return labels;
  }
  if (mask.colour) {
    throw dataError('SEG6043', [file], file);
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v >= rules.classes && v !== rules.ignore) {
      throw badValue(
        file,
        v,
        i,
        mask.width,
        `not a class (${rules.classes} classes, ${rules.ignore} ignored)`,
      );
    }
    labels[i] = v;
  }
  return labels;
}

function badValue(file: string, value: number, index: number, width: number, why: string): DataError {
  const y = Math.floor(index / width);
  const x = index % width;
  return dataError('SEG6044', [file, value, y, x, why], file);
}

async function decodeLesions(entry: Extract<SampleEntry, { kind: 'lesions' }>): Promise<Sample> {
  const image = await decodeImage(entry.image);
  const plane = image.height * image.width;
  const classes = entry.masks.length;
  // Which stored values count as a lesion, by value (a 16-bit mask's values above 65535 never do).
  const counted = new Uint8Array(65536);
  for (const v of entry.values) if (Number.isInteger(v) && v >= 0 && v < counted.length) counted[v] = 1;
  // Binary: the union, written directly; else the K planes [K, H, W] (the batch's layout).
  const labels = new Uint8Array(entry.binary ? plane : plane * classes);
  for (let k = 0; k < classes; k++) {
    const file = entry.masks[k];
    if (file === undefined) continue;
    const mask = await decodeMask(file);
    sameSize(mask, image.height, image.width, file, entry.image);
    // Binary: OR into the union; else plane k.
    countInto(labels, mask.data, counted, entry.binary ? 0 : k * plane, 1);
  }
  const sample: Sample = { id: entry.id, image: image.data, size: [image.height, image.width], channels: 3 };
  sample.labels = labels;
  if (!entry.binary) sample.labelChannels = classes;
  return sample;
}

/**
 * labels[offset + i·stride] |= counted[data[i]] for every pixel i (labels start at 0). Lesion masks are
 * mostly background: where value 0 does not count, four zero bytes at a time are skipped (a quarter of the
 * time of the plain loop, the same result).
 */
function countInto(
  labels: Uint8Array,
  data: Uint8Array | Uint16Array,
  counted: Uint8Array,
  offset: number,
  stride: number,
): void {
  const n = data.length;
  let i = 0;
  if (data instanceof Uint8Array && counted[0] === 0 && data.byteOffset % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, n >> 2);
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let j = w << 2, end = j + 4; j < end; j++) labels[offset + j * stride] |= counted[data[j]];
    }
    i = words.length << 2;
  }
  for (; i < n; i++) labels[offset + i * stride] |= counted[data[i]];
}

async function decodeVolumeSample(
  entry: Extract<SampleEntry, { kind: 'volume' }>,
  rules: LabelRules,
): Promise<Sample> {
  const volume = await decodeVolume(entry.image);
  const sample: Sample = {
    id: entry.id,
    image: volumeToBytes(volume.data, volume.channels, entry.intensity),
    size: volume.size,
    channels: volume.channels,
    spacing: volume.spacing,
    orientation: volume.orientation,
  };
  if (entry.mask === undefined) return sample;
  const labels = await decodeVolume(entry.mask);
  const [d, h, w] = volume.size;
  const [ld, lh, lw] = labels.size;
  if (ld !== d || lh !== h || lw !== w || labels.channels !== 1) {
    const sizes = [ld, lh, lw, labels.channels, entry.image, d, h, w];
    throw dataError('SEG6045', [entry.mask, ...sizes], entry.mask);
  }
  const values = new Uint8Array(labels.data.length);
  for (let i = 0; i < values.length; i++) {
    const v = labels.data[i];
    if (!Number.isInteger(v) || v < 0 || (v >= rules.classes && v !== rules.ignore)) {
      const at = `voxel [${Math.floor(i / (h * w))}, ${Math.floor(i / w) % h}, ${i % w}]`;
      throw dataError('SEG6046', [entry.mask, v, at, rules.classes], entry.mask);
    }
    values[i] = v;
  }
  sample.labels = values;
  return sample;
}
