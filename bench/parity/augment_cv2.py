#!/usr/bin/python3
"""Baseline of bench/data-throughput.ts: a dataset's samples decoded by PIL (as upstream's datasets read
them) and, with `augment`, put through the recipe of std/augment as albumentations 1.1 computes it with
OpenCV and NumPy, then normalised (ImageNet), transposed to [C, H, W] and stacked into batches (ToTensorV2 +
collate); without it, decoded, centred in an H x W frame and stacked as uint8 [B, C, H, W] (what segc's loader
hands the GPU). PROCESSES processes (one per core) each build whole batches; a batch stays in its process (no
transfer to a main process, which DataLoader does through shared memory): an upper bound for Python.
Draws come from (seed, sample index) per sample.
Recipes (stdlib/augment.seg):
  retinal: image + lesion PNGs (grey 127 and 255 count, binary union); hflip 0.5; one_of 0.3 of contrast
    0.2, gamma 80-120, brightness 0.2; one_of 0.3 of elastic (alpha 120, sigma 6, alpha_affine 3.6), grid
    distortion (5 steps, 0.3), optical distortion (2, 0.5); shift_scale_rotate (0.0625, 0.1, 45, p 0.5);
    resize to SIZE.
  cityscapes: image + labelTrainIds PNG; with p 0.3 a bicubic resize to SIZE, else a bicubic random scale
    0.5-1.5 and a random crop of SIZE; hflip 0.5; brightness_contrast (0.3, 0.3, p 0.5);
    hue_saturation_value (20, 30, 20, p 0.5).
Elastic smooths its displacement fields with cv2.GaussianBlur (kernel 49 = scipy's gaussian_filter at truncate
4, BORDER_REFLECT as scipy's 'reflect') instead of scipy (albumentations' approximate = False), once for image
and mask (albumentations computes them twice): faster than albumentations, so again an upper bound.
Usage: /usr/bin/python3 bench/parity/augment_cv2.py RECIPE decode|augment ROUNDS PROCESSES BATCH H W LIST
LIST: a file with one sample per line, its files separated by tabs (image first). Prints images/s."""
import math
import sys
import time
from multiprocessing import Pool

import cv2
import numpy as np
from PIL import Image

cv2.setNumThreads(1)  # one core per process, as segc's worker threads

MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
STD = np.array([0.229, 0.224, 0.225], np.float32) * 255
LESION = np.zeros(256, np.uint8)
LESION[[127, 255]] = 1
REFLECT = cv2.BORDER_REFLECT_101


def decode(recipe, files):
    image = np.array(Image.open(files[0]).convert("RGB"))
    if recipe == "retinal":
        mask = np.zeros(image.shape[:2], np.uint8)
        for f in files[1:]:
            mask |= LESION[np.array(Image.open(f))]
        return image, mask
    return image, np.array(Image.open(files[1]))


def lut(image, table):
    return cv2.LUT(image, np.clip(table, 0, 255).astype(np.uint8))


def brightness_contrast(image, alpha, beta):
    return lut(image, np.arange(256, dtype=np.float32) * alpha + beta * 255)


def gamma(image, g):
    return lut(image, ((np.arange(256.0) / 255.0) ** g) * 255)


def shift_hsv(image, hue, sat, val):
    h, s, v = cv2.split(cv2.cvtColor(image, cv2.COLOR_RGB2HSV))
    r = np.arange(256, dtype=np.int16)
    h = cv2.LUT(h, np.mod(r + hue, 180).astype(np.uint8))
    s = cv2.LUT(s, np.clip(r + sat, 0, 255).astype(np.uint8))
    v = cv2.LUT(v, np.clip(r + val, 0, 255).astype(np.uint8))
    return cv2.cvtColor(cv2.merge((h, s, v)), cv2.COLOR_HSV2RGB)


def remap(image, mask, map_x, map_y):
    return (cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=REFLECT),
            cv2.remap(mask, map_x, map_y, cv2.INTER_NEAREST, borderMode=REFLECT))


def elastic(image, mask, rs, alpha=120.0, sigma=6.0, alpha_affine=3.6):
    # albumentations 1.1 functional.elastic_transform
    h, w = image.shape[:2]
    centre = np.float32((h, w)) // 2
    side = min(h, w) // 3
    pts1 = np.float32([centre + side, [centre[0] + side, centre[1] - side], centre - side])
    pts2 = pts1 + rs.uniform(-alpha_affine, alpha_affine, size=pts1.shape).astype(np.float32)
    m = cv2.getAffineTransform(pts1, pts2)
    image = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=REFLECT)
    mask = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=REFLECT)
    blur = lambda d: cv2.GaussianBlur(d, (49, 49), sigma, borderType=cv2.BORDER_REFLECT) * alpha
    dx = blur((rs.rand(h, w) * 2 - 1).astype(np.float32))
    dy = blur((rs.rand(h, w) * 2 - 1).astype(np.float32))
    x, y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return remap(image, mask, x + dx, y + dy)


def grid_axis(size, num_steps, steps):
    step = size // num_steps
    xx = np.zeros(size, np.float32)
    prev = 0
    for idx in range(num_steps + 1):
        start = int(idx * step)
        end = start + step
        if end > size:
            end, cur = size, size
        else:
            cur = prev + step * steps[idx]
        xx[start:end] = np.linspace(prev, cur, end - start)
        prev = cur
    return xx


