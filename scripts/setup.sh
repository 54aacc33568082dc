#!/usr/bin/env bash
# Bootstraps a fresh Debian bookworm clone: system packages (Mesa >= 24 lavapipe, for WebGPU without a GPU),
# the npm dependencies and dist/ (the built CLI). Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null 2>&1; then bash scripts/setup-system.sh; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund # builds dist/ too (prepare)
elif [ ! -f dist/segc.mjs ] || [ ! -f dist/types/index.d.ts ]; then
  npm run build
fi
