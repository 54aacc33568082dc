#!/usr/bin/python3
"""3-D references for segc's volume path, independent of segc's code:

- test/fixtures/data/brain3d/: five 12x12x12 NIfTI volumes with 4-class label maps in the layout of the spec
  example brain3d_ce-l1.seg (`*_t1.nii.gz`, `*_seg.nii.gz`), written by nibabel;
- test/golden/volumes/sliding_window.json: nnU-Net v1's sliding-window inference
  (nnunet/network_architecture/neural_network.py: _compute_steps_for_sliding_window, _get_gaussian,
  pad_nd_image, _internal_predict_3D_3Dconv_tiled without mirroring) re-implemented here with NumPy/SciPy,
  run on a fixed "network" whose logits are a closed formula of the window and voxel (logits() below, which
  the TypeScript test computes the same way);
- test/golden/volumes/transforms.json: the 3-D transforms for fixed parameters (np.flip, np.rot90 and the
  byte formulas of intensity_scale and zscore, docs/augment.md).

Run with Debian's python (python3-numpy, python3-scipy, python3-nibabel):
    /usr/bin/python3 test/golden/generate_volumes.py
The output is byte-identical on every run.
"""
import gzip
import json
import os

import nibabel as nib
import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures", "data", "brain3d")
GOLDEN = os.path.join(ROOT, "golden", "volumes")


# ---- nnU-Net v1, as in nnunet/network_architecture/neural_network.py ----------------------------------------


def compute_steps_for_sliding_window(patch_size, image_size, step_size):
    assert [i >= j for i, j in zip(image_size, patch_size)], "image size must be as large or larger than patch_size"
    assert 0 < step_size <= 1, "step_size must be larger than 0 and smaller or equal to 1"
    target_step_sizes_in_voxels = [i * step_size for i in patch_size]
    num_steps = [int(np.ceil((i - k) / j)) + 1 for i, j, k in zip(image_size, target_step_sizes_in_voxels, patch_size)]
    steps = []
    for dim in range(len(patch_size)):
        max_step_value = image_size[dim] - patch_size[dim]
        if num_steps[dim] > 1:
            actual_step_size = max_step_value / (num_steps[dim] - 1)
        else:
            actual_step_size = 99999999999
        steps_here = [int(np.round(actual_step_size * i)) for i in range(num_steps[dim])]
        steps.append(steps_here)
    return steps


