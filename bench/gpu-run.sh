#!/usr/bin/env bash
# Runs on the GPU machine (see ../shared/device/README.md), side by side on the same card; numbers go to $OUT.
#   bash bench/gpu-run.sh [unet]  segc's benchmark U-Net step, its per-kernel profile, torch_unet.py, quickstart.
#   bash bench/gpu-run.sh paper   issue 16: the paper networks (bench/paper_*.seg, bench/paper-step.ts) and
#                                 torch_paper.py (TF32 off and on), a table of the ratios in $OUT/summary.md, then
#                                 per-kernel profiles (bench/kernel-profile.ts) while time remains.
# Pack first (here): ../shared/device/pack.sh bench/train-step.ts bench/kernel-profile.ts bench/quickstart-run.ts \
#   bench/paper-step.ts    and run with carry [".device"].
# SEGC_BENCH_SMOKE=1 checks the script without a GPU: tiny sizes (SEGC_BENCH_SCALE=16, batch 2, 2 steps, ResNet-18
# encoders: SEGC_BENCH_DEPTH=18), torch_paper.py --cpu-smoke, node from the PATH and no prelude (which installs
# the Vulkan loader system-wide).
set -uo pipefail
mode=${1:-unet}
out=${OUT:-/tmp/out}; mkdir -p "$out"
if [ -n "${SEGC_BENCH_SMOKE:-}" ]; then
  d=.device/node_modules/webgpu/dist/linux-x64/dawn.node
  [ -f "$d" ] || xz -dc .device/dawn.node.xz > "$d"
  export SEGC_BENCH_SCALE=${SEGC_BENCH_SCALE:-16} SEGC_BENCH_BATCH=${SEGC_BENCH_BATCH:-2}
  export SEGC_BENCH_DEPTH=${SEGC_BENCH_DEPTH:-18}
  steps=2; torch_flags=--cpu-smoke; budget=${SEGC_BENCH_BUDGET:-3000}; cap=1200
  py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3  # Debian's, with python3-torch
else
  source .device/prelude.sh
  steps=10; torch_flags=; budget=${SEGC_BENCH_BUDGET:-560}; cap=200; py=python3
fi
quiet() { grep -v '^Warning'; }

if [ "$mode" = unet ]; then
  timeout 240 node .device/bundle/train-step.mjs bench/unet_benchmark.seg 10 2>&1 | quiet | tee "$out/segc_step.log"
  timeout 120 node .device/bundle/kernel-profile.mjs bench/unet_benchmark.seg 3 2>&1 | quiet | tee "$out/segc_profile.log"
  timeout 180 python3 .device/torch_unet.py 2>&1 | tee "$out/torch.log"
  segc=$(grep -o '[0-9.]* ms per training step' "$out/segc_step.log" | cut -d' ' -f1)
  torch=$(grep -m1 'fp32 (tf32 off) B=8' "$out/torch.log" | grep -o 'median [0-9.]*' | cut -d' ' -f2)
  echo "| step | segc (WGSL, fp32) | PyTorch eager fp32 | ratio |" | tee "$out/summary.md"
  echo "| U-Net 32-256, B=8, 256x256 | ${segc} ms | ${torch} ms | $(python3 -c "print(round($segc/$torch, 2))" 2>/dev/null) x |" | tee -a "$out/summary.md"
  timeout 240 node .device/bundle/quickstart-run.mjs "$out/quickstart" 2>&1 | quiet | tee "$out/quickstart.log"
  exit 0
fi

# paper: the anchor first, then segc's three steps, the table, then profiles while the budget lasts.
nets="unet_r50 fpn_r101 deeplabv3plus_r50"
timeout 240 $py .device/torch_paper.py $torch_flags 2>&1 | tee "$out/torch_paper.log"
: > "$out/segc_paper.log"
for net in $nets; do
  left=$((budget - SECONDS)); [ "$left" -gt 30 ] || { echo "no time left for $net" | tee -a "$out/segc_paper.log"; continue; }
  limit=$((left < cap ? left : cap))
  timeout "$limit" node .device/bundle/paper-step.mjs "bench/paper_$net.seg" "$steps" 2>&1 | quiet | tee -a "$out/segc_paper.log"
  rc=${PIPESTATUS[0]}; [ "$rc" = 0 ] || echo "segc $net: exit $rc (124: over ${limit} s)" | tee -a "$out/segc_paper.log"
done
$py bench/paper-table.py "$out/segc_paper.log" "$out/torch_paper.log" | tee "$out/summary.md"
for net in $nets; do
  left=$((budget - SECONDS)); [ "$left" -gt 40 ] || break
  timeout "$((left < cap ? left : cap))" node .device/bundle/kernel-profile.mjs "bench/paper_$net.seg" 2 2>&1 | quiet |
    tee "$out/profile_$net.log" | head -30
done
echo "done in ${SECONDS} s"
