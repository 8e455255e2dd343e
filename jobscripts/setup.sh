#!/bin/bash
# setup.sh — install what critsweep needs from Debian 12 and build it into build/.
# Idempotent: packages already installed are not fetched again, and meson rebuilds only
# what changed.  Run as root (or with sudo).
#   bash jobscripts/setup.sh          # runtime + build dependencies
#   bash jobscripts/setup.sh --tests  # also the Python readers and test tools
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential meson ninja-build pkg-config
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libopenblas-dev libyaml-dev libplfit-dev zlib1g-dev libgsl-dev
  libplplot-dev plplot-driver-cairo
  dataset-fashion-mnist
)
if [[ ${1:-} == --tests ]]; then
  packages+=(
    python3 python3-numpy python3-scipy python3-torch python3-h5py
    python3-xarray python3-netcdf4 python3-h5netcdf netcdf-bin
    python3-yaml slurm-wlm munge
    clang-14 libclang-rt-14-dev file procps bc time
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build
fi
meson compile -C build
