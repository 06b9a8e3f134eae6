#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) in build-fuzz/ and runs
# each on a copy of its committed seed corpus:
#   csv_normalise_fuzz  exports, names, dates, study files        (corpus/csv)
#   rpc_handlers_fuzz   every linker and analyzer RPC handler over real TLS (corpus/rpc)
#   run.sh [SECONDS]          explore for SECONDS per target (default 30) from a random seed
#   run.sh --runs N --seed S  a reproducible run of N inputs per target from seed S (what CI
#                             does; the RPC target gets N/4: each input is a real call)
# A finding leaves its input in the printed artifact path; add it to tests/fuzz/corpus/ once
# fixed, so every later run replays it. Leak detection is off for the RPC target: gRPC keeps
# process-wide state that it frees only at exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
runs=
seed=1
if [ "${1:-}" = "--runs" ]; then
  runs=$2
  seed=${4:-1}
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DPPRL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-fuzz -j"${PPRL_JOBS:-2}" --target csv_normalise_fuzz rpc_handlers_fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in csv_normalise_fuzz:csv:1 rpc_handlers_fuzz:rpc:4; do
  IFS=: read -r name corpus divisor <<<"$target"
  if [ -n "$runs" ]; then
    limit=(-runs=$((runs / divisor)) -seed="$seed")
  else
    limit=(-max_total_time="$seconds")
  fi
  extra=()
  [ "$name" = rpc_handlers_fuzz ] && extra=(-detect_leaks=0)
  cp -r "tests/fuzz/corpus/$corpus" "$work/$corpus"
  echo "fuzz: $name ${limit[*]}"
  build-fuzz/tests/fuzz/$name "${limit[@]}" "${extra[@]}" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/$corpus" 2>&1 | grep -v '"msg"' | tail -n 6
  # A crash makes the fuzzer exit non-zero; pipefail carries it here.
done
echo "fuzz: no crashes"
