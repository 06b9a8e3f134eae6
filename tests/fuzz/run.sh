#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) in build-fuzz/ and runs
# them on a copy of the committed seed corpus.
#   run.sh [SECONDS]          explore for SECONDS (default 30) from a random seed
#   run.sh --runs N --seed S  a reproducible run of N inputs from seed S (what CI does)
# A finding leaves its input in the printed artifact path; add it to tests/fuzz/corpus/ once
# fixed, so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."
limit=(-max_total_time="${1:-30}")
if [ "${1:-}" = "--runs" ]; then
  limit=(-runs="$2" -seed="${4:-1}")
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DPPRL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-fuzz -j"${PPRL_JOBS:-2}" --target csv_normalise_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r tests/fuzz/corpus/csv "$work/corpus"
echo "fuzz: csv_normalise_fuzz ${limit[*]}"
build-fuzz/tests/fuzz/csv_normalise_fuzz "${limit[@]}" -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" 2>&1 | tail -n 12
echo "fuzz: no crashes"
