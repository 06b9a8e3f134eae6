#!/usr/bin/env bash
# pprl demo as a newcomer meets it on their own data (issue 14):
# - one bad row: the demo names it (file, line, column, reason; never the value), points to
#   --skip-invalid and exits 2; with --skip-invalid it runs through;
# - a data set of 5 people: the analyzer refuses the study; the demo still writes report.json
#   and report.html with the refusal and its reason and exits 3 (README, "Exit status");
# - pprl explain on two rows of the exports prints the levels they share;
# - usage errors exit 2.
# Usage: demo_newcomer_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
pprl=$build/cli/pprl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "demo_newcomer_test: $*"; exit 1; }

# One bad row among the hand-made exports (a birth date after the incident).
mkdir "$work/bad"
cp "$src"/tests/cli/testdata/handmade/*.csv "$work/bad/"
bad_line=$(($(wc -l <"$work/bad/incidents.csv") + 1))
echo "I999,Zuiderduin,,Q.,,02-05-2013,2013-05-01,misdrijf,verdachte" >>"$work/bad/incidents.csv"
rc=0
"$pprl" demo --data "$work/bad" --out "$work/out-bad" >"$work/bad.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { cat "$work/bad.log"; fail "a refused export exits $rc, not 2"; }
grep -q "incidents.csv:$bad_line: column birth_date: " "$work/bad.log" ||
  { cat "$work/bad.log"; fail "the bad row's file, line, column and reason are not shown"; }
grep -q -- "--skip-invalid" "$work/bad.log" || { cat "$work/bad.log"; fail "no pointer to --skip-invalid"; }
! grep -q "Zuiderduin\|02-05-2013" "$work/bad.log" || fail "the demo printed a value of the bad row"
rc=0
"$pprl" demo --data "$work/bad" --out "$work/out-skip" --skip-invalid >"$work/skip.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$work/skip.log"; fail "--skip-invalid exits $rc"; }
grep -q "1 invalid rows left out" "$work/skip.log" || { cat "$work/skip.log"; fail "the skipped row is not counted"; }
python3 "$src/tests/cli/check_report.py" "$work/out-skip/report.json"

# Five people: the study is refused, and the report says why.
rc=0
"$pprl" demo --data "$src/tests/cli/testdata/five_people" --out "$work/out-five" >"$work/five.log" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$work/five.log"; fail "a refused study exits $rc, not 3"; }
python3 "$src/tests/cli/check_report.py" "$work/out-five/report.json" --refused
grep -q "fewer than 10" "$work/out-five/report.json" || { cat "$work/out-five/report.json"; fail "the refusal's reason is missing"; }
grep -q "Study refused" "$work/out-five/report.html" || fail "report.html does not show the refusal"
grep -q "Study refused by the analyzer: .*fewer than 10" "$work/five.log" || { cat "$work/five.log"; fail "the terminal does not show the refusal"; }
[ -s "$work/out-five/links.csv" ] || fail "links.csv was not written"
grep -q 'audit log verified' "$work/five.log" || fail "the audit log was not verified"

# pprl explain: two rows of the five people's exports, with a key of their own.
"$pprl" keygen --out "$work/site.key" >/dev/null
d=$src/tests/cli/testdata/five_people
out=$("$pprl" explain --key "$work/site.key" "$d/cases.csv:2" "$d/incidents.csv:3" 2>/dev/null)
grep -q "shared levels: full, first_initial, surname_dob, phonetic" <<<"$out" ||
  { echo "$out"; fail "explain does not show the shared levels"; }
out=$("$pprl" explain --key "$work/site.key" "$d/cases.csv:2" "$d/incidents.csv:8" 2>/dev/null)
grep -q "shared levels: none" <<<"$out" || { echo "$out"; fail "explain shares levels of two people"; }

# Usage errors exit 2.
rc=0
"$pprl" explain --key "$work/site.key" "$d/cases.csv:2" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "a usage error exits $rc, not 2"
rc=0
"$pprl" no-such-command >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "an unknown command exits $rc, not 2"
"$pprl" --help | grep -q "Exit status" || fail "pprl --help does not list the exit codes"

if pgrep -f "$work" >/dev/null; then
  echo "demo_newcomer_test: a daemon is still running"; pgrep -af "$work"; exit 1
fi
echo "demo_newcomer_test: passed"
