#!/usr/bin/env bash
# Crash test: uploads extracts while pprl-linker is killed with SIGKILL at random moments.
# After each restart, every extract whose upload was acknowledged is stored whole, nothing is
# partial or stored twice, and the signed audit log verifies against the checkpoint of the
# round before (it only grew).
# Usage: crash_test.sh BUILD_DIR SOURCE_DIR [ROUNDS]
set -euo pipefail
build=$1
src=$2
rounds=${3:-30}
pprl=$build/cli/pprl
linker_bin=$build/linker/pprl-linker
work=$(mktemp -d)
linker_pid=
cleanup() {
  [ -n "$linker_pid" ] && kill -9 "$linker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$src/deploy/make-dev-certs.sh" "$work/certs" >/dev/null
"$pprl" keygen --out "$work/site.key" >/dev/null
extracts=45
rows=3000
for i in $(seq 1 $extracts); do
  {
    echo "surname;initials;birth_date;incident_id;incident_date;category;role"
    for j in $(seq 1 $rows); do
      echo "Name$((j % 97));A.;$(( (j % 28) + 1 ))-$(( (i % 12) + 1 ))-19$(( 50 + j % 40 ));E$i-$j;2013-01-01;misdrijf;verdachte"
    done
  } >"$work/e$i.csv"
  "$pprl" pseudonymise --key "$work/site.key" --kind incidents --site police --threads 1 \
    "$work/e$i.csv" "$work/e$i.x" >/dev/null
done

start_linker() {
  rm -f "$work/port"
  "$linker_bin" --listen 127.0.0.1:0 --data-dir "$work/db" --tls-ca "$work/certs/ca.pem" \
    --tls-cert "$work/certs/linker.pem" --tls-key "$work/certs/linker.key" \
    --audit-signing-key "$work/certs/audit-log.key" \
    --allow-agent police=police:incidents --port-file "$work/port" 2>>"$work/linker.log" &
  linker_pid=$!
  for _ in $(seq 1 200); do
    [ -s "$work/port" ] && break
    sleep 0.025
  done
  [ -s "$work/port" ] || { echo "crash_test: linker did not start"; tail -5 "$work/linker.log"; exit 1; }
  addr="127.0.0.1:$(cat "$work/port")"
}

: >"$work/acked"
: >"$work/interrupted"
next=1
for round in $(seq 1 "$rounds"); do
  start_linker
  # Upload the next few extracts in the background; record the acknowledged ones.
  (
    for i in $(seq "$next" $((next + 2))); do
      [ "$i" -le $extracts ] || break
      if out=$("$pprl" upload --linker "$addr" --certs "$work/certs" --as agent-police \
               --client-id "e$i" "$work/e$i.x" 2>/dev/null); then
        echo "e$i $(echo "$out" | grep -o 'X[0-9a-f]\{16\}' | head -1)" >>"$work/acked"
      else
        echo "e$i" >>"$work/interrupted"
      fi
    done
  ) &
  uploader=$!
  sleep "0.$(printf %02d $(( RANDOM % 30 + 2 )))"
  kill -9 "$linker_pid"
  wait "$linker_pid" 2>/dev/null || true
  linker_pid=
  wait "$uploader" 2>/dev/null || true
  next=$((next + 2))
  [ $next -gt $((extracts - 2)) ] && next=1

  # Restart and check.
  start_linker
  list=$("$pprl" extracts list --linker "$addr" --certs "$work/certs" --as auditor)
  while read -r client extract_id; do
    grep -q "^$extract_id .* $rows records  client id $client\$" <<<"$list" ||
      { echo "crash_test: round $round: acknowledged $client ($extract_id) is missing"; echo "$list"; exit 1; }
  done <"$work/acked"
  listed=$(echo "$list" | grep -c ' records  client id ' || true)
  doubles=$(echo "$list" | awk '/client id/ {print $NF}' | sort | uniq -d | wc -l)
  [ "$doubles" -eq 0 ] || { echo "crash_test: round $round: an extract is stored twice"; exit 1; }
  report=$("$pprl" link --linker "$addr" --certs "$work/certs" --as auditor)
  stored=$(echo "$report" | awk '/^records:/ {print $4}')
  [ "$stored" -eq $((listed * rows)) ] ||
    { echo "crash_test: round $round: $stored records stored for $listed extracts of $rows: partial extract"; exit 1; }
  # Against the auditor's checkpoint of the round before: the signed log only grew.
  "$pprl" audit verify --linker "$addr" --certs "$work/certs" --as auditor \
    --checkpoint "$work/audit-checkpoint.json" >"$work/verify.out" 2>&1 ||
    { cat "$work/verify.out"; echo "crash_test: round $round: the audit log does not verify"; exit 1; }
  kill -9 "$linker_pid"
  wait "$linker_pid" 2>/dev/null || true
  linker_pid=
done
interrupted=$(wc -l <"$work/interrupted")
[ "$interrupted" -gt 0 ] || { echo "crash_test: no upload was interrupted: the test proved nothing"; exit 1; }
echo "crash_test: $rounds rounds of SIGKILL, $interrupted uploads cut off; $(sort -u "$work/acked" | wc -l) acknowledged extracts all complete, $listed stored, none partial or doubled"
