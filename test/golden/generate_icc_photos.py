#!/usr/bin/python3
"""Writes test/fixtures/data/icc_photos/: photos with an embedded Adobe RGB (1998) compatible ICC profile, and
test/golden/data/icc_photos.json: the values PIL's convert('RGB') gives for each (the stored values: PIL, like
OpenCV's imread and upstream's loaders, applies no ICC profile), and those an sRGB conversion through the
profile gives, which must differ (else the fixture could not tell the two apart).
test/runtime/data/icc-photos.test.ts checks runtime/data/decode/image.ts against them.

Run with Debian's python (python3-pil, python3-numpy) and icc-profiles-free:
    apt-get install -y icc-profiles-free && /usr/bin/python3 test/golden/generate_icc_photos.py
The output is byte-identical on every run.
"""
import hashlib
import json
import os

import numpy as np
from PIL import Image, ImageCms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "data", "icc_photos")
GOLDEN = os.path.join(ROOT, "golden", "data", "icc_photos.json")
PROFILE = "/usr/share/color/icc/compatibleWithAdobeRGB1998.icc"
rng = np.random.RandomState(11)
os.makedirs(OUT, exist_ok=True)

with open(PROFILE, "rb") as f:
    adobe = f.read()
y, x = np.mgrid[0:19, 0:29]
photo = np.stack([x * 8, y * 12, (x + y) * 5], axis=-1).astype(np.int64) + rng.randint(0, 20, (19, 29, 3))
photo = np.clip(photo, 0, 255).astype(np.uint8)
files = {
    "adobe.jpg": lambda p: Image.fromarray(photo, "RGB").save(p, quality=92, icc_profile=adobe),
    "adobe.png": lambda p: Image.fromarray(photo, "RGB").save(p, icc_profile=adobe),
}


def summary(array):
    return {
        "shape": list(array.shape),
        "sum": int(array.astype(np.int64).sum()),
        "sha256": hashlib.sha256(array.tobytes()).hexdigest(),
    }


golden = {}
for name, write in files.items():
    path = os.path.join(OUT, name)
    write(path)
    image = Image.open(path)
    assert image.info.get("icc_profile") == adobe
    stored = np.array(image.convert("RGB"))
    srgb = ImageCms.profileToProfile(
        image, ImageCms.ImageCmsProfile(PROFILE), ImageCms.createProfile("sRGB"), outputMode="RGB"
    )
    converted = np.array(srgb)
    assert np.abs(converted.astype(int) - stored.astype(int)).max() > 8, "the profile must change the pixels"
    golden[name] = {"stored": summary(stored), "converted": summary(converted)}
with open(GOLDEN, "w") as f:
    json.dump(golden, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(golden)} photos -> {OUT}, {GOLDEN}")
