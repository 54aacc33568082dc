#!/usr/bin/python3
"""Reference values of segc's evaluation metrics, in float64 NumPy/SciPy, written to metrics/metrics.json.

Each case holds logits (float32) and labels (uint8, 255 = ignored), 2-D [N, H, W] or 3-D [N, D, H, W], with
the voxel spacing and NSD tolerance, and what every metric gives on them (definitions: docs/metrics.md):
  - confusion[c][k]: valid pixels predicted c (argmax; binary mode: logit > 0) with label k;
  - dice (foreground classes, dataset sums), miou, macc, per-class IoU and Dice, proportion_error;
  - dice_per_image: per image with a valid pixel and per foreground channel, (2 sum(p t) + 1e-10) /
    (sum p + sum t + 1e-10) of the probabilities (sigmoid / softmax) > threshold, mean over (image, channel);
  - hd95 (MedPy's: border = X ^ binary_erosion(X), distances by scipy.ndimage.distance_transform_edt with
    the spacing, numpy's linear 95th percentile; an image with an empty prediction or truth skipped) and
    nsd (border voxels within the tolerance over all border voxels; empty truth skipped, empty prediction 0),
    per (image, foreground class), mean over those scored.
Run: /usr/bin/python3 test/golden/generate_metrics.py (deterministic: the same bytes every run).
"""
import json
import os

import numpy as np
from scipy import ndimage

EPS = 1e-10
IGNORE = 255


def predicted_classes(logits):
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).astype(np.int64)
    return np.argmax(logits, axis=1)


def confusion(pred, labels, classes):
    valid = labels != IGNORE
    m = np.zeros((classes, classes))
    for c in range(classes):
        for k in range(classes):
            m[c, k] = np.sum((pred == c) & (labels == k) & valid)
    return m


def overlap_metrics(m):
    classes = m.shape[0]
    inter = np.diag(m)
    pred = m.sum(axis=1)
    true = m.sum(axis=0)
    dice_all = 2 * inter / (pred + true + EPS)
    iou = inter / (pred + true - inter + EPS)
    acc = inter / (true + EPS)
    foreground = dice_all[1:] if classes > 1 else dice_all
    return {
        "dice": float(np.mean(foreground)),
        "miou": float(np.mean(iou)),
        "macc": float(np.mean(acc)),
        "per_class_iou": iou.tolist(),
        "per_class_dice": dice_all.tolist(),
    }


def proportion_error(pred, labels, classes):
    valid = labels != IGNORE
    axes = tuple(range(1, labels.ndim))
    pixels = valid.sum(axis=axes) + EPS
    total = 0.0
    for c in range(classes):
        p = (((pred == c) & valid).sum(axis=axes) + EPS) / pixels
        t = (((labels == c) & valid).sum(axis=axes) + EPS) / pixels
        total += np.abs(p - t).sum()
    return float(total / (labels.shape[0] * classes))


def dice_per_image(logits, labels, threshold):
    logits = logits.astype(np.float64)
    valid = labels != IGNORE
    if logits.shape[1] == 1:
        prob = 1 / (1 + np.exp(-logits))
        channels = [(0, 1)]
    else:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        prob = e / e.sum(axis=1, keepdims=True)
        channels = [(c, c) for c in range(1, logits.shape[1])]
    margin = float(np.min(np.abs(prob - threshold)))
    values = []
    for n in range(labels.shape[0]):
        if not valid[n].any():
            continue
        for channel, cls in channels:
            p = (prob[n, channel] > threshold) & valid[n]
            t = (labels[n] == cls) & valid[n]
            values.append((2 * np.sum(p & t) + EPS) / (p.sum() + t.sum() + EPS))
    return float(np.mean(values)), margin


def border(mask):
    structure = ndimage.generate_binary_structure(mask.ndim, 1)
    return mask ^ ndimage.binary_erosion(mask, structure=structure, iterations=1)


def border_distances(a, b, spacing):
    """Distances from each border voxel of a to the border of b, and the reverse."""
    ba, bb = border(a), border(b)
    to_b = ndimage.distance_transform_edt(~bb, sampling=spacing)
    to_a = ndimage.distance_transform_edt(~ba, sampling=spacing)
    return to_b[ba], to_a[bb]


def surface_metrics(pred, labels, classes, spacing, tolerances):
    hd = {"sum": [0.0] * classes, "images": [0] * classes}
    nsd = {str(t): {"sum": [0.0] * classes, "images": [0] * classes} for t in tolerances}
    valid = labels != IGNORE
    for n in range(labels.shape[0]):
        for c in range(1, classes):
            a = (pred[n] == c) & valid[n]
            b = labels[n] == c
            if b.any() and a.any():
                ab, ba = border_distances(a, b, spacing)
                hd["sum"][c] += float(np.percentile(np.hstack((ab, ba)), 95))
                hd["images"][c] += 1
            if b.any():
                for t in tolerances:
                    if a.any():
                        ab, ba = border_distances(a, b, spacing)
                        score = (np.sum(ab <= t) + np.sum(ba <= t)) / (len(ab) + len(ba))
                    else:
                        score = 0.0
                    nsd[str(t)]["sum"][c] += float(score)
                    nsd[str(t)]["images"][c] += 1
    mean = lambda s: float(sum(s["sum"]) / sum(s["images"])) if sum(s["images"]) > 0 else None
    return {
        "hd95": mean(hd),
        "hd95_per_class": hd,
        "nsd": {t: mean(v) for t, v in nsd.items()},
        "nsd_per_class": nsd,
    }


