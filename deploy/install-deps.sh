#!/usr/bin/env bash
# Installs the Debian 12 packages pprl builds, tests and runs with. Idempotent and
# non-interactive; needs root (or sudo). Only Debian's own packages.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libssl-dev openssl libeigen3-dev libboost-math-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libicu-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  python3 iproute2 util-linux
)
# clang brings libFuzzer for the fuzz targets (optional).
optional=(clang)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}" "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ ${#sudo_cmd[@]} -gt 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "install-deps: not root and no sudo: run this script as root to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${optional[@]}" ||
  echo "install-deps: clang not installed; fuzz targets will be skipped"
