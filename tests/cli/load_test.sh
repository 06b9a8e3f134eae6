#!/usr/bin/env bash
# Load: 25 Veiligheidshuis agents (one per region, each with its own certificate) and the
# police agent submit at once, while an auditor links and two analysts run studies over and
# over. Nothing may be lost, every call must be answered or refused cleanly, every daemon must
# still run, and memory stays bounded. Prints the figures.
# Usage: load_test.sh BUILD_DIR SOURCE_DIR [REGIONS]
set -euo pipefail
build=$1
src=$2
regions=${3:-25}
pprl=$build/cli/pprl
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "load_test: $*"; exit 1; }
# tls SERVER [CLIENT]: a daemon's server certificate and, for its calls to the linker, a client one.
tls() {
  echo --tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/$1.pem" --tls-key "$work/certs/$1.key" \
    --tls-crl "$work/certs/crl.pem"
  [ -z "${2:-}" ] || echo --tls-client-cert "$work/certs/$2.pem" --tls-client-key "$work/certs/$2.key"
}
as() { echo --certs "$work/certs" --as "$1"; }

"$src/deploy/make-dev-certs.sh" "$work/certs" >/dev/null
# Per region: the agent's server and client certificates and an officer's, from the same
# development CA; the linker allows each region's agent to upload cases for its region.
grants=(--allow-agent police=police:incidents,convictions)
for r in $(seq -w 1 "$regions"); do
  "$src/deploy/make-dev-certs.sh" --issue "$work/certs" "agent-r$r-server" agent "vh-region-$r" server
  "$src/deploy/make-dev-certs.sh" --issue "$work/certs" "agent-r$r" agent "vh-region-$r" client
  "$src/deploy/make-dev-certs.sh" --issue "$work/certs" "officer-r$r" data-officer "officer-region-$r" client
  grants+=(--allow-agent "vh-region-$r=vh-region-$r:cases")
done
"$pprl" keygen --out "$work/site.key" >/dev/null
"$pprl" synth --out "$work/data" --people 40000 --cases 1000 --seed 3 >/dev/null
# Each region's case file: every regions-th case.
head -1 "$work/data/cases.csv" >"$work/header"
for r in $(seq -w 1 "$regions"); do cp "$work/header" "$work/cases-r$r.csv"; done
tail -n +2 "$work/data/cases.csv" | awk -v n="$regions" -v dir="$work" \
  '{ f = sprintf("%s/cases-r%02d.csv", dir, (NR - 1) % n + 1); print >> f }'
case_rows=$(( $(wc -l <"$work/data/cases.csv") - 1 ))

wait_port() { for _ in $(seq 1 400); do [ -s "$1" ] && return 0; sleep 0.025; done; die "a daemon did not start ($1)"; }
"$build/linker/pprl-linker" --listen 127.0.0.1:0 --port-file "$work/linker.port" --data-dir "$work/db" \
  $(tls linker) "${grants[@]}" 2>"$work/linker.log" &
linker_pid=$!
pids+=($linker_pid)
wait_port "$work/linker.port"
linker=127.0.0.1:$(cat "$work/linker.port")
"$build/analyzer/pprl-analyzer" --listen 127.0.0.1:0 --port-file "$work/analyzer.port" --linker "$linker" \
  $(tls analyzer-server analyzer) 2>"$work/analyzer.log" &
analyzer_pid=$!
pids+=($analyzer_pid)
start_agent() {  # name cert site kind officer
  "$build/agent/pprl-agent" --listen 127.0.0.1:0 --port-file "$work/$1.port" --spool-dir "$work/spool-$1" \
    --site "$3" --site-kind "$4" --key-file "$work/site.key" --linker "$linker" $(tls "$2-server" "$2") \
    --officer "$5" 2>"$work/$1.log" &
  pids+=($!)
}
start_agent police agent-police police police officer-police
for r in $(seq -w 1 "$regions"); do
  start_agent "r$r" "agent-r$r" "vh-region-$r" veiligheidshuis "officer-region-$r"
done
wait_port "$work/analyzer.port"
wait_port "$work/police.port"
for r in $(seq -w 1 "$regions"); do wait_port "$work/r$r.port"; done
analyzer=127.0.0.1:$(cat "$work/analyzer.port")

# Everyone at once.
start=$(date +%s.%N)
sub_pids=()
for r in $(seq -w 1 "$regions"); do
  "$pprl" submit --agent "127.0.0.1:$(cat "$work/r$r.port")" --site "vh-region-$r" --kind cases "$work/cases-r$r.csv" \
    $(as "officer-r$r") >"$work/submit-r$r.out" 2>&1 &
  sub_pids+=($!)
