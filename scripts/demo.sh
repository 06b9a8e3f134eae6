#!/usr/bin/env bash
# Builds pprl (RelWithDebInfo, in the repository's build/) and runs `pprl demo`: a linker, an
# analyzer and two agents on this machine, the whole study on synthetic exports. Extra
# arguments go to pprl demo (e.g. --out DIR, --data DIR, --seed N, --skip-invalid); relative
# paths are taken from the directory you run it in, where pprl-demo/ is written by default.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPPRL_BUILD_TESTS=ON \
  -DPPRL_BUILD_BENCH=ON >/dev/null
cmake --build "$repo/build" -j"${PPRL_JOBS:-2}" --target pprl
exec "$repo/build/cli/pprl" demo "$@"
