// Volume intensities to the uint8 the plans upload: per-volume z-score (mean and standard deviation of every
// voxel, as nnU-Net's non-CT normalisation) quantised over [-4, 4], or clip to [low, high] and scale (CT).
// The quantisation step is 8/255 of a standard deviation (z-score) or (high - low)/255.
import type { Intensity } from '../dataset.ts';

export const ZSCORE_RANGE = 4;

export function volumeToBytes(data: Float32Array, channels: number, intensity: Intensity): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let c = 0; c < channels; c++) {
    let low: number;
    let high: number;
    if (intensity.kind === 'zscore') {
      let sum = 0;
      let squares = 0;
      const n = data.length / channels;
      for (let i = c; i < data.length; i += channels) sum += data[i];
      const mean = sum / n;
      for (let i = c; i < data.length; i += channels) squares += (data[i] - mean) ** 2;
      const std = Math.sqrt(squares / n) || 1;
      low = mean - ZSCORE_RANGE * std;
      high = mean + ZSCORE_RANGE * std;
    } else {
      ({ low, high } = intensity);
    }
    const scale = 255 / (high - low);
    for (let i = c; i < data.length; i += channels) {
      const v = Math.round((data[i] - low) * scale);
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
