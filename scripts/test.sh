#!/usr/bin/env bash
# Builds pprl in build/ and runs every test with ctest; then a bounded fuzz run when clang is
# installed. Exit status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${PPRL_JOBS:-2}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPPRL_BUILD_TESTS=ON -DPPRL_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 600
if command -v clang++ >/dev/null 2>&1; then
  # A reproducible fuzz run: a fixed seed and number of inputs (explore with tests/fuzz/run.sh SECONDS).
  tests/fuzz/run.sh --runs "${PPRL_FUZZ_RUNS:-40000}" --seed 1
else
  echo "test.sh: clang++ not found, fuzz run skipped"
fi