def blobs(rng, shape, sigma):
    return ndimage.gaussian_filter(rng.standard_normal(shape), sigma=sigma)


def random_case(name, rng, images, size, classes, channels, spacing, tolerances, ignore_box=True):
    spatial = len(size)
    logits = np.stack(
        [np.stack([blobs(rng, size, 1.5) * 6 for _ in range(channels)]) for _ in range(images)]
    ).astype(np.float32)
    # Labels: the predicted classes of perturbed logits (overlapping, shifted shapes).
    perturbed = logits.astype(np.float64) + np.stack(
        [np.stack([blobs(rng, size, 2.0) * 4 for _ in range(channels)]) for _ in range(images)]
    )
    labels = predicted_classes(perturbed).astype(np.uint8)
    if ignore_box:
        for n in range(images):
            corner = [rng.integers(0, s - 2) for s in size]
            box = tuple(slice(c, c + 2 + rng.integers(0, 3)) for c in corner)
            labels[(n,) + box] = IGNORE
    return make_case(name, logits, labels, classes, spacing, tolerances)


def make_case(name, logits, labels, classes, spacing, tolerances, threshold=0.5):
    pred = predicted_classes(logits)
    m = confusion(pred, labels, classes)
    dpi, margin = dice_per_image(logits, labels, threshold)
    assert margin > 2e-6, f"{name}: a probability is within {margin} of the threshold"
    expected = {
        "confusion": m.tolist(),
        **overlap_metrics(m),
        "proportion_error": proportion_error(pred, labels, classes),
        "dice_per_image": dpi,
        **surface_metrics(pred, labels, classes, spacing, tolerances),
    }
    return {
        "name": name,
        "classes": classes,
        "shape": list(labels.shape),
        "channels": int(logits.shape[1]),
        "spacing": [float(s) for s in spacing],
        "tolerances": [float(t) for t in tolerances],
        "threshold": threshold,
        "logits": [float(v) for v in logits.reshape(-1)],
        "labels": [int(v) for v in labels.reshape(-1)],
        "expected": expected,
    }


def hand_case():
    """Two 6x7 images, 3 classes: a square against a shifted square, a class missing from each side."""
    labels = np.zeros((2, 6, 7), np.uint8)
    pred = np.zeros((2, 6, 7), np.int64)
    labels[0, 1:4, 1:4] = 1
    pred[0, 2:5, 2:5] = 1
    labels[0, 0, 6] = 2  # class 2 in the truth, never predicted: its nsd is 0, its hd95 skipped
    pred[1, 3:6, 0:3] = 2  # class 2 predicted on image 1, absent from its truth: skipped by both
    labels[1, 0:2, 4:7] = 1
    pred[1, 0:2, 5:7] = 1
    labels[1, 5, 6] = IGNORE
    logits = np.zeros((2, 3, 6, 7), np.float32)
    for c in range(3):
        logits[:, c] = np.where(pred == c, 2.0, -1.0)
    return make_case("hand-2d", logits, labels, 3, [1.0, 1.0], [1.0])


def empty_case():
    """Binary mode: an empty prediction, an empty truth, both empty, and an image entirely ignored."""
    labels = np.zeros((4, 5, 6), np.uint8)
    logits = np.full((4, 1, 5, 6), -3.0, np.float32)
    labels[0, 1:3, 1:4] = 1  # truth only: nsd 0, hd95 skipped
    logits[1, 0, 2:4, 2:5] = 3.0  # prediction only: both skipped
    labels[3] = IGNORE  # padding-like: no valid pixel, skipped by dice_per_image
    logits[3, 0, 0:2, 0:2] = 3.0
    return make_case("empty-binary", logits, labels, 2, [2.0, 1.0], [1.0])


def main():
    rng = np.random.default_rng(20261202)
    cases = [
        hand_case(),
        empty_case(),
        random_case("random-2d", rng, 3, (24, 20), 3, 3, [2.0, 1.0], [1.0, 2.5]),
        random_case("random-2d-binary", rng, 2, (17, 23), 2, 1, [0.7, 1.3], [1.0]),
        random_case("random-3d", rng, 2, (6, 11, 9), 2, 1, [2.5, 0.8, 1.2], [1.5]),
        random_case("random-3d-multiclass", rng, 1, (7, 8, 10), 3, 3, [1.0, 1.0, 1.0], [1.0]),
    ]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics", "metrics.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"generator": "test/golden/generate_metrics.py", "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