def grid_distortion(image, mask, rs, num_steps=5, limit=0.3):
    h, w = image.shape[:2]
    xs = 1 + rs.uniform(-limit, limit, num_steps + 1)
    ys = 1 + rs.uniform(-limit, limit, num_steps + 1)
    map_x, map_y = np.meshgrid(grid_axis(w, num_steps, xs), grid_axis(h, num_steps, ys))
    return remap(image, mask, map_x, map_y)


def optical_distortion(image, mask, rs, limit=2.0, shift=0.5):
    h, w = image.shape[:2]
    k = rs.uniform(-limit, limit)
    dx, dy = round(rs.uniform(-shift, shift)), round(rs.uniform(-shift, shift))
    camera = np.array([[w, 0, w * 0.5 + dx], [0, h, h * 0.5 + dy], [0, 0, 1]], dtype=np.float32)
    distortion = np.array([k, k, 0, 0, 0], dtype=np.float32)
    map_x, map_y = cv2.initUndistortRectifyMap(camera, distortion, None, None, (w, h), cv2.CV_32FC1)
    return remap(image, mask, map_x, map_y)


def shift_scale_rotate(image, mask, rs, shift=0.0625, scale=0.1, rotate=45):
    h, w = image.shape[:2]
    angle, s = rs.uniform(-rotate, rotate), rs.uniform(1 - scale, 1 + scale)
    dx, dy = rs.uniform(-shift, shift), rs.uniform(-shift, shift)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
    m[0, 2] += dx * w
    m[1, 2] += dy * h
    return (cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=REFLECT),
            cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=REFLECT))


def hflip(image, mask, rs):
    return (cv2.flip(image, 1), cv2.flip(mask, 1)) if rs.rand() < 0.5 else (image, mask)


def retinal(image, mask, rs, size):
    image, mask = hflip(image, mask, rs)
    if rs.rand() < 0.3:
        k = rs.randint(3)
        if k == 0:
            image = brightness_contrast(image, 1 + rs.uniform(-0.2, 0.2), 0)
        elif k == 1:
            image = gamma(image, rs.uniform(80, 120) / 100)
        else:
            image = brightness_contrast(image, 1, rs.uniform(-0.2, 0.2))
    if rs.rand() < 0.3:
        image, mask = (elastic, grid_distortion, optical_distortion)[rs.randint(3)](image, mask, rs)
    if rs.rand() < 0.5:
        image, mask = shift_scale_rotate(image, mask, rs)
    h, w = size
    return (cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR),
            cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST))


def cityscapes(image, mask, rs, size):
    h, w = size
    if rs.rand() < 0.3:
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC)
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    else:
        s = rs.uniform(0.5, 1.5)
        sh, sw = (int(d * s + 0.5) for d in image.shape[:2])
        image = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_CUBIC)
        mask = cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_NEAREST)
        y, x = rs.randint(sh - h + 1), rs.randint(sw - w + 1)
        image, mask = image[y:y + h, x:x + w], mask[y:y + h, x:x + w]
    image, mask = hflip(image, mask, rs)
    if rs.rand() < 0.5:
        image = brightness_contrast(image, 1 + rs.uniform(-0.3, 0.3), rs.uniform(-0.3, 0.3))
    if rs.rand() < 0.5:
        image = shift_hsv(image, rs.uniform(-20, 20), rs.uniform(-30, 30), rs.uniform(-20, 20))
    return image, mask


def place(image, mask, size):
    # Centred in an [H, W] frame (padded with 0 / 255, or cropped), as segc's loader assembles batches.
    h, w = image.shape[:2]
    if (h, w) == tuple(size):
        return image, mask
    frame = np.zeros((size[0], size[1], 3), np.uint8)
    labels = np.full(size, 255, np.uint8)
    top, left = (size[0] - h) // 2, (size[1] - w) // 2
    y0, y1, x0, x1 = max(0, top), min(size[0], top + h), max(0, left), min(size[1], left + w)
    frame[y0:y1, x0:x1] = image[y0 - top:y1 - top, x0 - left:x1 - left]
    labels[y0:y1, x0:x1] = mask[y0 - top:y1 - top, x0 - left:x1 - left]
    return frame, labels


def batch(task):
    recipe, mode, size, samples = task
    images, masks = [], []
    for index, files in samples:
        image, mask = decode(recipe, files)
        if mode == "augment":
            rs = np.random.RandomState(index)
            image, mask = (retinal if recipe == "retinal" else cityscapes)(image, mask, rs, size)
            image = ((image.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)
        else:
            image, mask = place(image, mask, size)
            image = image.transpose(2, 0, 1)
        images.append(image)
        masks.append(mask)
    out = np.stack(images), np.stack(masks)
    return out[0].shape[0]


if __name__ == "__main__":
    recipe, mode = sys.argv[1], sys.argv[2]
    rounds, processes, batch_size, h, w = (int(a) for a in sys.argv[3:8])
    with open(sys.argv[8]) as f:
        samples = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    order = list(enumerate(samples * rounds))
    tasks = [(recipe, mode, (h, w), order[i:i + batch_size]) for i in range(0, len(order), batch_size)]
    with Pool(processes) as pool:
        pool.map(batch, tasks[:processes], chunksize=1)  # warm-up: imports, libraries
        start = time.perf_counter()
        images = sum(pool.imap_unordered(batch, tasks, chunksize=1))
        seconds = time.perf_counter() - start
    print(f"{images / seconds:.2f}")
