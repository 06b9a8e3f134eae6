#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) in build-fuzz/ and runs
# each for a bounded time on a copy of the committed seed corpus. Usage: run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DPPRL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-fuzz -j"${PPRL_JOBS:-2}" --target csv_normalise_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r tests/fuzz/corpus/csv "$work/corpus"
echo "fuzz: csv_normalise_fuzz for ${seconds}s"
build-fuzz/tests/fuzz/csv_normalise_fuzz -max_total_time="$seconds" -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" 2>&1 | tail -n 12
echo "fuzz: no crashes"
