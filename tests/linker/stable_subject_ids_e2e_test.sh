#!/usr/bin/env bash
# Issue 13, stable subject ids, end to end: real agents, the real linker over mutual TLS on a
# real RocksDB store, the `pprl` CLI. Five people with cases (one of them, outside linkage case
# 01, linked to the police only probabilistically), then:
#   1. link: note every case's subject id (links.csv);
#   2. a second cases extract (another case of an existing person, a new person) and a second
#      police extract (a record of an existing person, the new person's incident): relink;
#      every earlier subject keeps its id, the new person gets a new one;
#   3. the first cases extract is withdrawn: relink; the subject still holding a case keeps
#      its id although its smallest member (which its id was derived from) is gone;
#   4. an idle relink, then the site submits its corrected cases extract: relink; every person
#      whose police records stayed gets its old id back (its members carried it all along),
#      and so does the person the police do not know (c8: only its case carried the id, which
#      the linker keeps while the case file is away; else the ids would tell who is linked);
#   5. the linker stopped with SIGTERM and started on the same store: links.csv and the report
#      are unchanged, before and after another link run.
# Usage: stable_subject_ids_e2e_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
name=stable_subject_ids_e2e
source "$src/tests/linker/e2e_daemons.sh"

d=$work/data
mkdir -p "$d"
case01=$src/tests/core/testdata/cases/linkage/01-surname-letter-substituted
cases_header=$(head -1 "$case01/cases.csv")
# Person 1 is outside linkage case 01 (the police spell the surname with another letter).
{
  echo "$cases_header"
  tail -n +2 "$case01/cases.csv"
  echo "c2,Dekker,Kees,1964-10-02,m,risicoburger,2013-06-01,3,6,0,1,1"
  echo "c3,Jansen,Pieter,1971-03-05,m,risicoburger,2013-05-01,2,4,1,1,0"
  echo "c4,Bakker,Sanne,1988-07-21,v,risicoburger,2013-04-01,1,3,0,0,1"
  echo "c5,Vries,Anna,1990-01-30,v,risicoburger,2013-07-01,4,5,1,0,1"
  echo "c8,Visser,Lotte,1979-04-14,v,jeugd,2013-03-01,1,2,0,0,0"
} >"$d/cases.csv"
{
  head -1 "$case01/incidents.csv"
  tail -n +2 "$case01/incidents.csv"
  echo "i2,Dekker,Kees,1964-10-02,2013-02-01,misdrijf,verdachte"
  echo "i3,Jansen,Pieter,1971-03-05,2013-01-15,misdrijf,verdachte"
  echo "i3b,Jansen,Pieter,1971-03-05,2013-08-15,overlast,verdachte"
  echo "i9,Smit,Willem,1975-05-05,2013-03-03,misdrijf,verdachte"
} >"$d/incidents.csv"
{
  head -1 "$case01/convictions.csv"
  echo "v5,Vries,Anna,1990-01-30,2013-09-01,winkeldiefstal"
} >"$d/convictions.csv"
# Step 2's extracts.
{
  echo "$cases_header"
  echo "c6,Jansen,Pieter,1971-03-05,m,hic,2013-10-01,1,2,0,1,0"
  echo "c7,Mulder,Eva,1982-12-12,v,risicoburger,2013-10-01,2,3,1,1,1"
} >"$d/cases2.csv"
{
  head -1 "$case01/incidents.csv"
  echo "i10,Bakker,Sanne,1988-07-21,2013-09-09,misdrijf,verdachte"
  echo "i11,Mulder,Eva,1982-12-12,2013-09-10,misdrijf,verdachte"
} >"$d/incidents2.csv"
# Step 4's corrected cases extract: the same people, one case's attributes corrected.
sed 's/^c2,Dekker,Kees,1964-10-02,m,risicoburger,2013-06-01,3,/c2,Dekker,Kees,1964-10-02,m,risicoburger,2013-06-01,5,/' \
  "$d/cases.csv" >"$d/cases-corrected.csv"
