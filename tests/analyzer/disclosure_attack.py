#!/usr/bin/env python3
"""An analyst who tries to learn single people's figures from released studies.

Starts `pprl demo --serve` (real daemons over TLS on loopback, synthetic data), then plays an
analyst with perfect knowledge of the case file's dates and kaders (the worst case) who
differences cohorts by date range, by kader, by both, and by combining three releases, and
who looks for a minimum or maximum held by one person. Every attempt must be refused or its
figure suppressed, and every refusal must be in the linker's audit log.

Usage: disclosure_attack.py BUILD_DIR [WORK_DIR]   (standard library only)
"""
import collections
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MIN_CELL = 10
problems = []


def fail(msg):
    problems.append(msg)
    print("FAIL: " + msg)


def parse_date(text):
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(text)


class Analyst:
    def __init__(self, pprl, env, work):
        self.pprl, self.env, self.work = pprl, env, work
        self.released = []  # (name, study dict, report)
        self.refused = []   # (name, message)
        self.n = 0

    def study(self, name, kaders=None, date_from=None, date_to=None):
        """Runs a study; returns the report or None when refused."""
        self.n += 1
        lines = ['name = "%s"' % name, "[cohort]"]
        if kaders:
            lines.append("kaders = [%s]" % ", ".join('"%s"' % k for k in kaders))
        if date_from:
            lines.append('first_discussed_from = "%s"' % date_from.isoformat())
        if date_to:
            lines.append('first_discussed_to = "%s"' % date_to.isoformat())
        path = os.path.join(self.work, "study%03d.toml" % self.n)
        out = os.path.join(self.work, "report%03d.json" % self.n)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([self.pprl, "analyze", "--analyzer", self.env["ANALYZER"], "--certs",
                            self.env["CERTS"], "--as", "analyst", "--study", path, "--json", out],
                           capture_output=True, text=True, timeout=300)
        if r.returncode == 0:
            with open(out) as f:
                report = json.load(f)
            self.released.append((name, report))
            return report
        message = (r.stdout + r.stderr).strip().splitlines()[-1] if (r.stdout + r.stderr).strip() else ""
        if "refused" not in message:
            fail("%s failed without a refusal: %s" % (name, message))
        self.refused.append((name, message))
        return None


