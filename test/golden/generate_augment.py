#!/usr/bin/python3
"""Writes test/golden/augment/transforms.json: the outputs of each augmentation transform for fixed
parameters on small images, as albumentations 1.1 computes them (UPSTREAM.md section 4): cv2.flip, np.rot90,
cv2.resize (also for LongestMaxSize), cv2.copyMakeBorder, cv2.warpAffine with BORDER_REFLECT_101 (image INTER_LINEAR, mask
INTER_NEAREST, the matrix of albumentations' shift_scale_rotate), and the uint8 lookup tables of
RandomBrightnessContrast, RandomGamma and HueSaturationValue (cv2.cvtColor) written out in numpy (albumentations itself is not installed).
test/runtime/augment/transforms.test.ts runs each case through segc's WGSL kernels.

Run with Debian's python (python3-opencv, python3-numpy):
    /usr/bin/python3 test/golden/generate_augment.py
The output is byte-identical on every run.
"""
import json
import math
import os

import cv2
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "augment", "transforms.json")
rng = np.random.RandomState(12)


def sample(h, w, c=3, classes=5):
    # Smooth gradients plus noise, so bilinear sampling is exercised away from constant regions.
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.stack([(xx * 255 / max(w - 1, 1) * (k + 1) / c + yy * 7 * k) % 256 for k in range(c)], -1)
    image = np.clip(image + rng.randint(-20, 21, size=image.shape), 0, 255).astype(np.uint8)
    labels = rng.randint(0, classes, size=(h, w)).astype(np.uint8)
    return image, labels


def planar(image):
    return image.transpose(2, 0, 1).reshape(-1).tolist()


def ssr_matrix(angle, scale, dx, dy, h, w):
    # albumentations 1.1 functional.shift_scale_rotate
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[0, 2] += dx * w
    matrix[1, 2] += dy * h
    return matrix


def brightness_contrast(image, alpha, beta):
    # albumentations _brightness_contrast_adjust_uint, beta_by_max = True
    lut = np.arange(0, 256).astype("float32")
    if alpha != 1:
        lut *= alpha
    if beta != 0:
        lut += beta * 255
    lut = np.clip(lut, 0, 255).astype(np.uint8)
    return cv2.LUT(image, lut)


def gamma(image, g):
    # albumentations functional.gamma_transform (uint8)
    table = ((np.arange(0, 256.0) / 255.0) ** g) * 255
    return cv2.LUT(image, table.astype(np.uint8))


def shift_hsv(image, hue_shift, sat_shift, val_shift):
    # albumentations 1.1 functional._shift_hsv_uint8
    hue, sat, val = cv2.split(cv2.cvtColor(image, cv2.COLOR_RGB2HSV))
    lut = np.arange(0, 256, dtype=np.int16)
    hue = cv2.LUT(hue, np.mod(lut + hue_shift, 180).astype(np.uint8))
    sat = cv2.LUT(sat, np.clip(lut + sat_shift, 0, 255).astype(np.uint8))
    val = cv2.LUT(val, np.clip(lut + val_shift, 0, 255).astype(np.uint8))
    return cv2.cvtColor(cv2.merge((hue, sat, val)).astype(np.uint8), cv2.COLOR_HSV2RGB)


cases = []


def case(name, transform, params, image, labels, out_image, out_labels):
    h, w = image.shape[:2]
    oh, ow = out_image.shape[:2]
    cases.append(
        {
            "name": name,
            "transform": transform,
            "params": params,
            "input": {"channels": image.shape[2], "height": h, "width": w, "image": planar(image),
                      "labels": labels.reshape(-1).tolist()},
            "output": {"height": oh, "width": ow, "image": planar(out_image),
                       "labels": out_labels.reshape(-1).tolist()},
        }
    )


image, labels = sample(13, 17)
square, square_labels = sample(12, 12)

case("hflip", "hflip", {}, image, labels, cv2.flip(image, 1), cv2.flip(labels, 1))
case("vflip", "vflip", {}, image, labels, cv2.flip(image, 0), cv2.flip(labels, 0))
for k in (1, 2, 3):
    case(f"rot90 k={k}", "rot90", {"k": k}, square, square_labels,
         np.ascontiguousarray(np.rot90(square, k)), np.ascontiguousarray(np.rot90(square_labels, k)))
for (ch, cw, y, x) in ((8, 10, 3, 5), (13, 17, 0, 0), (5, 4, 8, 13)):
    case(f"random_crop {ch}x{cw} at {y},{x}", "random_crop", {"size": [ch, cw], "y": y, "x": x}, image, labels,
         image[y:y + ch, x:x + cw], labels[y:y + ch, x:x + cw])
for (oh, ow) in ((20, 11), (7, 9), (26, 34)):
    for mode, flag in (("linear", cv2.INTER_LINEAR), ("nearest", cv2.INTER_NEAREST), ("cubic", cv2.INTER_CUBIC)):
        case(f"resize {oh}x{ow} {mode}", "resize", {"size": [oh, ow], "mode": mode}, image, labels,
             cv2.resize(image, (ow, oh), interpolation=flag),
             cv2.resize(labels, (ow, oh), interpolation=cv2.INTER_NEAREST))
for longest in (24, 10, 17):
    # albumentations LongestMaxSize: scale = max_size / max(h, w), sides py3round(side * scale), cv2.resize
    scale = longest / float(max(13, 17))
    oh, ow = (round(d * scale) for d in (13, 17))
    case(f"longest_max_size {longest}", "longest_max_size", {"size": longest, "mode": "linear"}, image, labels,
         cv2.resize(image, (ow, oh), interpolation=cv2.INTER_LINEAR),
         cv2.resize(labels, (ow, oh), interpolation=cv2.INTER_NEAREST))