! cmp -s "$d/cases.csv" "$d/cases-corrected.csv" || die "the corrected extract is not different"

start_linker
start_agent police
start_agent vh
cases1=$(submit vh cases "$d/cases.csv")
submit police incidents "$d/incidents.csv" >/dev/null
submit police convictions "$d/convictions.csv" >/dev/null

# 1. The first link run.
link >"$work/report1.txt"
links "$work/links1.csv" >/dev/null
declare -A id1
for c in c1 c2 c3 c4 c5; do
  id1[$c]=$(subject_of "$work/links1.csv" cases "$c")
  [ -n "${id1[$c]}" ] || die "run 1: case $c is not in links.csv"
done
[ "$(printf '%s\n' "${id1[@]}" | sort -u | wc -l)" -eq 5 ] || die "run 1: five people share subject ids"
# c8: a person the police do not know (unlinked), a subject of its own.
id8=$(subject_of "$work/links1.csv" cases c8)
[ -n "$id8" ] || die "run 1: case c8 is not in links.csv"
for c in c1 c2 c3 c4 c5; do [ "$id8" != "${id1[$c]}" ] || die "run 1: c8 shares $c's id"; done
[ "$(awk -F, -v s="$id8" '$1 == s' "$work/links1.csv" | wc -l)" -eq 1 ] ||
  die "run 1: c8's subject holds police records"
# The people are linked as they should be (case 01 by the probabilistic stage).
[ "$(subject_of "$work/links1.csv" incidents i1)" = "${id1[c1]}" ] ||
  die "run 1: outside case 01's incident is not linked to its case"
[ "$(subject_of "$work/links1.csv" incidents i2)" = "${id1[c2]}" ] || die "run 1: i2 not with c2"
[ "$(subject_of "$work/links1.csv" incidents i3b)" = "${id1[c3]}" ] || die "run 1: i3b not with c3"
[ "$(subject_of "$work/links1.csv" convictions v5)" = "${id1[c5]}" ] || die "run 1: v5 not with c5"
grep -q "^subjects that kept their id from the last link run: 0$" "$work/report1.txt" ||
  { cat "$work/report1.txt"; die "run 1: the report does not say that no subject kept an id"; }

# 2. Records added to existing people, and a new person.
cases2=$(submit vh cases "$d/cases2.csv")
submit police incidents "$d/incidents2.csv" >/dev/null
link >"$work/report2.txt"
links "$work/links2.csv" >/dev/null
for c in c1 c2 c3 c4 c5; do
  [ "$(subject_of "$work/links2.csv" cases "$c")" = "${id1[$c]}" ] ||
    die "run 2: case $c changed its subject id when extracts were added"
done
[ "$(subject_of "$work/links2.csv" cases c6)" = "${id1[c3]}" ] ||
  die "run 2: the second case of an existing person did not join its subject"
[ "$(subject_of "$work/links2.csv" incidents i10)" = "${id1[c4]}" ] ||
  die "run 2: the new police record of an existing person did not join its subject"
id7=$(subject_of "$work/links2.csv" cases c7)
[ -n "$id7" ] || die "run 2: the new person's case is not in links.csv"
for c in c1 c2 c3 c4 c5; do [ "$id7" != "${id1[$c]}" ] || die "run 2: the new person took $c's id"; done
[ "$(subject_of "$work/links2.csv" incidents i11)" = "$id7" ] || die "run 2: i11 not with c7"
[ "$(subject_of "$work/links2.csv" cases c8)" = "$id8" ] || die "run 2: c8 changed its subject id"
grep -q "^subjects that kept their id from the last link run: 6$" "$work/report2.txt" ||
  { cat "$work/report2.txt"; die "run 2: the report does not count the 6 subjects that kept their id"; }

# 3. The first cases extract is withdrawn (by the site, with its agent's certificate).
"$pprl" extracts withdraw "$cases1" --linker "$linker" $(as agent-vh) >/dev/null ||
  die "withdrawing $cases1 failed"