def get_gaussian(patch_size, sigma_scale=1.0 / 8):
    tmp = np.zeros(patch_size)
    center_coords = [i // 2 for i in patch_size]
    sigmas = [i * sigma_scale for i in patch_size]
    tmp[tuple(center_coords)] = 1
    gaussian_importance_map = gaussian_filter(tmp, sigmas, 0, mode="constant", cval=0)
    gaussian_importance_map = gaussian_importance_map / np.max(gaussian_importance_map) * 1
    gaussian_importance_map = gaussian_importance_map.astype(np.float32)
    gaussian_importance_map[gaussian_importance_map == 0] = np.min(
        gaussian_importance_map[gaussian_importance_map != 0]
    )
    return gaussian_importance_map


def pad_nd_image(image, new_shape):
    """batchgenerators' pad_nd_image with mode constant 0, as nnU-Net calls it (returns the slicer too)."""
    old_shape = np.array(image.shape[-len(new_shape) :])
    new_shape = np.max(np.vstack((np.array(new_shape), old_shape)), axis=0)
    difference = new_shape - old_shape
    pad_below = difference // 2
    pad_above = difference // 2 + difference % 2
    pad_list = [[0, 0]] * (len(image.shape) - len(new_shape)) + [list(i) for i in zip(pad_below, pad_above)]
    res = np.pad(image, pad_list, "constant", constant_values=0)
    slicer = [slice(None)] * (len(image.shape) - len(new_shape)) + [
        slice(int(b), int(b) + int(s)) for b, s in zip(pad_below, old_shape)
    ]
    return res, tuple(slicer)


def logits(k, classes, origin, patch):
    """The fixed network: logits of window k (in nnU-Net's loop order) at its voxels, from the voxel's place
    in the padded volume; f32 as a network gives them."""
    c, z, y, x = np.meshgrid(
        np.arange(classes), *[np.arange(o, o + p) for o, p in zip(origin, patch)], indexing="ij"
    )
    value = 3 * np.sin(0.37 * (z + 1) * (c + 1) + 0.11 * y - 0.23 * x * (c + 1) + 0.5 * k + 0.1 * c)
    return value.astype(np.float32)


def sliding_window(size, patch, outputs, step=0.5, mirror=False):
    """_internal_predict_3D_3Dconv_tiled (v1), use_gaussian, no mirroring: softmax of each window times the
    Gaussian, summed in float32, divided by the summed Gaussian, argmax over classes. `outputs`: the network's
    channels (1: binary, two classes accumulated)."""
    classes = max(2, outputs)
    data, slicer = pad_nd_image(np.zeros([1] + list(size), np.float32), patch)
    padded = data.shape[1:]
    steps = compute_steps_for_sliding_window(patch, padded, step)
    gaussian = get_gaussian(patch, 1.0 / 8)
    aggregated = np.zeros([classes] + list(padded), dtype=np.float32)
    counts = np.zeros([classes] + list(padded), dtype=np.float32)
    k = 0
    windows = []
    for x in steps[0]:
        for y in steps[1]:
            for z in steps[2]:
                origin = [x, y, z]
                windows.append(origin)
                # _internal_maybe_mirror_and_pred_3D: the mean over the mirrorings m (flipping the axes of
                # the bits D 4, H 2, W 1, in nnU-Net's order 0..7) of the flipped-back softmax, in float32,
                # times the Gaussian. The "network" sees window k mirrored by m and gives logits(k + m / 8).
                mirrors = range(8) if mirror else [0]
                result = np.zeros([classes] + list(patch), np.float32)
                for m in mirrors:
                    l = logits(k + m / 8, outputs, origin, patch).astype(np.float64)
                    if outputs == 1:
                        # binary mode: the sigmoid of the one channel and its complement (segc's convention)
                        q = 1 / (1 + np.exp(-l[0]))
                        softmax = np.stack([1 - q, q]).astype(np.float32)
                    else:
                        e = np.exp(l - l.max(0, keepdims=True))
                        softmax = (e / e.sum(0, keepdims=True)).astype(np.float32)
                    axes = tuple(1 + a for a in range(3) if m & (4 >> a))
                    flipped = np.flip(softmax, axes) if axes else softmax
                    result += np.float32(1 / len(mirrors)) * flipped
                sl = (slice(None), slice(x, x + patch[0]), slice(y, y + patch[1]), slice(z, z + patch[2]))
                aggregated[sl] += result * gaussian
                counts[sl] += gaussian
                k += 1
    cropped = (slice(None),) + slicer[1:]
    probabilities = (aggregated / counts)[cropped]
    return {
        "size": list(size),
        "patch": list(patch),
        "classes": classes,
        "outputs": outputs,
        "mirror": mirror,
        "padded": [int(v) for v in padded],
        "pad_below": [int(s.start) for s in slicer[1:]],
        "steps": [[int(v) for v in s] for s in steps],
        "windows": [[int(v) for v in w] for w in windows],
        "gaussian": [float(v) for v in gaussian.reshape(-1)],
        "probabilities": [float(v) for v in probabilities.reshape(-1)],
        "argmax": [int(v) for v in probabilities.argmax(0).reshape(-1)],
    }


# ---- the 3-D transforms ---------------------------------------------------------------------------------------


def transforms():
    rng = np.random.RandomState(7)
    # a batch [B, C, D, H, W] = [2, 2, 3, 5, 5] of bytes and its labels [B, D, H, W]
    image = rng.randint(0, 256, size=(2, 2, 3, 5, 5)).astype(np.uint8)
    labels = rng.randint(0, 4, size=(2, 3, 5, 5)).astype(np.uint8)
    labels[1, 0, 0, :] = 255  # ignored voxels (padding)
    cases = []
    # flip: per sample, which of D, H, W are flipped
    flips = [[1, 0, 1], [0, 1, 1]]
    out_i = np.stack([np.flip(image[b], axis=tuple(1 + a for a in range(3) if flips[b][a])) for b in range(2)])
    out_l = np.stack([np.flip(labels[b], axis=tuple(a for a in range(3) if flips[b][a])) for b in range(2)])
    cases.append({"name": "flip", "params": flips, "image": out_i, "labels": out_l})
    # rot90 in the (H, W) plane by k = 1 and 3 (np.rot90, counterclockwise), and in (D, W)... D = 3 is not
    # square with W = 5, so the (H, W) plane only here
    ks = [1, 3]
    out_i = np.stack([np.rot90(image[b], ks[b], axes=(2, 3)) for b in range(2)])
    out_l = np.stack([np.rot90(labels[b], ks[b], axes=(1, 2)) for b in range(2)])
    cases.append({"name": "rot90", "axes": ["H", "W"], "params": ks, "image": out_i, "labels": out_l})
    # intensity_scale: x' = clip(floor(127.5 + s (x - 127.5) + 0.5), 0, 255)
    scales = [0.9, 1.07]
    exact = np.stack([127.5 + scales[b] * (image[b].astype(np.float64) - 127.5) for b in range(2)])
    # padding voxels (label 255) keep their bytes
    padding = np.broadcast_to((labels == 255)[:, None], image.shape)
    exact[padding] = image[padding]
    out_i = np.clip(np.floor(exact + 0.5), 0, 255).astype(np.uint8)
    cases.append({"name": "intensity_scale", "params": scales, "image": out_i, "labels": labels, "exact": exact})
    # zscore: per sample and channel over the voxels whose label is not 255 (which keep their bytes), population std,
    # x' = clip(floor(127.5 + 31.875 (x - mean) / std + 0.5), 0, 255)
    out_i = np.zeros_like(image)
    exact = np.zeros(image.shape)
    for b in range(2):
        valid = labels[b] != 255
        for c in range(2):
            v = image[b, c].astype(np.float64)
            mean, std = v[valid].mean(), v[valid].std()
            std = std if std > 0 else 1.0
            exact[b, c] = np.where(valid, 127.5 + 31.875 * (v - mean) / std, v)
            out_i[b, c] = np.clip(np.floor(exact[b, c] + 0.5), 0, 255)
    cases.append({"name": "zscore", "params": [], "image": out_i, "labels": labels, "exact": exact})
    as_list = lambda a: [int(v) for v in np.asarray(a).reshape(-1)]
    return {
        "shape": list(image.shape),
        "image": as_list(image),
        "labels": as_list(labels),
        "cases": [
            {
                **c,
                "image": as_list(c["image"]),
                "labels": as_list(c["labels"]),
                **({"exact": [float(v) for v in c["exact"].reshape(-1)]} if "exact" in c else {}),
            }
            for c in cases
        ],
    }


# ---- the brain3d fixture --------------------------------------------------------------------------------------


def save_nifti(img, p):
    raw = p[:-3]
    nib.save(img, raw)
    data = open(raw, "rb").read()
    os.remove(raw)
    with open(p, "wb") as f:
        f.write(gzip.compress(data, mtime=0))


def brain3d():
    os.makedirs(FIXTURES, exist_ok=True)
    rng = np.random.RandomState(3)
    n = 12
    grid = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"))
    for k in range(5):
        # segc's [D, H, W] = nibabel's (z, y, x): built in (x, y, z) order
        centre = rng.uniform(4, 8, size=3)
        r = np.sqrt(((grid - centre[:, None, None, None]) ** 2).sum(0))
        seg = np.zeros((n, n, n), np.uint8)
        seg[r < 5] = 1
        seg[r < 3.5] = 2
        seg[r < 2] = 3
        vol = (100 + 60 * seg + rng.randn(n, n, n) * 10).astype(np.int16)
        affine = np.diag([0.9, 1.0, 1.2, 1.0])
        img = nib.Nifti1Image(vol, affine)
        img.header.set_xyzt_units("mm")
        save_nifti(img, os.path.join(FIXTURES, f"case{k}_t1.nii.gz"))
        save_nifti(nib.Nifti1Image(seg, affine), os.path.join(FIXTURES, f"case{k}_seg.nii.gz"))


if __name__ == "__main__":
    os.makedirs(GOLDEN, exist_ok=True)
    brain3d()
    windows = [
        sliding_window([12, 10, 9], [8, 8, 8], 3),  # several windows per axis, overlapping
        sliding_window([5, 12, 7], [8, 6, 8], 2),  # smaller than the patch along D and W: padded
        sliding_window([12, 12, 12], [8, 8, 8], 4),  # the brain3d test's geometry
        sliding_window([9, 7, 10], [6, 6, 6], 1),  # binary mode (one output channel)
        sliding_window([10, 5, 9], [6, 6, 6], 3, mirror=True),  # mirroring, padded along H
    ]
    with open(os.path.join(GOLDEN, "sliding_window.json"), "w") as f:
        json.dump({"cases": windows}, f)
    with open(os.path.join(GOLDEN, "transforms.json"), "w") as f:
        json.dump(transforms(), f)
