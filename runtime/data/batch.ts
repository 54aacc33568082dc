// Batches in the plans' layout: [B, C, H, W] planar u8 images and [B, H, W] labels ([B, K, H, W] multilabel
// masks) at a fixed [H, W]. Each
// sample is centred (padded: image 0, labels the ignore value, as albumentations' PadIfNeeded with upstream's
// mask value 255; or cropped around its centre, as CenterCrop). A sample that fills the frame is placed
// straight into the batch (RGB four pixels per 32-bit word: a fraction of a memcpy); one that must be
// padded or cropped is placed into a slot of its own by the loader's worker thread that decoded it, and the
// slot copied.
import type { Sample } from './dataset.ts';

export interface Batch {
  image: Uint8Array;
  labels: Uint8Array;
  /** Real images in the batch (the rest is padding with every pixel ignored). */
  images: number;
  /** Ids of the real images, in order. */
  ids: string[];
  /** Their size before placement at the plan's size, [H, W]. */
  sizes: number[][];
}

/** Where samples go: the frame [H, W], the planes copied per sample and the label of padding. */
export interface Frame {
  size: [number, number];
  channels: number;
  ignore: number;
  /** Label planes per sample: 1 (class indices), or K multilabel masks ([K, H, W], in the sample too). */
  labelPlanes?: number;
}

/** One sample at the frame: [C, H, W] image and [H, W] labels, and what the batch records of it. */
export interface Slot {
  placed: true;
  id: string;
  size: number[];
  image: Uint8Array;
  labels: Uint8Array;
}

/** A sample placed at the frame, in arrays of its own (what a worker thread hands back). */
export function placeSample(sample: Sample, frame: Frame): Slot {
  const [H, W] = frame.size;
  const image = new Uint8Array(frame.channels * H * W);
  const labels = new Uint8Array((frame.labelPlanes ?? 1) * H * W).fill(frame.ignore);
  placeInto(sample, frame, image, labels);
  return { placed: true, id: sample.id, size: sample.size, image, labels };
}

/**
 * Writes a sample into one slot's image ([C, H, W], zero) and labels ([H, W], the ignore value): centred, the
 * rows and columns both frames share copied, channel c of the frame from channel c of the sample.
 */
export function placeInto(s: Sample, frame: Frame, image: Uint8Array, labels: Uint8Array): void {
  const [H, W] = frame.size;
  const plane = H * W;
  const [h, w] = s.size;
  const from = s.image;
  const stride = s.channels;
  // Offsets of the sample in the frame: positive pads, negative crops.
  const top = Math.floor((H - h) / 2);
  const left = Math.floor((W - w) / 2);
  const y0 = Math.max(0, top);
  const y1 = Math.min(H, top + h);
  const x0 = Math.max(0, left);
  const x1 = Math.min(W, left + w);
  if (frame.channels === 3 && stride === 3 && h === H && w === W && fillsWords(from, image, plane)) {
    planarWords(from, image, plane);
  } else if (frame.channels === 3 && stride === 3) {
    // RGB in one pass over the interleaved pixels (the common case; three passes read them three times).
    for (let y = y0; y < y1; y++) {
      const r = y * W;
      const g = r + plane;
      const b = g + plane;
      let k = ((y - top) * w + (x0 - left)) * 3;
      for (let x = x0; x < x1; x++, k += 3) {
        image[r + x] = from[k];
        image[g + x] = from[k + 1];
        image[b + x] = from[k + 2];
      }
    }
  } else {
    for (let c = 0; c < frame.channels; c++) {
      for (let y = y0; y < y1; y++) {
        const row = c * plane + y * W;
        let k = ((y - top) * w + (x0 - left)) * stride + c;
        for (let x = x0; x < x1; x++, k += stride) image[row + x] = from[k];
      }
    }
  }
  const K = frame.labelPlanes ?? 1;
  if (s.labels && K > 1) {
    // Multilabel masks: K planes [K, H, W] in the sample too, each placed as the one plane of class indices.
    for (let k = 0; k < K; k++) {
      const into = labels.subarray(k * plane, (k + 1) * plane);
      const from = s.labels.subarray(k * h * w, (k + 1) * h * w);
      if (h === H && w === W) into.set(from);
      else {
        for (let y = y0; y < y1; y++) {
          const start = (y - top) * w + (x0 - left);
          into.set(from.subarray(start, start + (x1 - x0)), y * W + x0);
        }
      }
    }
  } else if (s.labels && h === H && w === W) {
    labels.set(s.labels.subarray(0, plane)); // one block (a view per row costs more than the copy)
  } else if (s.labels) {
    for (let y = y0; y < y1; y++) {
      const start = (y - top) * w + (x0 - left);
      labels.set(s.labels.subarray(start, start + (x1 - x0)), y * W + x0);
    }
  }
}

