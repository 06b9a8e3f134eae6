#!/usr/bin/env bash
# Full disk: the linker's data directory on a small tmpfs the test mounts. An upload that
# does not fit is refused with a clear error and nothing stored; the linker keeps serving,
# what it held is intact, the audit chain verifies, and once space is freed the same upload
# goes in. Needs root for the mount; exits 77 (skipped) otherwise.
# Usage: full_disk_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
pprl=$build/cli/pprl
work=$(mktemp -d)
linker_pid=
cleanup() {
  if [ -n "$linker_pid" ]; then
    kill -9 "$linker_pid" 2>/dev/null || true
    wait "$linker_pid" 2>/dev/null || true  # its files must be closed before the unmount
  fi
  if mountpoint -q "$work/mnt" 2>/dev/null; then
    umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "full_disk_test: $*"; tail -5 "$work/linker.log"; exit 1; }
mkdir "$work/mnt"
if ! mount -t tmpfs -o size=24m tmpfs "$work/mnt" 2>/dev/null; then
  echo "full_disk_test: skipped (cannot mount a tmpfs here: needs root)"
  exit 77
fi
"$src/deploy/make-dev-certs.sh" "$work/certs" >/dev/null
"$pprl" keygen --out "$work/site.key" >/dev/null
"$pprl" synth --out "$work/data" --people 8000 --cases 120 --seed 5 >/dev/null
for k in cases incidents; do
  "$pprl" pseudonymise --key "$work/site.key" --kind $k --site police "$work/data/$k.csv" "$work/$k.x" >/dev/null
done
"$build/linker/pprl-linker" --listen 127.0.0.1:0 --port-file "$work/port" --data-dir "$work/mnt/db" \
  --min-free-mb 4 --tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/linker.pem" \
  --tls-key "$work/certs/linker.key" --allow-agent police=police:cases,incidents 2>"$work/linker.log" &
linker_pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.025; done
linker=127.0.0.1:$(cat "$work/port")
as() { echo --linker "$linker" --certs "$work/certs" --as "$1"; }

"$pprl" upload $(as agent-police) "$work/cases.x" >/dev/null || die "the first upload failed"
# Leave about 8 MB free: the incidents (35,000 records) need more than that beside the reserve.
free_kb=$(df -k --output=avail "$work/mnt" | tail -1)
dd if=/dev/zero of="$work/mnt/filler" bs=1k count=$((free_kb - 8 * 1024)) status=none
if out=$("$pprl" upload $(as agent-police) "$work/incidents.x" 2>&1); then
  die "an upload onto a full disk was accepted: $out"
fi
grep -q "disk is full" <<<"$out" || die "the refusal does not say the disk is full: $out"
echo "full_disk_test: refused as it should be: $out"
kill -0 "$linker_pid" 2>/dev/null || die "the linker died"
list=$("$pprl" extracts list $(as auditor))
grep -q "  cases  120 records " <<<"$list" || die "the stored extract is damaged: $list"
grep -q "  incidents  " <<<"$list" && die "part of the refused upload is listed: $list"
"$pprl" audit verify $(as auditor) >/dev/null || die "the audit chain does not verify"
"$pprl" link $(as auditor) >/dev/null || die "linking on a full disk failed"

rm "$work/mnt/filler"
"$pprl" upload $(as agent-police) "$work/incidents.x" >/dev/null || die "the upload failed after space was freed"
list=$("$pprl" extracts list $(as auditor))
rows=$(( $(wc -l <"$work/data/incidents.csv") - 1 ))
grep -q "  incidents  $rows records " <<<"$list" || die "the incidents are not whole ($rows rows): $list"
"$pprl" audit verify $(as auditor) >/dev/null || die "the audit chain does not verify at the end"
kill -0 "$linker_pid" 2>/dev/null || die "the linker died"
! grep -qi "assert\|abort" "$work/linker.log" || die "the linker's log shows an abort"
echo "full_disk_test: passed"
