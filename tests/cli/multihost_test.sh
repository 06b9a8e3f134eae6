#!/usr/bin/env bash
# Multi-host: the linker, the analyzer and the two sites' agents each in a network namespace
# of their own, joined by veth pairs to a bridge in a fifth namespace (a private 10.77.0.0/24
# that exists only inside the test), so the sites really talk over a network. Officers submit
# from their site's namespace, the auditor links from the linker's, the analyst asks from the
# analyzer's. The report must equal that of the same data, key and certificates on loopback.
# Needs root for `ip netns`; exits 77 (skipped) otherwise.
# Usage: multihost_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
pprl=$build/cli/pprl
work=$(mktemp -d)
tag=$$
hosts=(linker analyzer police vh)
declare -A addr=([linker]=10.77.0.1 [analyzer]=10.77.0.2 [police]=10.77.0.3 [vh]=10.77.0.4)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for h in "${hosts[@]}" sw; do ip netns del "pprl-$h-$tag" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
die() { echo "multihost_test: $*"; for f in "$work"/*.log; do [ -f "$f" ] && { echo "== $f"; tail -3 "$f"; }; done; exit 1; }

if ! ip netns add "pprl-sw-$tag" 2>/dev/null; then
  echo "multihost_test: skipped (cannot create network namespaces here: needs root)"
  exit 77
fi
ns() { echo "pprl-$1-$tag"; }
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
ip -n "$(ns sw)" link add br0 type bridge
ip -n "$(ns sw)" link set br0 up
for h in "${hosts[@]}"; do
  ip netns add "$(ns "$h")"
  ip link add "v$h$tag" type veth peer name "p$h$tag"
  ip link set "v$h$tag" netns "$(ns "$h")"
  ip link set "p$h$tag" netns "$(ns sw)"
  ip -n "$(ns sw)" link set "p$h$tag" master br0 up
  ip -n "$(ns "$h")" link set "v$h$tag" name eth0
  ip -n "$(ns "$h")" addr add "${addr[$h]}/24" dev eth0
  ip -n "$(ns "$h")" link set eth0 up
  ip -n "$(ns "$h")" link set lo up
done

"$src/deploy/make-dev-certs.sh" "$work/certs" "${addr[@]}" >/dev/null
"$pprl" keygen --out "$work/site.key" >/dev/null
# As many cases as the reference study: some are unknown to the police, so the linked counts
# are not "all of the cohort" and the incident analysis is released (issue 12, F3).
"$pprl" synth --out "$work/data" --people 8000 --cases 213 --seed 9 --effect -0.25 >/dev/null
# tls SERVER [CLIENT]: a daemon's server certificate and, for its calls to the linker, a client one.
tls() {
  echo --tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/$1.pem" --tls-key "$work/certs/$1.key" \
    --tls-crl "$work/certs/crl.pem"
  [ -z "${2:-}" ] || echo --tls-client-cert "$work/certs/$2.pem" --tls-client-key "$work/certs/$2.key"
}
as() { echo --certs "$work/certs" --as "$1"; }
wait_port() {
  for _ in $(seq 1 400); do [ -s "$1" ] && return 0; sleep 0.025; done
  die "a daemon did not start ($1)"
}

# run PREFIX HOST_OF(role) ...: the whole study; HOST_OF maps a role to its namespace and
# address, or to loopback when PREFIX is "loop".
run() {
  local mode=$1 out=$2
  local l a p v
  exec_on() { if [ "$mode" = net ]; then in_ns "$@"; else shift; "$@"; fi; }
  # A daemon in the background whose pid is $! (the subshell becomes it).
  spawn() { (if [ "$mode" = net ]; then exec ip netns exec "$(ns "$1")" "${@:2}"; else exec "${@:2}"; fi) & }
  host() { if [ "$mode" = net ]; then echo "${addr[$1]}"; else echo 127.0.0.1; fi; }
  rm -f "$work"/*.port
  spawn linker "$build/linker/pprl-linker" --listen "$(host linker):0" --port-file "$work/linker.port" \
    --data-dir "$work/db-$mode" $(tls linker) --allow-agent police=police:incidents,convictions \
    --allow-agent veiligheidshuis=veiligheidshuis:cases 2>"$work/linker-$mode.log"
  pids+=($!)
  wait_port "$work/linker.port"
  l="$(host linker):$(cat "$work/linker.port")"
  spawn analyzer "$build/analyzer/pprl-analyzer" --listen "$(host analyzer):0" \
    --port-file "$work/analyzer.port" --linker "$l" $(tls analyzer-server analyzer) 2>"$work/analyzer-$mode.log"
  pids+=($!)
  for site in police vh; do
    local kind=police
    [ $site = vh ] && kind=veiligheidshuis
    spawn $site "$build/agent/pprl-agent" --listen "$(host $site):0" --port-file "$work/$site.port" \
      --spool-dir "$work/spool-$site-$mode" --site $kind --site-kind $kind --key-file "$work/site.key" \
      --linker "$l" $(tls agent-$site-server agent-$site) --officer officer-$site 2>"$work/agent-$site-$mode.log"
    pids+=($!)
  done
  for f in analyzer police vh; do wait_port "$work/$f.port"; done
  a="$(host analyzer):$(cat "$work/analyzer.port")"
  p="$(host police):$(cat "$work/police.port")"
  v="$(host vh):$(cat "$work/vh.port")"
  exec_on vh "$pprl" submit --agent "$v" --site veiligheidshuis --kind cases "$work/data/cases.csv" $(as officer-vh) >/dev/null ||
    die "$mode: the cases submission failed"
  for k in incidents convictions; do
    exec_on police "$pprl" submit --agent "$p" --site police --kind $k "$work/data/$k.csv" $(as officer-police) >/dev/null ||
      die "$mode: the $k submission failed"
  done
  exec_on linker "$pprl" link --linker "$l" $(as auditor) >/dev/null || die "$mode: linking failed"
  exec_on analyzer "$pprl" analyze --analyzer "$a" $(as analyst) --json "$out" >/dev/null ||
    die "$mode: the analysis failed"
  exec_on linker "$pprl" audit verify --linker "$l" $(as auditor) >/dev/null || die "$mode: the audit log does not verify"
  # Each site's agent talked to the linker over the bridge, not loopback.
  if [ "$mode" = net ]; then
    grep -q "\"linker\":\"${addr[linker]}:" "$work/agent-police-net.log" || die "the police agent did not use the network address"
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

run net "$work/report-net.json"
run loop "$work/report-loop.json"
python3 "$src/tests/cli/check_report.py" "$work/report-net.json" --comparison >/dev/null || die "the report does not match the schema"
# Each report names its own run's audit entry ("audit"); the figures must be equal.
figures() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r.pop("audit"); print(json.dumps(r, indent=1, sort_keys=True))' "$1"; }
cmp -s <(figures "$work/report-net.json") <(figures "$work/report-loop.json") || {
  diff <(figures "$work/report-loop.json") <(figures "$work/report-net.json") | head -20
  die "the report over the network differs from the one on loopback"
}
echo "multihost_test: linker ${addr[linker]}, analyzer ${addr[analyzer]}, police ${addr[police]}, veiligheidshuis ${addr[vh]} in separate namespaces: the same report as on loopback"