/** Whether planarWords can move an image of `plane` pixels: whole, 4-byte aligned words on both sides. */
function fillsWords(from: Uint8Array | Uint16Array, image: Uint8Array, plane: number): boolean {
  return (
    plane % 4 === 0 &&
    from.length === plane * 3 &&
    from.byteOffset % 4 === 0 &&
    image.byteOffset % 4 === 0 &&
    new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 // little-endian, as every platform node runs on
  );
}

/**
 * Interleaved RGB [P, 3] to planar [3, P] four pixels at a time: three 32-bit words in (r0 g0 b0 r1,
 * g1 b1 r2 g2, b2 r3 g3 b3, little-endian), one word out per plane (3x faster than moving bytes).
 */
function planarWords(from: Uint8Array, image: Uint8Array, plane: number): void {
  const src = new Uint32Array(from.buffer, from.byteOffset, (plane * 3) >> 2);
  const dst = new Uint32Array(image.buffer, image.byteOffset, (plane * 3) >> 2);
  const q = plane >> 2;
  for (let p = 0, j = 0; p < q; p++, j += 3) {
    const a = src[j];
    const b = src[j + 1];
    const c = src[j + 2];
    dst[p] = (a & 0xff) | ((a >>> 24) << 8) | (((b >>> 16) & 0xff) << 16) | (((c >>> 8) & 0xff) << 24);
    dst[q + p] = ((a >>> 8) & 0xff) | ((b & 0xff) << 8) | ((b >>> 24) << 16) | (((c >>> 16) & 0xff) << 24);
    dst[2 * q + p] =
      ((a >>> 16) & 0xff) | (((b >>> 8) & 0xff) << 8) | ((c & 0xff) << 16) | ((c >>> 24) << 24);
  }
}

/** Whether `sample` fills `frame` exactly and takes the word-wise path (placing it costs little anywhere). */
export function fillsFrame(sample: Sample, frame: Frame): boolean {
  const [H, W] = frame.size;
  return (
    frame.channels === 3 &&
    sample.channels === 3 &&
    sample.size.length === 2 &&
    sample.size[0] === H &&
    sample.size[1] === W &&
    fillsWords(sample.image, new Uint8Array(0), H * W)
  );
}

/** The arrays of a batch handed back for reuse (Loader.batches with `recycle`). */
export interface BatchArrays {
  image: Uint8Array;
  labels: Uint8Array;
}

/**
 * One batch of `batch` at `frame` from samples (placed here) or slots (already placed: copied); empty slots
 * have image 0 and every label ignored. `into`: the arrays of an earlier batch of the same shape to write
 * over (every byte is written), instead of new ones: large fresh allocations cost page faults, several
 * times the copy itself here.
 */
export function assembleBatch(
  items: (Sample | Slot)[],
  batch: number,
  frame: Frame,
  into?: BatchArrays,
): Batch {
  const [H, W] = frame.size;
  const plane = H * W;
  const planes = frame.channels * plane;
  // A slot's labels: one plane, or K for multilabel masks.
  const labelled = (frame.labelPlanes ?? 1) * plane;
  const fits = into && into.image.length === batch * planes && into.labels.length === batch * labelled;
  const image = fits ? into.image : new Uint8Array(batch * planes);
  const labels = fits ? into.labels : new Uint8Array(batch * labelled);
  items.forEach((item, k) => {
    const slotImage = image.subarray(k * planes, (k + 1) * planes);
    const slotLabels = labels.subarray(k * labelled, (k + 1) * labelled);
    if ('placed' in item) {
      slotImage.set(item.image);
      slotLabels.set(item.labels);
    } else {
      // A sample without labels leaves its slot ignored; placeInto writes the pixels it covers.
      const whole = fillsFrame(item, frame);
      const covered = whole && item.labels !== undefined && item.labels.length >= labelled;
      if (!whole && fits) slotImage.fill(0);
      if (!covered) slotLabels.fill(frame.ignore);
      placeInto(item, frame, slotImage, slotLabels);
    }
  });
  if (fits) image.fill(0, items.length * planes);
  labels.fill(frame.ignore, items.length * labelled);
  return {
    image,
    labels,
    images: items.length,
    ids: items.map((s) => s.id),
    sizes: items.map((s) => s.size),
  };
}

/** Samples into one batch at `size` (the main thread's assembly: cached samples, no worker threads). */
export function assemble(
  samples: Sample[],
  batch: number,
  size: [number, number],
  channels: number,
  ignore: number,
  labelPlanes = 1,
): Batch {
  return assembleBatch(samples, batch, { size, channels, ignore, labelPlanes });
}
