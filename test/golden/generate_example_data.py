#!/usr/bin/python3
"""Writes test/fixtures/data/examples/: small datasets in the layouts of the spec examples
retinal_unet_bce-l1_512.seg (Retinal Lesions: images_896x896/<id>.jpg, lesion_segs_896x896/<id>/<class>.png with
grey 127 / 255 lesions, classes.txt, train/val/test.txt) and cityscapes_fpn101_ce-l1.seg (leftImg8bit/ and
gtFine/*_labelTrainIds.png with 255 ignored), at tiny sizes (64x64 fundus images, 64x128 street scenes) for
test/e2e/spec-examples.test.ts, which runs each example for one epoch, and the Cityscapes val labels' pixel
counts per class (and the retinal val lesion pixels at 32x32) to test/golden/data/examples_val.json.

Run with Debian's python (python3-pil, python3-numpy):
    /usr/bin/python3 test/golden/generate_example_data.py
The output is byte-identical on every run.
"""
import json
import os

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "data", "examples")
COUNTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "examples_val.json")
rng = np.random.RandomState(5)
COUNTED = {}
LESIONS = [("microaneurysm", "MA"), ("intraretinal_hemorrhage", "iHE"), ("hard_exudate", "HaEx"),
           ("cotton_wool_spots", "CWS"), ("vitreous_hemorrhage", "vHE"), ("preretinal_hemorrhage", "pHE"),
           ("neovascularization", "NV"), ("fibrous_proliferation", "FiP")]


def disc(h, w, cy, cx, r):
    yy, xx = np.mgrid[0:h, 0:w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def retinal():
    base = os.path.join(ROOT, "retinal_lesions")
    os.makedirs(os.path.join(base, "images_896x896"), exist_ok=True)
    with open(os.path.join(base, "classes.txt"), "w") as f:
        f.writelines(f"{name},{abbrev}\n" for name, abbrev in LESIONS)
    ids = [f"f{i}" for i in range(8)]
    for i, sid in enumerate(ids):
        h = w = 64
        yy, xx = np.mgrid[0:h, 0:w]
        fundus = disc(h, w, 32, 32, 30)
        image = np.zeros((h, w, 3), np.float64)
        image[..., 0] = 150 + 60 * np.cos(xx / 9.0 + i)
        image[..., 1] = 70 + 30 * np.sin(yy / 7.0)
        image[..., 2] = 40 + 10 * i
        masks = {}
        for k in range(2 + i % 2):
            cls = (i + 3 * k) % len(LESIONS)
            spot = disc(h, w, rng.randint(14, 50), rng.randint(14, 50), rng.randint(3, 8)) & fundus
            grey = 255 if k % 2 == 0 else 127
            masks[cls] = np.where(spot, grey, 0).astype(np.uint8)
            image[spot] = [230, 220, 90] if cls % 2 else [120, 20, 20]
        image[~fundus] = 0
        image = np.clip(image + rng.randint(-8, 9, size=image.shape), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(os.path.join(base, "images_896x896", f"{sid}.jpg"), quality=95)
        folder = os.path.join(base, "lesion_segs_896x896", sid)
        os.makedirs(folder, exist_ok=True)
        for cls, mask in sorted(masks.items()):
            Image.fromarray(mask).save(os.path.join(folder, f"{LESIONS[cls][0]}.png"))
    # The val split's lesion pixels after upstream's Resize(32, 32) of the union mask (cv2 INTER_NEAREST).
    lesion = 0
    for sid in ids[4:6]:
        union = np.zeros((64, 64), np.uint8)
        folder = os.path.join(base, "lesion_segs_896x896", sid)
        for name in sorted(os.listdir(folder)):
            union |= np.isin(np.array(Image.open(os.path.join(folder, name))), [127, 255]).astype(np.uint8)
        lesion += int(cv2.resize(union, (32, 32), interpolation=cv2.INTER_NEAREST).sum())
    COUNTED["retinal_val_lesion_pixels_32x32"] = lesion
    # Multilabel (binary = false): each lesion's mask resized alone (nearest), its val pixels per class, and
    # the test split's masks as the flat indices of their lesion pixels per class (test/e2e/retinal-multilabel).
    def planes(sid):
        folder = os.path.join(base, "lesion_segs_896x896", sid)
        stack = np.zeros((len(LESIONS), 32, 32), np.uint8)
        for k, (name, _) in enumerate(LESIONS):
            path = os.path.join(folder, f"{name}.png")
            if os.path.exists(path):
                mask = np.isin(np.array(Image.open(path)), [127, 255]).astype(np.uint8)
                stack[k] = cv2.resize(mask, (32, 32), interpolation=cv2.INTER_NEAREST)
        return stack
    COUNTED["retinal_val_class_pixels_32x32"] = sum(planes(sid).sum(axis=(1, 2)) for sid in ids[4:6]).tolist()
    COUNTED["retinal_test_masks_32x32"] = {
        sid: [np.flatnonzero(plane).tolist() for plane in planes(sid)] for sid in ids[6:]
    }
    for split, names in (("train", ids[:4]), ("val", ids[4:6]), ("test", ids[6:])):
        with open(os.path.join(base, f"{split}.txt"), "w") as f:
            f.writelines(f"{n}\n" for n in names)


def cityscapes():
    base = os.path.join(ROOT, "cityscapes")
    counts = np.zeros(19, np.int64)
    for split, cities in (("train", {"aachen": 2, "bremen": 2}), ("val", {"frankfurt": 2})):
        for city, count in cities.items():
            for j in range(count):
                stem = f"{city}_{j:06d}_000019"
                h, w = 64, 128
                yy, xx = np.mgrid[0:h, 0:w]
                labels = np.full((h, w), 0, np.uint8)  # road
                labels[yy < 28] = 10  # sky
                labels[(yy >= 28) & (yy < 40)] = 2  # building
                labels[(yy >= 40) & (xx < 20 + 8 * j)] = 1  # sidewalk
                car = disc(h, w, 48, 60 + 20 * j, 7)
                labels[car] = 13
                labels[disc(h, w, 36, 100 - 10 * j, 4)] = 11  # person
                labels[(yy >= 60) & (xx >= 120)] = 255  # ego vehicle: ignored
                palette = {0: (128, 64, 128), 1: (244, 35, 232), 2: (70, 70, 70), 10: (70, 130, 180),
                           11: (220, 20, 60), 13: (0, 0, 142), 255: (0, 0, 0)}
                image = np.zeros((h, w, 3), np.float64)
                for value, colour in palette.items():
                    image[labels == value] = colour
                image = np.clip(image + rng.randint(-12, 13, size=image.shape), 0, 255).astype(np.uint8)
                if split == "val":
                    counts += np.bincount(labels[labels != 255], minlength=19)
                for folder, name, array in (("leftImg8bit", "leftImg8bit", image),
                                            ("gtFine", "gtFine_labelTrainIds", labels)):
                    out = os.path.join(base, folder, split, city)
                    os.makedirs(out, exist_ok=True)
                    Image.fromarray(array).save(os.path.join(out, f"{stem}_{name}.png"))
    # The val labels' pixels per class at their native 64x128 (255 left out), for test/runtime/train/eval-size.
    with open(COUNTS, "w") as f:
        json.dump({"generator": "test/golden/generate_example_data.py", "val_pixels": counts.tolist(), **COUNTED}, f)
        f.write("\n")


retinal()
cityscapes()
print(f"-> {ROOT}")
