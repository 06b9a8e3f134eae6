# Sourced by the end-to-end tests of issue 13 (links_explain_e2e_test.sh,
# stable_subject_ids_e2e_test.sh) and by fault_test.sh (which redefines start_linker and
# submit for its own use): real daemons on 127.0.0.1 port 0 with the development
# certificates, a real RocksDB store on disk, the real `pprl` CLI. The caller sets `build`,
# `src` and `name` (the test's name, for messages) before sourcing; this file makes `work`, the
# certificates and a site key, and a trap that kills every daemon it started and removes
# `work`, on success and on failure alike.
pprl=$build/cli/pprl
work=$(mktemp -d)
declare -A pid=()
cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "$name: $*"; }
die() {
  say "FAILED: $*"
  for f in "$work"/logs/*.log; do [ -e "$f" ] && { echo "== $f"; tail -5 "$f"; }; done
  exit 1
}

"$src/deploy/make-dev-certs.sh" "$work/certs" >/dev/null
"$pprl" keygen --out "$work/site.key" >/dev/null
mkdir -p "$work/logs"
# tls SERVER [CLIENT]: a daemon's server certificate and, for its calls to the linker, a client one.
tls() {
  echo --tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/$1.pem" --tls-key "$work/certs/$1.key" \
    --tls-crl "$work/certs/crl.pem"
  [ -z "${2:-}" ] || echo --tls-client-cert "$work/certs/$2.pem" --tls-client-key "$work/certs/$2.key"
}
grants="--allow-agent police=police:incidents,convictions --allow-agent veiligheidshuis=veiligheidshuis:cases"
as() { echo --certs "$work/certs" --as "$1"; }

# start NAME BINARY ARGS...: starts a daemon on 127.0.0.1:0, waits for its port file and sets
# $NAME (dashes as underscores) to its address.
start() {
  local n=$1 bin=$2
  shift 2
  rm -f "$work/$n.port"
  "$bin" --listen 127.0.0.1:0 --port-file "$work/$n.port" "$@" 2>>"$work/logs/$n.log" &
  pid[$n]=$!
  for _ in $(seq 1 400); do
    [ -s "$work/$n.port" ] && break
    kill -0 "${pid[$n]}" 2>/dev/null || die "$n exited at start"
    sleep 0.025
  done
  [ -s "$work/$n.port" ] || die "$n did not start"
  eval "${n//-/_}=127.0.0.1:$(cat "$work/$n.port")"
}
# stop NAME: SIGTERM, and the daemon must exit cleanly (status 0) within 10 s.
stop() {
  local p=${pid[$1]} rc=0
  kill -TERM "$p"
  for _ in $(seq 1 400); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.025
  done
  kill -0 "$p" 2>/dev/null && die "$1 did not stop on SIGTERM"
  wait "$p" || rc=$?
  unset "pid[$1]"
  [ "$rc" -eq 0 ] || die "$1 exited with status $rc on SIGTERM"
}
start_linker() {
  start linker "$build/linker/pprl-linker" --data-dir "$work/db" $(tls linker) \
    --audit-signing-key "$work/certs/audit-log.key" $grants
}
start_agent() {  # police | vh
  local site=police
  [ "$1" = vh ] && site=veiligheidshuis
  start "agent-$1" "$build/agent/pprl-agent" --spool-dir "$work/spool-$1" --site "$site" \
    --site-kind "$site" --key-file "$work/site.key" --linker "$linker" \
    $(tls "agent-$1-server" "agent-$1") --officer "officer-$1"
}
start_analyzer() {
  start analyzer "$build/analyzer/pprl-analyzer" --linker "$linker" $(tls analyzer-server analyzer)
}
# submit police|vh KIND FILE: the data officer hands an export to the site's agent; prints the
# extract id from the linker's receipt.
submit() {
  local agent=$agent_police site=police officer=officer-police out
  if [ "$1" = vh ]; then agent=$agent_vh site=veiligheidshuis officer=officer-vh; fi
  out=$("$pprl" submit --agent "$agent" --site "$site" --kind "$2" "$3" $(as "$officer") 2>&1) ||
    die "submitting $3 failed: $out"
  grep -o 'X[0-9a-f]\{16\}' <<<"$out" | head -1 | grep . || die "no extract id in: $out"
}
link() { "$pprl" link --linker "$linker" $(as auditor) || die "pprl link failed"; }
# links FILE [--explain]: links.csv as the auditor; prints what the command printed.
links() {
  local f=$1
  shift
  "$pprl" links --out "$f" "$@" --linker "$linker" $(as auditor) || die "pprl links failed"
}
# subject_of LINKS_CSV SOURCE RECORD_ID: the subject id of one record (empty if absent).
subject_of() { awk -F, -v s="$2" -v r="$3" '$2 == s && $3 == r {print $1}' "$1"; }
# all_stopped: after the test stopped its daemons, none of them is left running.
all_stopped() {
  [ "${#pid[@]}" -eq 0 ] || die "daemons left running: ${!pid[*]}"
  ! pgrep -f "$work" >/dev/null || die "a process of this test is still running: $(pgrep -af "$work")"
}
