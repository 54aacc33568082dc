#!/usr/bin/env bash
# Installs the system packages segc needs on Debian bookworm: Mesa >= 24 lavapipe (WebGPU on the CPU through
# Dawn/Vulkan) from bookworm-backports, and the real data the dataset tests read in place: labelme-examples
# (three VOC-layout photos with masks) and mricron-data (NIfTI atlases); and the real parts the sweep and
# report tests start themselves: postgresql (a throwaway server for the pg-boss queue), chromium (opens the
# report headless) and fonts-dejavu-core (the figures' font). Idempotent; does nothing when all are present.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
data_packages=()
for pkg in labelme-examples mricron-data postgresql chromium fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || data_packages+=("$pkg")
done
if [ ${#data_packages[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${data_packages[@]}" >/dev/null
fi
need_mesa() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -z "$v" ] && return 0
  dpkg --compare-versions "$v" lt 24 && return 0
  return 1
}
if ! need_mesa; then exit 0; fi
src=/etc/apt/sources.list.d/debian.sources
bp=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$bp" ]; then
  uris=$(awk '/^URIs:/ {print $2; exit}' "$src" 2>/dev/null || echo http://deb.debian.org/debian)
  key=$(awk '/^Signed-By:/ {print $2; exit}' "$src" 2>/dev/null || echo /usr/share/keyrings/debian-archive-keyring.gpg)
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' "$uris" "$key" \
    | $SUDO tee "$bp" >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
