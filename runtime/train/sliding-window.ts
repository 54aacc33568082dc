// Where the windows of a whole-volume evaluation lie and how they are weighted, as nnU-Net v1
// (network_architecture/neural_network.py): a volume smaller than the patch along an axis is padded to it
// (pad_nd_image: floor of the difference below, the rest above); along each axis the windows start at
// round(i · (size - patch) / (n - 1)), n = ceil((size - patch) / (step · patch)) + 1
// (_compute_steps_for_sliding_window); each window's probabilities are weighted by a Gaussian centred on
// the patch's voxel patch // 2 with sigma = patch / 8 per axis, scaled to a maximum of 1, its zeros (beyond
// scipy's truncation at 4 sigma) replaced by its smallest nonzero value (_get_gaussian). These are the
// integers and constants of the evaluation; the accumulation itself runs on the GPU (volume-inference.ts).

/** Window starts along each axis (nnU-Net's steps), for a (padded) size at least the patch. */
export function windowSteps(patch: number[], size: number[], step = 0.5): number[][] {
  return patch.map((p, a) => {
    const n = Math.ceil((size[a] - p) / (p * step)) + 1;
    const max = size[a] - p;
    const actual = n > 1 ? max / (n - 1) : 0;
    // np.round: halves to even.
    return Array.from({ length: n }, (_, i) => roundHalfEven(actual * i));
  });
}

/** The padded size (at least the patch per axis) and the padding below the volume. */
export function padding(size: number[], patch: number[]): { padded: number[]; below: number[] } {
  const padded = size.map((s, a) => Math.max(s, patch[a]));
  return { padded, below: padded.map((p, a) => Math.floor((p - size[a]) / 2)) };
}

/** Every window's origin in the padded volume, in nnU-Net's loop order (the first axis outermost). */
export function windowOrigins(patch: number[], padded: number[], step = 0.5): number[][] {
  const [a, b, c] = windowSteps(patch, padded, step);
  return a.flatMap((x) => b.flatMap((y) => c.map((z) => [x, y, z])));
}

/**
 * The Gaussian importance map as one factor table per axis (the map is their product): exp(-t² / 2σ²) at
 * offset t from patch // 2, 0 beyond scipy's radius round(4σ); and the value that replaces the map's zeros
 * (the product of each axis's smallest nonzero factor: the map's smallest nonzero value).
 */
export function gaussianFactors(patch: number[], sigmaScale = 1 / 8): { axes: number[][]; floor: number } {
  const axes = patch.map((p) => {
    const sigma = p * sigmaScale;
    const radius = Math.floor(4 * sigma + 0.5);
    const centre = Math.floor(p / 2);
    return Array.from({ length: p }, (_, i) => {
      const t = i - centre;
      return Math.abs(t) > radius ? 0 : Math.exp((-t * t) / (2 * sigma * sigma));
    });
  });
  const floor = axes.reduce((product, f) => product * Math.min(...f.filter((v) => v > 0)), 1);
  return { axes, floor };
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(r - v) === 0.5 ? 2 * Math.round(v / 2) : r;
}