for (mh, mw) in ((16, 21), (13, 24), (20, 17)):
    # albumentations PadIfNeeded, position center, constant border: image 0, mask 255
    top = int((mh - 13) / 2.0)
    left = int((mw - 17) / 2.0)
    case(f"pad_if_needed {mh}x{mw}", "pad_if_needed", {"size": [mh, mw], "image": 0, "mask": 255}, image, labels,
         cv2.copyMakeBorder(image, top, mh - 13 - top, left, mw - 17 - left, cv2.BORDER_CONSTANT, value=0),
         cv2.copyMakeBorder(labels, top, mh - 13 - top, left, mw - 17 - left, cv2.BORDER_CONSTANT, value=255))
for (angle, scale, dx, dy) in ((30, 1.1, 0.05, -0.03), (-45, 0.9, -0.0625, 0.0625), (12.5, 1.0, 0, 0),
                               (90, 1.05, 0.02, 0.01)):
    m = ssr_matrix(angle, scale, dx, dy, 13, 17)
    case(f"shift_scale_rotate {angle} {scale} {dx} {dy}", "shift_scale_rotate",
         {"angle": angle, "scale": scale, "dx": dx, "dy": dy}, image, labels,
         cv2.warpAffine(image, m, (17, 13), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101),
         cv2.warpAffine(labels, m, (17, 13), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101))
for (alpha, beta) in ((1.2, -0.1), (0.8, 0.15), (1.3, 0.3), (0.7, -0.25)):
    case(f"brightness_contrast {alpha} {beta}", "brightness_contrast", {"alpha": alpha, "beta": beta}, image,
         labels, brightness_contrast(image, alpha, beta), labels)
for g in (0.8, 1.2, 0.93):
    case(f"gamma {g}", "gamma", {"gamma": g}, image, labels, gamma(image, g), labels)

for (hs, ss, vs) in ((12.7, -20.3, 15.1), (-18.2, 25.6, -9.4), (0.0, 0.0, 0.0), (5.5, 0.0, 0.0)):
    case(f"hue_saturation_value {hs} {ss} {vs}", "hue_saturation_value", {"hue": hs, "sat": ss, "val": vs},
         image, labels, shift_hsv(image, hs, ss, vs), labels)

def optical_distortion(img, k, dx, dy, interpolation):
    # albumentations 1.1 functional.optical_distortion (BORDER_REFLECT_101)
    height, width = img.shape[:2]
    camera_matrix = np.array([[width, 0, width * 0.5 + dx], [0, height, height * 0.5 + dy], [0, 0, 1]],
                             dtype=np.float32)
    distortion = np.array([k, k, 0, 0, 0], dtype=np.float32)
    map1, map2 = cv2.initUndistortRectifyMap(camera_matrix, distortion, None, None, (width, height),
                                             cv2.CV_32FC1)
    return cv2.remap(img, map1, map2, interpolation=interpolation, borderMode=cv2.BORDER_REFLECT_101)


for (k, dx, dy) in ((0.5, 1, -2), (-0.8, 0, 3), (1.5, -1, 0), (-0.3, 2, 1)):
    case(f"optical_distortion {k} {dx} {dy}", "optical_distortion", {"k": k, "dx": dx, "dy": dy}, image, labels,
         optical_distortion(image, k, dx, dy, cv2.INTER_LINEAR), optical_distortion(labels, k, dx, dy,
                                                                                    cv2.INTER_NEAREST))

def grid_axis(size, num_steps, steps):
    # albumentations 1.1 functional.grid_distortion, one axis
    step = size // num_steps
    xx = np.zeros(size, np.float32)
    prev = 0
    for idx in range(num_steps + 1):
        start = int(idx * step)
        end = start + step
        if end > size:
            end = size
            cur = size
        else:
            cur = prev + step * steps[idx]
        xx[start:end] = np.linspace(prev, cur, end - start)
        prev = cur
    return xx


def grid_distortion(img, num_steps, xsteps, ysteps, interpolation):
    height, width = img.shape[:2]
    map_x, map_y = np.meshgrid(grid_axis(width, num_steps, xsteps), grid_axis(height, num_steps, ysteps))
    return cv2.remap(img, map_x.astype(np.float32), map_y.astype(np.float32), interpolation=interpolation,
                     borderMode=cv2.BORDER_REFLECT_101)


for (num_steps, seed) in ((5, 1), (3, 2), (4, 3)):
    r = np.random.RandomState(seed)
    xsteps = [float(1 + v) for v in r.uniform(-0.3, 0.3, num_steps + 1)]
    ysteps = [float(1 + v) for v in r.uniform(-0.3, 0.3, num_steps + 1)]
    case(f"grid_distortion {num_steps} steps ({seed})", "grid_distortion",
         {"steps": num_steps, "xsteps": xsteps, "ysteps": ysteps}, image, labels,
         grid_distortion(image, num_steps, xsteps, ysteps, cv2.INTER_LINEAR),
         grid_distortion(labels, num_steps, xsteps, ysteps, cv2.INTER_NEAREST))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"generator": "test/golden/generate_augment.py", "opencv": cv2.__version__, "cases": cases}, f,
              separators=(",", ":"))
    f.write("\n")
print(f"{len(cases)} cases -> {OUT}")
