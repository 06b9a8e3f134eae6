#!/usr/bin/env bash
# Builds pprl (Release) and runs `pprl demo`: a linker, an analyzer and two agents on this
# machine, the whole study on synthetic exports. Extra arguments go to pprl demo
# (e.g. --out DIR, --data DIR, --seed N).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPPRL_BUILD_TESTS=ON -DPPRL_BUILD_BENCH=ON >/dev/null
cmake --build build -j"${PPRL_JOBS:-2}" --target pprl
exec build/cli/pprl demo "$@"
