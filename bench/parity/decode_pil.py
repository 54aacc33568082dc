#!/usr/bin/python3
"""Baseline of bench/data-decode.ts: the same image and mask files decoded by PIL into NumPy arrays (RGB image,
palette-index mask), ROUNDS times, in PROCESSES processes (one per core). Prints images/s.
Usage: /usr/bin/python3 bench/parity/decode_pil.py ROUNDS PROCESSES IMAGE MASK [IMAGE MASK ...]"""
import sys
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image


def decode(pair):
    image, mask = pair
    a = np.array(Image.open(image).convert("RGB"))
    b = np.array(Image.open(mask))
    return a.shape[0] + b.shape[0]


if __name__ == "__main__":
    rounds, processes = int(sys.argv[1]), int(sys.argv[2])
    files = sys.argv[3:]
    pairs = [(files[i], files[i + 1]) for i in range(0, len(files), 2)] * rounds
    with Pool(processes) as pool:
        pool.map(decode, pairs[: len(pairs) // rounds])  # warm-up
        start = time.perf_counter()
        pool.map(decode, pairs, chunksize=4)
        seconds = time.perf_counter() - start
    print(f"{len(pairs) / seconds:.1f}")
