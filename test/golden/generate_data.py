#!/usr/bin/python3
"""Writes the dataset fixtures of test/fixtures/data/ (small files in every layout segc reads) and
test/golden/data/decoded.json: what each sample decodes to according to PIL, OpenCV and nibabel, so the
TypeScript readers are checked against decoders they do not use. Also the goldens of Debian's labelme-examples
photos (read in place from /usr/share/doc/labelme-examples) and of mricron-data's atlases
(/usr/share/mricron/templates).

Run with Debian's python (python3-pil, python3-opencv, python3-nibabel, python3-numpy):
    /usr/bin/python3 test/golden/generate_data.py
The output is byte-identical on every run.
"""
import gzip
import hashlib
import json
import os
import shutil
import struct

import cv2
import nibabel as nib
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures", "data")
GOLDEN = os.path.join(ROOT, "golden", "data")
LABELME = "/usr/share/doc/labelme-examples/examples/semantic_segmentation/data_dataset_voc"

rng = np.random.RandomState(12)
golden = {}


def path(*parts):
    p = os.path.join(FIXTURES, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def summary(array):
    """What a decoded array is checked by: shape, dtype, sum and a hash of its bytes (C order)."""
    return {
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "sum": int(array.astype(np.int64).sum()),
        "sha256": digest(array),
    }


def photo(h, w):
    """A smooth colour image with texture (JPEG-friendly but not trivial)."""
    y, x = np.mgrid[0:h, 0:w]
    r = 128 + 90 * np.sin(x / 3.0 + rng.rand())
    g = 128 + 90 * np.cos(y / 4.0 + rng.rand())
    b = 60 + 3 * (x + y) + rng.randint(0, 30, (h, w))
    return np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)


def save_jpeg(array, p):
    Image.fromarray(array).save(p, quality=90)


def save_png(array, p, palette=False):
    """A grey PNG, or with palette=True an 8-bit palette PNG whose indices are the array."""
    if not palette:
        Image.fromarray(array, mode="L").save(p)
        return
    img = Image.frombytes("P", (array.shape[1], array.shape[0]), array.tobytes())
    img.putpalette([(i * k) % 256 for i in range(256) for k in (37, 91, 53)])
    img.save(p)


def pil_rgb(p):
    return np.array(Image.open(p).convert("RGB"))


def pil_index(p):
    """A label PNG as PIL reads it: palette indices or grey values, never converted."""
    return np.array(Image.open(p))


