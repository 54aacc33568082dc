#!/usr/bin/python3
"""Writes test/golden/augment/resample.json: references for random_scale (+ random_crop), one_or_other's
resampling stage and elastic, as albumentations 1.1 computes them (UPSTREAM.md section 4; albumentations itself
is not installed, its functions are written out):

- random_scale: cv2.resize to (int(w * s), int(h * s)) (image linear / cubic / nearest, mask nearest), then
  the crop [y:y + ch, x:x + cw] of RandomCrop.
- elastic (ElasticTransform, approximate=False): cv2.warpAffine by cv2.getAffineTransform(pts1, pts2) with
  BORDER_REFLECT_101, then cv2.remap by (x + dx, y + dy), dx and dy = scipy.ndimage.gaussian_filter(rand * 2 - 1,
  sigma) * alpha. Here `rand` is segc's counter hash of the sample key (fmix32 as in
  runtime/data/augment-params.ts, 24 bits), reproduced below in numpy, so the GPU draws the same field:
  * 'field' cases: the key, sigma and alpha, and the smoothed field scipy computes from that noise;
  * 'remap' cases: a given float32 field and cv2.remap's output for it (image linear, mask nearest);
  * 'affine' cases: the three moved points and cv2.warpAffine's output;
  * 'elastic' cases: the whole transform (affine, then the smoothed field of the key, then the remap).

Run with Debian's python (python3-opencv, python3-numpy, python3-scipy):
    /usr/bin/python3 test/golden/generate_augment_resample.py
The output is byte-identical on every run.
"""
import json
import os

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "augment", "resample.json")
rng = np.random.RandomState(31)
M32 = 0xFFFFFFFF


def sample(h, w, c=3, classes=5):
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.stack([(xx * 255 / max(w - 1, 1) * (k + 1) / c + yy * 9 * k) % 256 for k in range(c)], -1)
    image = np.clip(image + rng.randint(-20, 21, size=image.shape), 0, 255).astype(np.uint8)
    labels = rng.randint(0, classes, size=(h, w)).astype(np.uint8)
    return image, labels


def planar(image):
    return image.transpose(2, 0, 1).reshape(-1).tolist()


def fmix(h):
    h = h.astype(np.uint64)
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & M32
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & M32
    return (h ^ (h >> 16)) & M32


def noise(key, h, w):
    # Element k of the [2, H, W] field: fmix(key + k * 0x27d4eb2d + 0x165667b1), top 24 bits, in [-1, 1).
    k = np.arange(2 * h * w, dtype=np.uint64)
    v = fmix((np.uint64(key) + k * np.uint64(0x27D4EB2D) + np.uint64(0x165667B1)) & np.uint64(M32))
    return ((v >> np.uint64(8)).astype(np.float64) / 2.0**24 * 2 - 1).reshape(2, h, w)


def smoothed(key, h, w, sigma, alpha):
    n = noise(key, h, w)
    return [np.float32(gaussian_filter(n[i], sigma) * alpha) for i in range(2)]


def remap(img, dx, dy, interpolation):
    h, w = img.shape[:2]
    x, y = np.meshgrid(np.arange(w), np.arange(h))
    return cv2.remap(img, np.float32(x + dx), np.float32(y + dy), interpolation=interpolation,
                     borderMode=cv2.BORDER_REFLECT_101)


def affine_points(h, w, moves):
    centre = np.float32((h, w)) // 2
    size = min((h, w)) // 3
    pts1 = np.float32([centre + size, [centre[0] + size, centre[1] - size], centre - size])
    pts2 = pts1 + np.float32(moves).reshape(3, 2)
    return pts1, pts2


def affine(img, pts1, pts2, interpolation):
    h, w = img.shape[:2]
    m = cv2.getAffineTransform(pts1, pts2)
    return cv2.warpAffine(img, m, (w, h), flags=interpolation, borderMode=cv2.BORDER_REFLECT_101)


cases = []


def case(kind, name, params, image, labels, out_image=None, out_labels=None, extra=None):
    entry = {"kind": kind, "name": name, "params": params,
             "input": {"channels": image.shape[2], "height": image.shape[0], "width": image.shape[1],
                       "image": planar(image), "labels": labels.reshape(-1).tolist()}}
    if out_image is not None:
        entry["output"] = {"height": out_image.shape[0], "width": out_image.shape[1], "image": planar(out_image),
                           "labels": out_labels.reshape(-1).tolist()}
    if extra:
        entry.update(extra)
    cases.append(entry)


