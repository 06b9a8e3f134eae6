#!/usr/bin/env bash
# pprl demo end to end, as a newcomer runs it: on synthetic data (the report against SPEC
# section 6, the linkage against the truth) and on the hand-written exports of
# tests/cli/testdata/handmade (every formatting variant: all linked, nothing wrong).
# Usage: demo_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

out=$("$build/cli/pprl" demo --out "$work/synthetic" 2>&1) || { echo "$out"; echo "demo_test: pprl demo failed"; exit 1; }
python3 "$src/tests/cli/check_report.py" "$work/synthetic/report.json" --comparison
grep -q 'Matched comparison group (subjects never discussed): [0-9]' <<<"$out" || { echo "demo_test: the demo does not show the comparison"; exit 1; }
grep -q 'trajectories' "$work/synthetic/report.html" || { echo "demo_test: report.html lacks the trajectories"; exit 1; }
head -1 "$work/synthetic/links.csv" | grep -qx 'subject_id,source,record_id' || { echo "demo_test: bad links.csv header"; exit 1; }
grep -q '<svg' "$work/synthetic/report.html" || { echo "demo_test: report.html has no plots"; exit 1; }
! grep -qi '<script' "$work/synthetic/report.html" || { echo "demo_test: report.html carries a script"; exit 1; }
quality=$(echo "$out" | grep 'linkage quality')
echo "$quality"
echo "$quality" | python3 -c '
import re, sys
line = sys.stdin.read()
p = float(re.search(r"precision ([0-9.]+)", line).group(1))
r = float(re.search(r"recall ([0-9.]+)", line).group(1))
sys.exit(0 if p >= 0.999 and r >= 0.99 else "demo_test: precision %.4f or recall %.4f below 0.999 / 0.99" % (p, r))'
grep -q 'audit log verified' <<<"$out" || { echo "demo_test: the audit log was not verified"; exit 1; }

"$build/cli/pprl" demo --data "$src/tests/cli/testdata/handmade" --out "$work/hand" >"$work/hand.log" 2>&1 ||
  { cat "$work/hand.log"; echo "demo_test: pprl demo --data failed"; exit 1; }
python3 "$src/tests/cli/check_report.py" "$work/hand/report.json"
eval_out=$("$build/cli/pprl" evaluate-linkage --truth "$src/tests/cli/testdata/handmade_truth.csv" --links "$work/hand/links.csv")
echo "$eval_out"
grep -q 'precision 1.0000, recall 1.0000' <<<"$eval_out" || { echo "demo_test: the hand-made exports are not all linked correctly"; exit 1; }

# Every daemon the demos started has stopped.
if pgrep -f "$work" >/dev/null; then
  echo "demo_test: a daemon is still running"; pgrep -af "$work"; exit 1
fi
echo "demo_test: passed"
