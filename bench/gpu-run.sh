#!/usr/bin/env bash
# Runs on the GPU machine (see ../shared/device/README.md): segc's benchmark training step, its per-kernel profile,
# and the PyTorch anchor, side by side on the same card; numbers go to $OUT.
set -uo pipefail
source .device/prelude.sh
out=${OUT:-/tmp/out}; mkdir -p "$out"
timeout 240 node .device/bundle/train-step.mjs bench/unet_benchmark.seg 10 2>&1 | grep -v '^Warning' | tee "$out/segc_step.log"
timeout 120 node .device/bundle/kernel-profile.mjs bench/unet_benchmark.seg 3 2>&1 | grep -v '^Warning' | tee "$out/segc_profile.log"
timeout 180 python3 .device/torch_unet.py 2>&1 | tee "$out/torch.log"
segc=$(grep -o '[0-9.]* ms per training step' "$out/segc_step.log" | cut -d' ' -f1)
torch=$(grep -m1 'fp32 (tf32 off) B=8' "$out/torch.log" | grep -o 'median [0-9.]*' | cut -d' ' -f2)
echo "| step | segc (WGSL, fp32) | PyTorch eager fp32 | ratio |" | tee "$out/summary.md"
echo "| U-Net 32-256, B=8, 256x256 | ${segc} ms | ${torch} ms | $(python3 -c "print(round($segc/$torch, 2))" 2>/dev/null) x |" | tee -a "$out/summary.md"
timeout 240 node .device/bundle/quickstart-run.mjs "$out/quickstart" 2>&1 | grep -v '^Warning' | tee "$out/quickstart.log"
