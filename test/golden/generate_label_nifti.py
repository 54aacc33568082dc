#!/usr/bin/python3
"""Writes test/golden/data/label_nifti.json: for three of Debian's mricron-data templates (an LAS file with
qform and sform, an RAS file with only an sform, one with codes 1/1), nibabel's affine, shape and zooms, which
test/runtime/train/label-nifti.test.ts requires of the label files segc writes with their headers.

Run with Debian's python (python3-nibabel, package mricron-data):
    /usr/bin/python3 test/golden/generate_label_nifti.py
"""
import json
import os

import nibabel as nib

TEMPLATES = "/usr/share/mricron/templates"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "label_nifti.json")
cases = []
for name in ["natbrainlab.nii.gz", "aal.nii.gz", "ch2better.nii.gz"]:
    image = nib.load(os.path.join(TEMPLATES, name))
    cases.append({
        "file": os.path.join(TEMPLATES, name),
        "affine": image.affine.tolist(),
        "shape": list(image.shape[:3]),
        "zooms": [float(z) for z in image.header.get_zooms()[:3]],
        "axcodes": "".join(nib.aff2axcodes(image.affine)),
    })
with open(OUT, "w") as f:
    json.dump({"generator": "test/golden/generate_label_nifti.py", "cases": cases}, f, indent=1)
    f.write("\n")