"$pprl" extracts list --linker "$linker" $(as auditor) | grep -q "^$cases1 .*WITHDRAWN" ||
  die "the withdrawn extract is not listed as withdrawn"
link >"$work/report3.txt"
links "$work/links3.csv" >/dev/null
for c in c1 c2 c3 c4 c5 c8; do
  [ -z "$(subject_of "$work/links3.csv" cases "$c")" ] || die "run 3: withdrawn case $c is still linked"
done
[ "$(subject_of "$work/links3.csv" cases c6)" = "${id1[c3]}" ] ||
  die "run 3: the subject that kept a case lost its id when its first case was withdrawn"
[ "$(subject_of "$work/links3.csv" incidents i3)" = "${id1[c3]}" ] || die "run 3: i3 left c3's subject"
[ "$(subject_of "$work/links3.csv" cases c7)" = "$id7" ] || die "run 3: the new person lost its id"
[ "$(cut -d, -f1 "$work/links3.csv" | tail -n +2 | sort -u | wc -l)" -eq 2 ] ||
  die "run 3: links.csv should hold exactly the two subjects that still hold a case"

# 4. An idle relink (nothing changed), then the site's corrected cases extract.
link >/dev/null
links "$work/links4.csv" >/dev/null
cmp -s "$work/links3.csv" "$work/links4.csv" || die "run 4: a relink without changes changed links.csv"
submit vh cases "$d/cases-corrected.csv" >/dev/null
link >"$work/report5.txt"
links "$work/links5.csv" >/dev/null
# Every person whose police records stayed gets its old id back; c4's person had only its case
# in run 1 but gained i10 in run 2, so it too.
for c in c1 c2 c3 c4 c5; do
  [ "$(subject_of "$work/links5.csv" cases "$c")" = "${id1[$c]}" ] ||
    die "run 5: case $c (resubmitted) did not get back the id its police records carried"
done
# The unlinked person too, though nothing of it was in runs 3 and 4 (a new extract: its case is
# named by site and case id, and the linker kept that name's id while the case file was away).
[ "$(subject_of "$work/links5.csv" cases c8)" = "$id8" ] ||
  die "run 5: case c8 (resubmitted, unlinked) did not get back its id: the ids tell who is linked"
[ "$(subject_of "$work/links5.csv" cases c6)" = "${id1[c3]}" ] || die "run 5: c6 left c3's subject"
[ "$(subject_of "$work/links5.csv" cases c7)" = "$id7" ] || die "run 5: the new person lost its id"

# 5. The linker stopped (SIGTERM) and started again on the same store.
"$pprl" linkage-report --linker "$linker" $(as auditor) >"$work/report-before.txt"
stop linker
start_linker
links "$work/links6.csv" >/dev/null
cmp -s "$work/links5.csv" "$work/links6.csv" ||
  { diff "$work/links5.csv" "$work/links6.csv" | head; die "after a restart links.csv changed"; }
"$pprl" linkage-report --linker "$linker" $(as auditor) >"$work/report-after.txt"
cmp -s "$work/report-before.txt" "$work/report-after.txt" || die "after a restart the report changed"
link >"$work/report7.txt"
links "$work/links7.csv" >/dev/null
cmp -s "$work/links5.csv" "$work/links7.csv" ||
  { diff "$work/links5.csv" "$work/links7.csv" | head; die "a link run after the restart changed subject ids"; }
# Every subject holding a case kept its id (Smit, with police records only, never had one kept).
subjects=$(cut -d, -f1 "$work/links7.csv" | tail -n +2 | sort -u | wc -l)
[ "$subjects" -eq 7 ] || die "run 7: $subjects subjects hold a case, not 7"
grep -q "^subjects that kept their id from the last link run: $subjects$" "$work/report7.txt" ||
  { cat "$work/report7.txt"; die "after the restart not every subject kept its id"; }
for n in agent-police agent-vh linker; do stop "$n"; done
all_stopped
say "passed: ids kept across 2 extracts added, a withdrawal, an idle relink, a corrected resubmission and a restart"