def main():
    build = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="pprl-attack-")
    pprl = os.path.join(build, "cli", "pprl")
    demo_dir = os.path.join(work, "demo")
    log = open(os.path.join(work, "demo.log"), "w")
    demo = subprocess.Popen([pprl, "demo", "--out", demo_dir, "--serve", "--seed", "11"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        env_file = os.path.join(demo_dir, "serve.env")
        for _ in range(300):
            if os.path.exists(env_file) or demo.poll() is not None:
                break
            time.sleep(1)
        if not os.path.exists(env_file):
            print(open(os.path.join(work, "demo.log")).read())
            fail("the demo did not come up")
            return 1
        time.sleep(0.5)
        env = dict(line.strip().split("=", 1) for line in open(env_file) if "=" in line)
        attack(pprl, env, work)
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            fail("the demo did not stop on SIGTERM")
    if problems:
        print("disclosure_attack: %d problem(s)" % len(problems))
        return 1
    print("disclosure_attack: passed")
    if len(sys.argv) <= 2:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def attack(pprl, env, work):
    # What the attacker knows: every case's first discussion date and kader.
    cases = []
    with open(os.path.join(env["DATA"], "cases.csv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split(";")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split(";")))
            cases.append((parse_date(row["first_discussed"]), row["kader"]))
    per_day = collections.Counter(d for d, _ in cases)
    a = Analyst(pprl, env, work)
    base = a.study("baseline")
    if base is None:
        fail("the baseline study was refused")
        return
    chains = collections.defaultdict(list)  # nested studies: cohort sizes released
    chains["dates"].append(base["cohort"]["n"])
    n_all = base["cohort"]["n"]

    # 1. Three releases that combine: all = before + {one person} + after. Every pair is far
    # apart; only their combination singles the person out.
    lone = [d for d in sorted(per_day) if per_day[d] == 1 and datetime.date(2013, 3, 1) < d < datetime.date(2013, 10, 1)]
    if not lone:
        fail("no day with a single case in the synthetic data (the attack needs one)")
    else:
        p = lone[0]
        before = a.study("before-" + p.isoformat(), date_to=p - datetime.timedelta(days=1))
        after = a.study("after-" + p.isoformat(), date_from=p + datetime.timedelta(days=1))
        if before is not None and after is not None:
            fail("before %s and after %s were both released beside the baseline: their cohort "
                 "sums subtract to the one person discussed that day" % (p, p))
        elif before is not None and not any("combined with the selections" in m for _, m in a.refused):
            fail("the combination was refused, but not by the combination check")


    # 2. Date range: move the end back a day at a time (each step removes that day's cases).
    end = datetime.date(2013, 12, 31)
    for k in range(1, 15):
        r = a.study("to-%d" % k, date_to=end - datetime.timedelta(days=k))
        if r is not None:
            chains["dates"].append(r["cohort"]["n"])

    # 3. Kader: leave one out, then one alone.
    kaders = ["risicoburger", "jeugd", "hic"]
    for k in kaders:
        r = a.study("without-" + k, kaders=[x for x in kaders if x != k])
        if r is not None:
            chains["without-" + k] = [n_all, r["cohort"]["n"]]  # nested in the baseline only

    # 4. Both: one kader, its last days peeled off.
    for k in range(0, 6):
        r = a.study("jeugd-to-%d" % k, kaders=["jeugd"], date_to=end - datetime.timedelta(days=k * 3))
        if r is not None:
            chains["jeugd-dates"].append(r["cohort"]["n"])

    # Released nested cohorts must never be 1..min_cell-1 apart.
    for chain, sizes in chains.items():
        for i in range(len(sizes)):
            for j in range(i + 1, len(sizes)):
                d = abs(sizes[i] - sizes[j])
                if 0 < d < MIN_CELL:
                    fail("%s: released cohorts of %d and %d subjects" % (chain, sizes[i], sizes[j]))

    # 5. Minimum and maximum: never shown unless min_cell subjects share it; a count's
    # maximum over a cohort this size is one person's, so it must be suppressed.
    for name, r in a.released:
        for var, d in r["descriptives"].items():
            if var == "gender" or d is None:
                continue
            for which in ("min", "max"):
                pointer = "/descriptives/%s/%s" % (var, which)
                if d[which] is None and pointer not in r["suppressed"]:
                    fail("%s: %s is null but not listed as suppressed" % (name, pointer))
        top = r["descriptives"].get("incidents_year_before")
        if top is not None and top["max"] is not None:
            fail("%s: the maximum of incidents_year_before was released" % name)

    # Every refusal is in the audit log.
    r = subprocess.run([pprl, "audit", "show", "--linker", env["LINKER"], "--certs", env["CERTS"],
                        "--as", "auditor"], capture_output=True, text=True, timeout=120)
    refusals = sum(1 for line in r.stdout.splitlines() if '"action":"query_refused"' in line)
    if refusals != len(a.refused):
        fail("the audit log holds %d refusals, the analyst met %d" % (refusals, len(a.refused)))
    r = subprocess.run([pprl, "audit", "verify", "--linker", env["LINKER"], "--certs", env["CERTS"],
                        "--as", "auditor"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("the audit log does not verify: " + r.stdout + r.stderr)
    print("attempts %d: released %d, refused %d (all %d in the audit log)" %
          (a.n, len(a.released), len(a.refused), refusals))
    for name, message in a.refused:
        print("  refused %-22s %s" % (name, message[:150]))
    if not a.refused:
        fail("no attempt was refused: the attack found nothing to try")


if __name__ == "__main__":
    sys.exit(main())