image, labels = sample(14, 18)
modes = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "nearest": cv2.INTER_NEAREST}
for (scale, crop, u) in ((1.37, (9, 11), (0.3, 0.8)), (0.7, (8, 12), (0.95, 0.1)), (1.0, (14, 18), (0.5, 0.5)),
                         (0.55, (5, 7), (0.0, 1.0)), (2.31, (14, 18), (0.42, 0.77))):
    nh, nw = int(14 * scale), int(18 * scale)
    y, x = int((nh - crop[0]) * u[0]), int((nw - crop[1]) * u[1])
    for mode, flag in modes.items():
        scaled = cv2.resize(image, (nw, nh), interpolation=flag)
        scaled_labels = cv2.resize(labels, (nw, nh), interpolation=cv2.INTER_NEAREST)
        case("random_scale", f"random_scale {scale} crop {crop[0]}x{crop[1]} {mode}",
             {"scale": scale, "crop": list(crop), "y": y, "x": x, "mode": mode, "rescaled": [nh, nw]}, image,
             labels, scaled[y:y + crop[0], x:x + crop[1]], scaled_labels[y:y + crop[0], x:x + crop[1]])

for (h, w, key, sigma, alpha) in ((14, 18, 0x9E3779B9, 2.0, 30.0), (9, 7, 12345, 6.0, 120.0),
                                  (16, 16, 0xDEADBEEF, 1.3, 4.0)):
    dx, dy = smoothed(key, h, w, sigma, alpha)
    cases.append({"kind": "field", "name": f"field {h}x{w} sigma {sigma} alpha {alpha}",
                  "params": {"key": key, "sigma": sigma, "alpha": alpha, "height": h, "width": w},
                  "dx": dx.reshape(-1).astype(float).tolist(), "dy": dy.reshape(-1).astype(float).tolist()})

for (amplitude, seed) in ((1.5, 1), (4.0, 2), (9.0, 3)):
    r = np.random.RandomState(seed)
    dx = np.float32(gaussian_filter(r.uniform(-1, 1, (14, 18)), 2.0) * amplitude * 4)
    dy = np.float32(gaussian_filter(r.uniform(-1, 1, (14, 18)), 2.0) * amplitude * 4)
    case("remap", f"remap amplitude {amplitude}", {}, image, labels, remap(image, dx, dy, cv2.INTER_LINEAR),
         remap(labels, dx, dy, cv2.INTER_NEAREST),
         {"dx": dx.reshape(-1).astype(float).tolist(), "dy": dy.reshape(-1).astype(float).tolist()})

for moves in ((1.2, -0.7, 0.3, 2.1, -1.9, 0.4), (3.6, 3.6, -3.6, 0.0, 2.5, -3.0)):
    pts1, pts2 = affine_points(14, 18, moves)
    case("affine", f"elastic affine {moves}", {"from": pts1.tolist(), "to": pts2.tolist()}, image, labels,
         affine(image, pts1, pts2, cv2.INTER_LINEAR), affine(labels, pts1, pts2, cv2.INTER_NEAREST))

for (key, sigma, alpha, moves) in ((0x1234ABCD, 3.0, 20.0, (0.8, -1.1, 1.7, 0.2, -0.5, 1.3)),
                                   (777, 6.0, 120.0, (3.0, -2.0, 1.0, 3.5, -3.6, 0.1))):
    pts1, pts2 = affine_points(14, 18, moves)
    dx, dy = smoothed(key, 14, 18, sigma, alpha)
    warped = affine(image, pts1, pts2, cv2.INTER_LINEAR)
    warped_labels = affine(labels, pts1, pts2, cv2.INTER_NEAREST)
    case("elastic", f"elastic sigma {sigma} alpha {alpha}",
         {"key": key, "sigma": sigma, "alpha": alpha, "from": pts1.tolist(), "to": pts2.tolist()}, image, labels,
         remap(warped, dx, dy, cv2.INTER_LINEAR), remap(warped_labels, dx, dy, cv2.INTER_NEAREST))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"generator": "test/golden/generate_augment_resample.py", "opencv": cv2.__version__, "cases": cases},
              f, separators=(",", ":"))
    f.write("\n")
print(f"{len(cases)} cases -> {OUT}")
