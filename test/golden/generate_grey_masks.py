#!/usr/bin/python3
"""Writes test/fixtures/data/grey_masks/: grey label PNGs that segc decodes through sharp (8-bit grey) or
fast-png (16-bit, or what sharp reads as more than one channel), and test/golden/data/grey_masks.json: the
values PIL's Image.open gives for each (the stored values: PIL applies no ICC profile and no tRNS to them).
test/runtime/data/grey-masks.test.ts checks runtime/data/decode/label.ts against them.

Run with Debian's python (python3-pil, python3-numpy):
    /usr/bin/python3 test/golden/generate_grey_masks.py
The output is byte-identical on every run.
"""
import hashlib
import json
import os

import numpy as np
from PIL import Image, ImageCms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "data", "grey_masks")
GOLDEN = os.path.join(ROOT, "golden", "data", "grey_masks.json")
rng = np.random.RandomState(5)
os.makedirs(OUT, exist_ok=True)

labels = rng.randint(0, 19, (23, 37)).astype(np.uint8)
labels[3:9, 5:20] = 255
wide = (rng.randint(0, 4000, (11, 13)) * 16).astype(np.uint16)
srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
srgb = srgb[:24] + bytes([7, 234, 0, 12, 0, 2, 0, 0, 0, 0, 0, 0]) + srgb[36:]  # a fixed creation date
files = {
    # 8-bit grey: sharp
    "plain.png": lambda p: Image.fromarray(labels, "L").save(p),
    # an embedded (RGB) ICC profile: ignored, as PIL ignores it
    "icc.png": lambda p: Image.fromarray(labels, "L").save(p, icc_profile=srgb),
    # tRNS: sharp would add an alpha channel, so fast-png decodes it
    "transparent.png": lambda p: Image.fromarray(labels, "L").save(p, transparency=255),
    # 16-bit grey: fast-png
    "wide.png": lambda p: Image.fromarray(wide, "I;16").save(p),
}
golden = {}
for name, write in files.items():
    path = os.path.join(OUT, name)
    write(path)
    array = np.array(Image.open(path))
    if array.dtype == np.int32:  # PIL reads 16-bit grey as mode I
        assert array.min() >= 0 and array.max() < 65536
        array = array.astype(np.uint16)
    golden[name] = {
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "sum": int(array.astype(np.int64).sum()),
        "sha256": hashlib.sha256(array.astype(array.dtype.newbyteorder("<")).tobytes()).hexdigest(),
    }
with open(GOLDEN, "w") as f:
    json.dump(golden, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(golden)} masks -> {OUT}, {GOLDEN}")