done
for k in incidents convictions; do
  "$pprl" submit --agent "127.0.0.1:$(cat "$work/police.port")" --site police --kind $k "$work/data/$k.csv" \
    $(as officer-police) >"$work/submit-$k.out" 2>&1 &
  sub_pids+=($!)
done
# The auditor links and two analysts ask, over and over, until the submissions are done.
: >"$work/calls"
analyst_loop() {
  local i=0
  while [ ! -e "$work/submitted" ]; do
    i=$((i + 1))
    if "$pprl" link --linker "$linker" $(as auditor) >/dev/null 2>"$work/link-$1-$i.err"; then
      echo "link ok" >>"$work/calls"
    else
      echo "link failed: $(tail -1 "$work/link-$1-$i.err")" >>"$work/calls"
    fi
    if "$pprl" analyze --analyzer "$analyzer" $(as analyst) >/dev/null 2>"$work/an-$1-$i.err"; then
      echo "analyze ok" >>"$work/calls"
    else
      echo "analyze refused: $(tail -1 "$work/an-$1-$i.err")" >>"$work/calls"
    fi
  done
}
analyst_loop a &
loop_a=$!
analyst_loop b &
loop_b=$!
failed=0
for p in "${sub_pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
end=$(date +%s.%N)
touch "$work/submitted"
wait "$loop_a" "$loop_b"
[ "$failed" -eq 0 ] || { cat "$work"/submit-*.out | grep -v '^ ' | tail -20; die "$failed submissions failed"; }

# Every call was answered or refused cleanly: a refusal names a reason an analyst can act on.
bad=$(grep -v -E '^(link ok|analyze ok|analyze refused: pprl: (refused: |the extracts changed since the last link run|the linker linked again|no link run yet|the linker: no link run yet))' "$work/calls" || true)
[ -z "$bad" ] || { echo "$bad" | head; die "calls failed other than by a clean refusal"; }
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || die "a daemon died under load"; done

# Nothing lost: every region's extract whole, the police's too, none twice.
list=$("$pprl" extracts list --linker "$linker" $(as auditor))
n=$(grep -c ' records ' <<<"$list")
[ "$n" -eq $((regions + 2)) ] || { echo "$list"; die "$n extracts stored, $((regions + 2)) submitted"; }
stored_cases=$(awk '/  cases  / {s += $4} END {print s}' <<<"$list")
[ "$stored_cases" -eq "$case_rows" ] || die "$stored_cases case records stored of $case_rows"
for k in incidents convictions; do
  rows=$(( $(wc -l <"$work/data/$k.csv") - 1 ))
  grep -q "  $k  $rows records " <<<"$list" || die "the $k extract is not whole ($rows rows)"
done
"$pprl" link --linker "$linker" $(as auditor) >/dev/null
"$pprl" analyze --analyzer "$analyzer" $(as analyst) --json "$work/report.json" >/dev/null 2>"$work/final.err" ||
  grep -q "refused" "$work/final.err" || die "the final analysis failed: $(cat "$work/final.err")"
"$pprl" audit verify --linker "$linker" $(as auditor) >/dev/null || die "the audit chain does not verify"

# Memory: peak resident sizes.
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
agents_max=0
for p in "${pids[@]:2}"; do m=$(hwm "$p"); [ "$m" -gt "$agents_max" ] && agents_max=$m; done
linker_mb=$(hwm "$linker_pid")
analyzer_mb=$(hwm "$analyzer_pid")
[ "$linker_mb" -lt 2048 ] || die "the linker peaked at $linker_mb MB"
[ "$analyzer_mb" -lt 2048 ] || die "the analyzer peaked at $analyzer_mb MB"
[ "$agents_max" -lt 1024 ] || die "an agent peaked at $agents_max MB"
police_rows=$(( $(wc -l <"$work/data/incidents.csv") + $(wc -l <"$work/data/convictions.csv") - 2 ))
echo "load_test: $regions regional agents + the police agent submitted $case_rows case rows and $police_rows police rows at once in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s, beside $(grep -c '^link' "$work/calls") link runs and $(grep -c '^analyze' "$work/calls") studies ($(grep -c '^analyze ok' "$work/calls") released, $(grep -c '^analyze refused' "$work/calls") refused cleanly); nothing lost; peak memory: linker $linker_mb MB, analyzer $analyzer_mb MB, largest agent $agents_max MB"
