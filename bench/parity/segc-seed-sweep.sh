#!/usr/bin/env bash
# Quickstart's reliability in segc: trains experiments/quickstart.seg once per initialisation seed (train.seed) and
# prints each run's best foreground Dice, for comparison with torch_seed_sweep.py (the same question in PyTorch).
# Run: bash bench/parity/segc-seed-sweep.sh [seeds...] [-- extra segc run arguments]   (default seeds 1-6)
set -euo pipefail
cd "$(dirname "$0")/../.."
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/segc-xdg}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
seeds=()
while [[ $# -gt 0 && $1 != -- ]]; do seeds+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
[[ ${#seeds[@]} -eq 0 ]] && seeds=(1 2 3 4 5 6)
root=$(mktemp -d runs/seed-sweep-XXXX)
for seed in "${seeds[@]}"; do
  node bin/segc.mjs run experiments/quickstart.seg --out "$root/seed-$seed" --set train.seed="$seed" "$@" \
    > "$root/seed-$seed.log" 2>&1
  node -e 'const s = require(process.argv[1]); const b = s.best; console.log(`${process.argv[2]}: best dice ${b.value.toFixed(3)} (epoch ${b.epoch}), per class ${JSON.stringify(s.epochs[b.epoch - 1].val.dicePerClass.map((d) => +d.toFixed(3)))}, ${s.wallSeconds.toFixed(0)} s`)' \
    "$PWD/$root/seed-$seed/summary.json" "seed $seed"
done
