// Training patches of a volume, as nnU-Net (v1 DataLoader3D): a patch lies at a uniformly random position,
// except the forced-foreground ones (the last third of a batch: batch index ≥ round(batch · (1 - 1/3))),
// which are centred on a random voxel of a random foreground class present in the volume. A volume smaller
// than the patch is padded: image 0, labels the ignore value.
import type { Sample } from './dataset.ts';
import type { Random } from './random.ts';

export const FOREGROUND_FRACTION = 1 / 3;

/** Whether the patch at `index` of a batch is forced to hold foreground (nnU-Net's get_do_oversample). */
export function forcedForeground(index: number, batch: number): boolean {
  return !(index < Math.round(batch * (1 - FOREGROUND_FRACTION)));
}

export interface PatchOrigin {
  /** First voxel [d, h, w] of the patch in the volume (may be negative: padding). */
  origin: number[];
  /** The voxel it was centred on, for a forced-foreground patch. */
  centre?: number[];
}

export function choosePatch(
  sample: Sample,
  patch: number[],
  foreground: boolean,
  random: Random,
  ignore = 255,
): PatchOrigin {
  const size = sample.size;
  // Lowest and highest origin so the patch stays inside (or centred when the volume is smaller).
  const low = size.map((s, a) => Math.min(0, Math.floor((s - patch[a]) / 2)));
  const high = size.map((s, a) => Math.max(low[a], s - patch[a]));
  if (foreground && sample.labels) {
    const labels = sample.labels;
    const classes = [...new Set(labels)].filter((c) => c !== 0 && c !== ignore).sort((a, b) => a - b);
    if (classes.length > 0) {
      const c = classes[random.int(classes.length)];
      const voxels: number[] = [];
      for (let i = 0; i < labels.length; i++) if (labels[i] === c) voxels.push(i);
      const v = voxels[random.int(voxels.length)];
      const [, h, w] = size;
      const centre = [Math.floor(v / (h * w)), Math.floor(v / w) % h, v % w];
      const origin = centre.map((x, a) => Math.max(low[a], Math.min(high[a], x - Math.floor(patch[a] / 2))));
      return { origin, centre };
    }
  }
  return { origin: size.map((_, a) => low[a] + random.int(high[a] - low[a] + 1)) };
}

/** The patch's image [d, h, w, C] and labels [d, h, w], padded outside the volume. */
export function cutPatch(sample: Sample, patch: number[], origin: number[], ignore = 255): Sample {
  const [D, H, W] = sample.size;
  const [pd, ph, pw] = patch;
  const c = sample.channels;
  const image = new Uint8Array(pd * ph * pw * c);
  const labels = sample.labels ? new Uint8Array(pd * ph * pw).fill(ignore) : undefined;
  for (let z = 0; z < pd; z++) {
    const sz = origin[0] + z;
    if (sz < 0 || sz >= D) continue;
    for (let y = 0; y < ph; y++) {
      const sy = origin[1] + y;
      if (sy < 0 || sy >= H) continue;
      for (let x = 0; x < pw; x++) {
        const sx = origin[2] + x;
        if (sx < 0 || sx >= W) continue;
        const from = (sz * H + sy) * W + sx;
        const to = (z * ph + y) * pw + x;
        for (let k = 0; k < c; k++) image[to * c + k] = sample.image[from * c + k];
        if (labels) labels[to] = sample.labels![from];
      }
    }
  }
  return { ...sample, image, labels, size: [pd, ph, pw] };
}