def labels_map(h, w, classes, ignore=None):
    lab = np.zeros((h, w), np.uint8)
    for c in range(1, classes):
        cy, cx = rng.randint(0, h), rng.randint(0, w)
        yy, xx = np.mgrid[0:h, 0:w]
        lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= (min(h, w) // 3) ** 2] = c
    if ignore is not None:
        lab[0, :] = ignore
    return lab


def record(key, image=None, labels=None, **extra):
    entry = {}
    if image is not None:
        entry["image"] = summary(image)
    if labels is not None:
        entry["labels"] = summary(labels)
    entry.update(extra)
    golden[key] = entry


# image_folder: images/ and masks/ paired by stem; three mask encodings.
def image_folder():
    base = "image_folder"
    stems = ["a", "b", "c"]
    for i, stem in enumerate(stems):
        h, w = 12, 16
        img = photo(h, w)
        ext = "jpg" if i != 1 else "png"
        ip = path(base, "images", f"{stem}.{ext}")
        save_jpeg(img, ip) if ext == "jpg" else Image.fromarray(img).save(ip)
        lab = labels_map(h, w, 3)
        mp = path(base, "masks", f"{stem}.png")
        Image.fromarray(lab, mode="L").save(mp)
        # binary masks with grey levels near the threshold (> 127 is foreground, as upstream)
        grey = np.where(lab > 0, 200, 20).astype(np.uint8)
        grey[0, 0], grey[0, 1], grey[0, 2] = 127, 128, 255
        bp = path(base, "masks_binary", f"{stem}.png")
        Image.fromarray(grey, mode="L").save(bp)
        # a value map: grey 0 / 128 / 255 are classes 0 / 1 / 2
        vp = path(base, "masks_values", f"{stem}.png")
        Image.fromarray(np.array([0, 128, 255], np.uint8)[lab], mode="L").save(vp)
        binary = (pil_index(bp) > 127).astype(np.uint8)
        values = pil_index(vp)
        mapped = np.full(values.shape, 255, np.uint8)
        for c, v in enumerate([0, 128, 255]):
            mapped[values == v] = c
        record(
            f"{base}/{stem}",
            image=pil_rgb(ip),
            labels=pil_index(mp),
            binary=summary(binary),
            values=summary(mapped),
            file=f"{stem}.{ext}",
        )
    with open(path(base, "train.txt"), "w") as f:
        f.write("c\na\n")
    # an image of another size (handled before upload) in its own folder
    img = photo(10, 20)
    save_jpeg(img, path("image_folder_sizes", "images", "wide.jpg"))
    save_jpeg(photo(12, 16), path("image_folder_sizes", "images", "small.jpg"))
    record("image_folder_sizes/wide", image=pil_rgb(path("image_folder_sizes", "images", "wide.jpg")))
    record("image_folder_sizes/small", image=pil_rgb(path("image_folder_sizes", "images", "small.jpg")))


def voc():
    base = "voc"
    ids = ["2007_000001", "2007_000002", "2007_000003", "2007_000004"]
    for i, sid in enumerate(ids):
        h, w = 14, 18
        img = photo(h, w)
        ip = path(base, "JPEGImages", f"{sid}.jpg")
        save_jpeg(img, ip)
        lab = labels_map(h, w, 21 if i % 2 == 0 else 5, ignore=255)
        lab[lab > 0] = (lab[lab > 0] * 3 + i) % 21
        lab[0, :] = 255
        mp = path(base, "SegmentationClass", f"{sid}.png")
        save_png(lab, mp, palette=True)
        assert Image.open(mp).mode == "P"
        record(f"{base}/{sid}", image=pil_rgb(ip), labels=pil_index(mp))
    with open(path(base, "ImageSets", "Segmentation", "train.txt"), "w") as f:
        f.write("\n".join(ids[:3]) + "\n")
    with open(path(base, "ImageSets", "Segmentation", "val.txt"), "w") as f:
        f.write(ids[3] + "\n")


def voc_named():
    """The labelme exporter's layout: class_names.txt, SegmentationClassPNG/, no ImageSets."""
    base = "voc_named"
    names = ["_background_", "cat", "dog"]
    with open(path(base, "class_names.txt"), "w") as f:
        f.write("\n".join(names))
    for sid in ["x1", "x2"]:
        img = photo(8, 10)
        save_jpeg(img, path(base, "JPEGImages", f"{sid}.jpg"))
        lab = labels_map(8, 10, 3)
        lab[-1, -1] = 255
        mp = path(base, "SegmentationClassPNG", f"{sid}.png")
        save_png(lab, mp, palette=True)
        record(f"{base}/{sid}", image=pil_rgb(path(base, "JPEGImages", f"{sid}.jpg")), labels=pil_index(mp))
    # labels.txt as labelme's users write it (with __ignore__) in a copy named classes.txt
    base2 = "voc_labels"
    shutil.rmtree(os.path.join(FIXTURES, base2), ignore_errors=True)
    shutil.copytree(os.path.join(FIXTURES, base), os.path.join(FIXTURES, base2))
    os.remove(path(base2, "class_names.txt"))
    with open(path(base2, "classes.txt"), "w") as f:
        f.write("__ignore__\n_background_\ncat\ndog\n")


def cityscapes():
    base = "cityscapes"
    for split, cities in [("train", ["zurich", "aachen"]), ("val", ["frankfurt"])]:
        for city in cities:
            for k in range(2 if split == "train" else 1):
                stem = f"{city}_{k:06d}_000019_"
                img = photo(8, 16)
                ip = path(base, "leftImg8bit", split, city, f"{stem}leftImg8bit.png")
                Image.fromarray(img).save(ip)
                lab = labels_map(8, 16, 19)
                lab[lab > 0] = (lab[lab > 0] * 5) % 19
                lab[:, 0] = 255
                mp = path(base, "gtFine", split, city, f"{stem}gtFine_labelTrainIds.png")
                Image.fromarray(lab, mode="L").save(mp)
                # the other gtFine files upstream's folder holds (never read)
                Image.fromarray(lab, mode="L").save(path(base, "gtFine", split, city, f"{stem}gtFine_labelIds.png"))
                record(f"{base}/{split}/{city}/{stem}", image=pil_rgb(ip), labels=pil_index(mp))


RETINAL_CLASSES = [
    ("microaneurysm", "MA"),
    ("intraretinal_hemorrhage", "iHE"),
    ("hard_exudate", "HaEx"),
    ("cotton_wool_spots", "CWS"),
    ("vitreous_hemorrhage", "vHE"),
    ("preretinal_hemorrhage", "pHE"),
    ("neovascularization", "NV"),
    ("fibrous_proliferation", "FiP"),
]


def retinal():
    base = "retinal_lesions"
    with open(path(base, "classes.txt"), "w") as f:
        f.write("".join(f"{n},{a}\n" for n, a in RETINAL_CLASSES))
    ids = ["r1", "r2", "r3"]
    for i, sid in enumerate(ids):
        img = photo(12, 12)
        ip = path(base, "images_896x896", f"{sid}.jpg")
        save_jpeg(img, ip)
        stack = np.zeros((12, 12, 8), np.uint8)
        for k in [(i + 0) % 8, (i + 3) % 8]:
            grey = np.zeros((12, 12), np.uint8)
            grey[rng.randint(0, 12, 20), rng.randint(0, 12, 20)] = 255
            grey[rng.randint(0, 12, 10), rng.randint(0, 12, 10)] = 127
            grey[rng.randint(0, 12, 5), rng.randint(0, 12, 5)] = 60
            mp = path(base, "lesion_segs_896x896", sid, f"{RETINAL_CLASSES[k][0]}.png")
            Image.fromarray(grey, mode="L").save(mp)
            stack[..., k] = pil_index(mp)
        multi = np.isin(stack, [127, 255]).astype(np.uint8)
        multi255 = (stack == 255).astype(np.uint8)
        record(
            f"{base}/{sid}",
            image=pil_rgb(ip),
            multilabel=summary(np.ascontiguousarray(multi.transpose(2, 0, 1))),  # planes [K, H, W]
            binary=summary((multi.sum(-1) > 0).astype(np.uint8)),
            binary255=summary((multi255.sum(-1) > 0).astype(np.uint8)),
        )
    for split, members in [("train", ids[:2]), ("val", ids[2:]), ("test", ids[2:])]:
        with open(path(base, f"{split}.txt"), "w") as f:
            f.write("\n".join(members) + "\n")


def polyp():
    base = "polyp"
    names = ["p1.png", "p2.png", "p3.png"]
    for name in names:
        img = photo(10, 14)
        ip = path(base, "TrainDataset", "images", name)
        Image.fromarray(img).save(ip)
        grey = np.where(labels_map(10, 14, 2) > 0, 255, 0).astype(np.uint8)
        grey[1, 1] = 127
        grey[1, 2] = 128
        mp = path(base, "TrainDataset", "masks", name)
        Image.fromarray(grey, mode="L").save(mp)
        record(f"{base}/train/{name}", image=pil_rgb(ip), labels=(pil_index(mp) > 127).astype(np.uint8))
    with open(path(base, "TrainDataset", "train.txt"), "w") as f:
        f.write("p1.png\np2.png\n")
    with open(path(base, "TrainDataset", "val.txt"), "w") as f:
        f.write("p3.png\n")
    # TestDataset: images (.png) and masks (.png) listed separately and paired by sorted index
    for k, (iname, mname) in enumerate([("t1.png", "t1.png"), ("t2.png", "t2.png")]):
        img = photo(10, 14)
        ip = path(base, "TestDataset", "Kvasir", "images", iname)
        Image.fromarray(img).save(ip)
        grey = np.where(labels_map(10, 14, 2) > 0, 255, 0).astype(np.uint8)
        # an RGB mask, as some of PraNet's test sets have: grey by luminance
        mp = path(base, "TestDataset", "Kvasir", "masks", mname)
        Image.fromarray(np.stack([grey] * 3, -1)).save(mp)
        record(
            f"{base}/test/{iname}",
            image=pil_rgb(ip),
            labels=(np.array(Image.open(mp).convert("L")) > 127).astype(np.uint8),
        )


def save_nifti(img, p, slope=None, inter=None):
    """Saves .nii.gz reproducibly (gzip mtime 0), with scl_slope/scl_inter written as given (nibabel would
    choose its own scaling)."""
    raw = p[:-3]
    nib.save(img, raw)
    data = bytearray(open(raw, "rb").read())
    os.remove(raw)
    if slope is not None:
        data[112:120] = struct.pack("<ff", slope, inter)
    with open(p, "wb") as f:
        f.write(gzip.compress(bytes(data), mtime=0))


def nifti():
    base = "nifti"
    for k in range(3):
        d, h, w = 6, 8, 10  # nibabel's axes are (x, y, z) = (w, h, d) in segc's [D, H, W]
        vol = (rng.randn(w, h, d) * 50 + 300).astype(np.int16)
        seg = np.zeros((w, h, d), np.uint8)
        seg[3 + k : 6, 2:5, 1:4] = 1
        seg[6:8, 5:7, 3:5] = 2
        affine = np.diag([1.5, 0.8, 2.0, 1.0])
        img = nib.Nifti1Image(vol, affine)
        img.header.set_xyzt_units("mm")
        save_nifti(img, path(base, f"case{k}_t1.nii.gz"), slope=0.5, inter=-20.0)
        save_nifti(nib.Nifti1Image(seg, affine), path(base, f"case{k}_seg.nii.gz"))
        loaded = nib.load(path(base, f"case{k}_t1.nii.gz"))
        scaled = loaded.dataobj.get_unscaled().astype(np.float64) * 0.5 - 20.0
        assert np.allclose(loaded.get_fdata(), scaled)
        # segc's [D, H, W] order: z, y, x
        dhw = np.transpose(loaded.get_fdata(), (2, 1, 0)).astype(np.float32)
        labels = np.transpose(np.asarray(nib.load(path(base, f"case{k}_seg.nii.gz")).dataobj), (2, 1, 0))
        record(
            f"{base}/case{k}",
            volume=summary(dhw),
            volume_sum=float(dhw.astype(np.float64).sum()),
            volume_first=[float(v) for v in dhw.reshape(-1)[:5]],
            labels=labels.astype(np.uint8),
            spacing=[2.0, 0.8, 1.5],
            orientation="".join(nib.aff2axcodes(loaded.affine)),
        )


def bad():
    """Broken datasets, one fault each: every one is named by segc with its file."""
    base = "bad"
    # a truncated JPEG
    img = photo(12, 16)
    save_jpeg(img, path(base, "truncated", "images", "a.jpg"))
    data = open(path(base, "truncated", "images", "a.jpg"), "rb").read()
    open(path(base, "truncated", "images", "a.jpg"), "wb").write(data[: len(data) // 2])
    Image.fromarray(labels_map(12, 16, 2), mode="L").save(path(base, "truncated", "masks", "a.png"))
    save_jpeg(img, path(base, "truncated", "images", "b.jpg"))
    Image.fromarray(labels_map(12, 16, 2), mode="L").save(path(base, "truncated", "masks", "b.png"))
    # not an image at all
    open(path(base, "garbage", "images", "a.png"), "wb").write(b"this is not a png\n")
    Image.fromarray(labels_map(12, 16, 2), mode="L").save(path(base, "garbage", "masks", "a.png"))
    # a mask of another size than its image
    save_jpeg(img, path(base, "size", "images", "a.jpg"))
    Image.fromarray(labels_map(12, 15, 2), mode="L").save(path(base, "size", "masks", "a.png"))
    # a label >= the class count (and not 255): class 7 with 3 classes
    save_jpeg(img, path(base, "label", "images", "a.jpg"))
    lab = labels_map(12, 16, 3)
    lab[4, 5] = 7
    Image.fromarray(lab, mode="L").save(path(base, "label", "masks", "a.png"))
    save_jpeg(img, path(base, "label", "images", "b.jpg"))
    Image.fromarray(labels_map(12, 16, 3), mode="L").save(path(base, "label", "masks", "b.png"))
    # an image without its mask
    save_jpeg(img, path(base, "missing", "images", "a.jpg"))
    save_jpeg(img, path(base, "missing", "images", "b.jpg"))
    Image.fromarray(labels_map(12, 16, 2), mode="L").save(path(base, "missing", "masks", "b.png"))


def labelme():
    """Debian's labelme-examples: three VOC photos exported by labelme2voc (255 = __ignore__)."""
    if not os.path.isdir(LABELME):
        raise SystemExit(f"{LABELME} is missing: apt-get install labelme-examples")
    for sid in sorted(f[:-4] for f in os.listdir(os.path.join(LABELME, "JPEGImages"))):
        img = pil_rgb(os.path.join(LABELME, "JPEGImages", f"{sid}.jpg"))
        lab = pil_index(os.path.join(LABELME, "SegmentationClassPNG", f"{sid}.png"))
        bgr = cv2.imread(os.path.join(LABELME, "JPEGImages", f"{sid}.jpg"), cv2.IMREAD_COLOR)
        record(
            f"labelme/{sid}",
            image=img,
            labels=lab,
            opencv_equal=bool((bgr[..., ::-1] == img).all()),
            classes=[int(c) for c in np.unique(lab)],
        )


MRICRON = "/usr/share/mricron/templates"


def mricron():
    """Debian's mricron-data: atlases as real NIfTI files (an LAS one among them), read in place."""
    for name in ["JHU-WhiteMatter-labels-2mm.nii.gz", "AICHAmc.nii.gz"]:
        loaded = nib.load(os.path.join(MRICRON, name))
        dhw = np.transpose(loaded.get_fdata(), (2, 1, 0)).astype(np.float32)
        zooms = loaded.header.get_zooms()
        record(
            f"mricron/{name}",
            volume=summary(dhw),
            spacing=[float(zooms[2]), float(zooms[1]), float(zooms[0])],
            orientation="".join(nib.aff2axcodes(loaded.affine)),
            classes=int(dhw.max()) + 1,
        )


def write_nifti_bad():
    # a NIfTI whose gzip stream is cut short
    data = open(path("nifti", "case0_t1.nii.gz"), "rb").read()
    open(path("bad", "nifti", "broken_t1.nii.gz"), "wb").write(data[: len(data) // 3])
    shutil.copy(path("nifti", "case0_seg.nii.gz"), path("bad", "nifti", "broken_seg.nii.gz"))


if __name__ == "__main__":
    shutil.rmtree(FIXTURES, ignore_errors=True)
    image_folder()
    voc()
    voc_named()
    cityscapes()
    retinal()
    polyp()
    nifti()
    bad()
    write_nifti_bad()
    labelme()
    mricron()
    os.makedirs(GOLDEN, exist_ok=True)
    with open(os.path.join(GOLDEN, "decoded.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
