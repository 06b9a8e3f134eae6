#!/usr/bin/env bash
# Issue 13, `pprl links --explain` and who sees the probabilistic stage's figures, end to end:
# real agents, the real linker over mutual TLS on a real RocksDB store, the real analyzer, the
# `pprl` CLI. Synthetic exports (with issue 13's registration errors) plus outside linkage
# case 01 (one surname letter substituted: the person is linked only by the probabilistic
# stage), submitted by the data officers.
#   - the auditor's `pprl links --explain` shows case 01's link with a level and a partial
#     weight per field, and a total that is their sum; the cascade's joins show their key level;
#   - nothing the auditor gets (explain output, links.csv, the linkage report, the audit log)
#     nor the linker's log holds a name, initial, birth date or offence text of the inputs;
#   - the auditor's linkage report (`pprl link`, `pprl linkage-report`) shows the possible links
#     (on these errors the stage finds links or possible links beside case 01's) and the
#     encoding frequency self-audit; the analyst's certificate is refused pprl link,
#     linkage-report and links (each refusal audited), and its report.json holds none of them.
# Usage: links_explain_e2e_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
name=links_explain_e2e
source "$src/tests/linker/e2e_daemons.sh"

d=$work/data
"$pprl" synth --out "$d" --people 4000 --cases 80 --seed 13 --errors realistic >/dev/null
case01=$src/tests/core/testdata/cases/linkage/01-surname-letter-substituted
# Case 01 as extracts of their own (its own format), with record ids found nowhere else.
sed 's/^c1,/case01-c1,/' "$case01/cases.csv" >"$d/case01-cases.csv"
sed 's/^i1,/case01-i1,/' "$case01/incidents.csv" >"$d/case01-incidents.csv"
grep -q '^case01-c1,' "$d/case01-cases.csv" && grep -q '^case01-i1,' "$d/case01-incidents.csv" ||
  die "could not rename case 01's records"

start_linker
start_analyzer
start_agent police
start_agent vh
submit vh cases "$d/cases.csv" >/dev/null
submit vh cases "$d/case01-cases.csv" >/dev/null
submit police incidents "$d/incidents.csv" >/dev/null
submit police incidents "$d/case01-incidents.csv" >/dev/null
submit police convictions "$d/convictions.csv" >/dev/null

# The auditor links; the report shows the probabilistic stage and the encoding self-audit.
link >"$work/report.txt"
"$pprl" linkage-report --linker "$linker" $(as auditor) >"$work/report-again.txt" ||
  die "pprl linkage-report failed"
cmp -s "$work/report.txt" "$work/report-again.txt" ||
  die "pprl linkage-report differs from the report of the run"
python3 - "$work/report.txt" <<'EOF' || die "the auditor's linkage report: see above"
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^probabilistic stage: (\d+) candidate pairs, (\d+) links, (\d+) possible links "
              r"\(not linked\), (\d+) kept apart as twins, ", text, re.M)
if not m:
    sys.exit("no probabilistic stage figures (candidate pairs, links, possible links):\n" + text)
pairs, links, possible, twins = map(int, m.groups())
if links < 1:
    sys.exit("the probabilistic stage made no link, not even outside case 01's")
# The synthetic data carry issue 13's registration errors: beside case 01, the stage must find
# pairs worth a link or a possible link (which of the two is the weights' business).
if links - 1 + possible < 1:
    sys.exit(f"on data with registration errors: {links} links (case 01's among them) and "
             f"{possible} possible links")
if links + possible > pairs:
    sys.exit(f"{links} links and {possible} possible links out of {pairs} candidate pairs")
records = sum(int(x) for x in re.search(
    r"^records: (\d+) cases, (\d+) incident records, (\d+) conviction records", text, re.M).groups())
head = text.find("encoding frequency self-audit (records, distinct values, largest share, entropy):")
if head < 0:
    sys.exit("no encoding frequency self-audit in the auditor's report:\n" + text)
rows = re.findall(r"^  (\S+) +(\d+) +(\d+) +([0-9.]+) +([0-9.]+) bits$", text[head:], re.M)
if len(rows) < 3:
    sys.exit(f"the self-audit lists {len(rows)} encodings:\n" + text[head:])
