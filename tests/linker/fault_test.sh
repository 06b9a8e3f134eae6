#!/usr/bin/env bash
# Fault test: SIGKILL of agents, the linker and the analyzer at random points during
# submissions, linkage and analysis (the upload-only crash test is crash_test.sh). After every
# restart: each acknowledged extract is stored whole and once, the links equal a clean run's,
# the report equals a clean run's, and the signed audit log verifies against the auditor's
# checkpoint of the round before (it only grew).
# Usage: fault_test.sh BUILD_DIR SOURCE_DIR [ROUNDS_PER_KIND]   (5 kinds of fault)
set -euo pipefail
build=$1
src=$2
rounds=${3:-6}
name=fault_test
# work, certificates, site key, cleanup, say/die, tls, grants, as, start, stop.
source "$src/tests/linker/e2e_daemons.sh"
"$pprl" synth --out "$work/data" --people 8000 --cases 120 --seed 5 >/dev/null
crash() {  # SIGKILL
  kill -9 "${pid[$1]}" 2>/dev/null || true
  wait "${pid[$1]}" 2>/dev/null || true
  unset "pid[$1]"
}
start_linker() { start linker "$build/linker/pprl-linker" --data-dir "$work/$1" $(tls linker) $grants; }
submit() {  # agent officer kind file
  local site=police
  [ "$2" = officer-vh ] && site=veiligheidshuis
  "$pprl" submit --agent "$1" --site "$site" --kind "$3" "$work/data/$4" $(as "$2") >"$work/submit.out" 2>&1
}
submit_all() {
  submit "$agent_vh" officer-vh cases cases.csv &&
    submit "$agent_police" officer-police incidents incidents.csv &&
    submit "$agent_police" officer-police convictions convictions.csv
}
links() { "$pprl" links --out "$1" --linker "$linker" $(as auditor) >/dev/null; }
analyze() { "$pprl" analyze --analyzer "$analyzer" $(as analyst) --json "$1" >/dev/null 2>"$work/analyze.err"; }
verify_audit() {
  "$pprl" audit verify --linker "$linker" $(as auditor) --checkpoint "$work/audit-checkpoint.json" \
    >"$work/verify.out" 2>&1 || { cat "$work/verify.out"; die "round $1: the signed audit log does not verify against the last checkpoint"; }
}
# Every kind stored once, whole (the clean run's record counts).
check_extracts() {
  local list
  list=$("$pprl" extracts list --linker "$linker" $(as auditor))
  for kind in cases incidents convictions; do
    local n
    n=$(grep -c " $kind " <<<"$list" || true)
    [ "$n" -le 1 ] || die "round $1: $n $kind extracts (doubled)"
    if [ "$n" -eq 1 ]; then
      grep -q "  $kind  ${expected[$kind]} records " <<<"$list" || die "round $1: the $kind extract is partial: $list"
    fi
  done
}
rand_sleep() { sleep "0.$(printf %03d $(( RANDOM % ${1:-400} + 10 )))"; }

# The clean run: what every faulty run must end with.
start_linker db-clean
start_analyzer
start_agent police
start_agent vh
submit_all || die "clean submissions failed: $(cat "$work/submit.out")"
declare -A expected
while read -r kind n; do expected[$kind]=$n; done < <("$pprl" extracts list --linker "$linker" $(as auditor) | awk '/ records / {print $3, $4}')
"$pprl" link --linker "$linker" $(as auditor) >/dev/null
links "$work/links-clean.csv"
analyze "$work/report-clean.json" || die "the clean analysis failed: $(cat "$work/analyze.err")"
for d in agent-police agent-vh analyzer linker; do crash "$d"; done
[ -n "${expected[incidents]:-}" ] && [ -n "${expected[cases]:-}" ] || die "could not read the clean extract sizes"

# The faulty run, on a fresh store.
start_linker db
start_analyzer
start_agent police
start_agent vh
kills=0
cut=0  # operations the kill really interrupted (they failed)

say "1. agents killed while submitting ($rounds rounds)"
for round in $(seq 1 "$rounds"); do
  submit "$agent_police" officer-police incidents incidents.csv &
  sub=$!
  rand_sleep 300
  crash agent-police
  kills=$((kills + 1))
  wait "$sub" || cut=$((cut + 1))
  start_agent police  # removes what a crash left in its spool
  check_extracts "agent $round"
  [ -z "$(ls -A "$work/spool-police")" ] || die "round $round: the agent's spool kept an export"
done

say "2. the linker killed while agents upload ($rounds rounds)"
for round in $(seq 1 "$rounds"); do
  submit "$agent_vh" officer-vh cases cases.csv &
  sub=$!
  rand_sleep 250
  crash linker
  kills=$((kills + 1))
  wait "$sub" || cut=$((cut + 1))
  start_linker db
  for a in police vh; do crash "agent-$a"; start_agent "$a"; done  # they call the new port
  crash analyzer
  start_analyzer
  check_extracts "linker-upload $round"
  verify_audit "linker-upload $round"
done
# Now everything goes in (idempotent where it was acknowledged before).
submit_all || die "submissions after the crashes failed: $(cat "$work/submit.out")"
check_extracts final
for kind in cases incidents convictions; do
  grep -q " $kind " <<<"$("$pprl" extracts list --linker "$linker" $(as auditor))" || die "no $kind extract"
done

say "3. the linker killed while linking ($rounds rounds)"
for round in $(seq 1 "$rounds"); do
  "$pprl" link --linker "$linker" $(as auditor) >/dev/null 2>&1 &
  job=$!
  rand_sleep 200
  crash linker
  kills=$((kills + 1))
  wait "$job" || cut=$((cut + 1))
  start_linker db
  verify_audit "link $round"
done
"$pprl" link --linker "$linker" $(as auditor) >/dev/null
links "$work/links.csv"
cmp -s <(sort "$work/links-clean.csv") <(sort "$work/links.csv") || die "the links differ from the clean run's"
crash analyzer
start_analyzer

say "4. the analyzer killed while analysing ($rounds rounds)"
for round in $(seq 1 "$rounds"); do
  analyze "$work/partial.json" &
  job=$!
  rand_sleep 300
  crash analyzer
  kills=$((kills + 1))
  wait "$job" || cut=$((cut + 1))
  start_analyzer
done

say "5. the linker killed while the analyzer reads from it ($rounds rounds)"
for round in $(seq 1 "$rounds"); do
  analyze "$work/partial.json" &
  job=$!
  rand_sleep 300
  crash linker
  kills=$((kills + 1))
  wait "$job" || cut=$((cut + 1))
  start_linker db
  crash analyzer
  start_analyzer
  verify_audit "analysis $round"
done
analyze "$work/report.json" || die "the analysis after the crashes failed: $(cat "$work/analyze.err")"
# Each report names its own entry in the signed audit log ("audit"); the figures must be equal.
"$pprl" audit check-report "$work/report.json" --log-key "$work/certs/audit-log.pub.pem" >/dev/null ||
  die "the report is not the one in the signed audit log"
figures() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r.pop("audit"); print(json.dumps(r, indent=1, sort_keys=True))' "$1"; }
cmp -s <(figures "$work/report-clean.json") <(figures "$work/report.json") || {
  diff <(figures "$work/report-clean.json") <(figures "$work/report.json") | head -20
  die "the report differs from the clean run's"
}
check_extracts end
verify_audit end
[ "$cut" -gt 0 ] || die "no operation was interrupted: the test proved nothing"
say "$kills SIGKILLs over 5 kinds of fault, $cut operations cut off; extracts whole and single, links and report equal to a clean run's, signed audit log only grew"