# One column each: the records column ends at the same place in every row (names are up to 28
# characters; the column was 24 wide and the longer names pushed their rows out).
ends = {m.end(2) - m.start(0) for m in
        re.finditer(r"^  (\S+) +(\d+) +(\d+) +([0-9.]+) +([0-9.]+) bits$", text[head:], re.M)}
if len(ends) != 1:
    sys.exit("the self-audit's columns do not line up:\n" + text[head:])
for enc, n, distinct, share, bits in rows:
    n, distinct, share, bits = int(n), int(distinct), float(share), float(bits)
    # Every encoding: held by some records (never more than were linked), at least one value,
    # a largest share in (0, 1] no smaller than an even spread, entropy at most log2(distinct).
    if not (0 < n <= records and 1 <= distinct <= n and 1 / distinct - 1e-6 <= share <= 1
            and 0 <= bits <= (distinct.bit_length() if distinct > 1 else 0) + 0.01):
        sys.exit(f"implausible self-audit row for {enc}: {n} {distinct} {share} {bits}")
print(f"auditor's report: {pairs} candidate pairs, {links} links, {possible} possible links, "
      f"{len(rows)} encodings self-audited")
EOF

# links --explain: outside case 01's incident joined its case by the probabilistic stage.
links "$work/links.csv" --explain >"$work/explain.txt"
c1=$(subject_of "$work/links.csv" cases case01-c1)
[ -n "$c1" ] || die "case 01's case is not in links.csv"
[ "$(subject_of "$work/links.csv" incidents case01-i1)" = "$c1" ] ||
  die "case 01's incident is not linked to its case"
python3 - "$work/explain.txt" "$c1" <<'EOF' || die "pprl links --explain: see above"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
subject = sys.argv[2]
mine = [l for l in lines if l.startswith(subject + " ")]
link = [l for l in mine if re.match(re.escape(subject) + r" (cases|incidents) case01-[ci]1: probabilistic: ", l)]
if not link:
    sys.exit("case 01's link is not shown as probabilistic:\n" + "\n".join(mine))
fields = re.findall(r"(surname|first_name|birth_date)=([a-z_]+)\(([+-][0-9]+\.[0-9])\)", link[0])
if sorted(f for f, _, _ in fields) != ["birth_date", "first_name", "surname"]:
    sys.exit("the waterfall does not give a level and a weight per field: " + link[0])
total = re.search(r" = (-?[0-9]+\.[0-9]) bits", link[0])
if not total:
    sys.exit("the waterfall has no total: " + link[0])
parts = sum(float(w) for _, _, w in fields)
if abs(parts - float(total.group(1))) > 0.16:
    sys.exit(f"the partial weights add up to {parts:.1f}, not the total: " + link[0])
if dict((f, lv) for f, lv, _ in fields)["surname"] == "exact":
    sys.exit("case 01's surnames differ by a letter, the waterfall says exact: " + link[0])
# The cascade's joins show their key level; every row has a level.
cascade = [l for l in lines
           if re.search(r": (full|first_initial|surname_dob|phonetic|day_month_swapped)$", l)]
rows = [l for l in lines if re.match(r"S[0-9a-f]{16} (cases|incidents|convictions) ", l)]
if not cascade or len(rows) < 100:
    sys.exit(f"{len(rows)} explained rows, {len(cascade)} by key level")
print("explain: " + link[0])
EOF

# No identifying value in anything the auditor gets, nor in the linker's log.
"$pprl" audit show --linker "$linker" $(as auditor) >"$work/audit.txt" || die "pprl audit show failed"
python3 - "$d" "$work/values.txt" "$work/initials.txt" <<'EOF'
# Every name, prefix, first name, birth date and offence text of the inputs (matched without
# regard to case), and every initials value (matched as written: "EM" is also in "estimated by
# EM", so two-letter initials without dots are left out).
import csv, os, sys
cols = {"surname", "achternaam", "surname_prefix", "tussenvoegsel", "first_names", "voornamen",
        "birth_date", "geboortedatum", "offence", "delict"}
values, initials = set(), set()
for f in os.listdir(sys.argv[1]):
    if not f.endswith(".csv"):
        continue
    text = open(os.path.join(sys.argv[1], f), encoding="utf-8-sig").read()
    rows = csv.DictReader(text.splitlines(), delimiter=";" if text.split("\n")[0].count(";") else ",")
    for row in rows:
        for k, v in row.items():
            v = (v or "").strip()
            if k in ("initials", "voorletters") and ("." in v or len(v) >= 3):
                initials.add(v)
            if k in cols and len(v) >= 2:
                values.add(v)
                # The words of a multi-word value (names, "feit 252"), numbers alone aside.
                values.update(p for p in v.replace(".", " ").split()
                              if len(p) >= 3 and not p.isdigit())
open(sys.argv[2], "w").write("\n".join(sorted(values)) + "\n")
open(sys.argv[3], "w").write("\n".join(sorted(initials)) + "\n")
EOF
[ "$(wc -l <"$work/values.txt")" -gt 1000 ] && [ "$(wc -l <"$work/initials.txt")" -gt 100 ] ||
  die "too few input values to look for"
grep -q -x 'Verhukst' "$work/values.txt" && grep -q -x '1953-11-17' "$work/values.txt" ||
  die "case 01's values are not among those looked for"
for f in explain.txt links.csv report.txt audit.txt logs/linker.log; do
  if hit=$( (grep -F -i -w -o -f "$work/values.txt" "$work/$f"; grep -F -w -o -f "$work/initials.txt" "$work/$f") |
            sort -u | head -5) && [ -n "$hit" ]; then
    die "$f holds input values: $hit"
  fi
done

# The analyst: every linker call refused (and audited); the report holds the cohort's figures
# only, none of the probabilistic stage's or the self-audit's.
for cmd in "linkage-report" "link" "links --explain --out $work/analyst-links.csv"; do
  rc=0
  out=$("$pprl" $cmd --linker "$linker" $(as analyst) 2>&1) || rc=$?
  [ "$rc" -eq 1 ] || die "the analyst's pprl $cmd exits $rc, not 1 (no permission): $out"
  grep -q "role analyst may not call" <<<"$out" || die "the analyst's pprl $cmd is not refused for its role: $out"
  ! grep -qi "possible links\|self-audit\|candidate pairs" <<<"$out" || die "the analyst got linker-wide figures: $out"
done
[ ! -e "$work/analyst-links.csv" ] || die "the analyst got a links.csv"
"$pprl" audit show --linker "$linker" $(as auditor) >"$work/audit2.txt"
for rpc in GetLinkageReport RunLinkage GetLinks; do
  grep -i "analyst" "$work/audit2.txt" | grep -q "$rpc" || die "the analyst's refused $rpc is not in the audit log"
done
"$pprl" analyze --analyzer "$analyzer" $(as analyst) --json "$work/analyst.json" >"$work/analyst.txt" 2>&1 ||
  { cat "$work/analyst.txt"; die "the analyst's study failed"; }
python3 - "$work/analyst.json" <<'EOF' || die "the analyst's report: see above"
import json, sys
r = json.load(open(sys.argv[1]))
banned = {"possible_links", "candidate_pairs", "probabilistic_links", "twin_vetoes", "em_estimated",
          "encoding_audit", "subjects_kept_id", "largest_share", "entropy_bits", "uncorroborated", "repeated_records", "case_groups_kept_apart"}
def keys(x, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield path + "/" + k
            yield from keys(v, path + "/" + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from keys(v, f"{path}/{i}")
found = [k for k in keys(r) if k.rsplit("/", 1)[-1] in banned]
if found:
    sys.exit("the analyst's report holds linker-wide figures: " + ", ".join(found))
l = r["linkage"]
if l.get("scope") != "cohort" or l.get("by_level") is not None or not isinstance(l.get("cases"), int):
    sys.exit("the analyst's linkage section is not the cohort's: " + json.dumps(l))
text = json.dumps(r)
for word in ("self-audit", "possible link", "entropy"):
    if word in text:
        sys.exit(f"the analyst's report mentions {word}")
print(f"analyst's report: linkage scope {l['scope']}, {l['cases']} cases; no probabilistic-stage figures")
EOF
for n in agent-police agent-vh analyzer linker; do stop "$n"; done
all_stopped
say "passed"
