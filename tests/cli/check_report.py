#!/usr/bin/env python3
"""Checks a report.json against SPEC section 6 (standard library only). Exit 1 with the
problems listed, or 0."""
import json
import sys

problems = []


def fail(msg):
    problems.append(msg)


def reject_constant(name):
    raise ValueError("non-finite number %s in the report" % name)


def resolve(doc, pointer):
    """RFC 6901."""
    node = doc
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def check_comparison(r, required):
    """The comparison section (README, "report.json: the comparison key")."""
    if "comparison" not in r:
        fail("missing top-level key comparison")
        return
    c = r["comparison"]
    if c is None:
        if required:
            fail("the comparison is null")
        return
    for key in ["settings", "pool_subjects", "cohort_subjects", "matched", "unmatched", "fewer_than_k",
                "withheld_for_disclosure", "distinct_controls", "balance", "estimates", "trajectories"]:
        if key not in c:
            fail("comparison lacks " + key)
    if c.get("estimates") is None:
        if required:
            fail("the comparison's estimates are suppressed")
        return
    if c["matched"] < r["study"]["min_cell"]:
        fail("comparison figures released about fewer than min_cell matched subjects")
    balance_keys = {"variable", "treated_mean", "pool_mean", "smd_before", "matched_mean", "control_mean",
                    "smd_after"}
    # A part the release budget withholds is null and listed, with its reason, in "suppressed"
    # (whether it is depends on the pseudonymous ids, so on the demo's fresh key).
    def withheld(part):
        if c[part] is not None:
            return False
        if "/comparison/" + part not in r.get("suppressed", []):
            fail("comparison %s is null but not listed as suppressed" % part)
        return True

    for b in [] if withheld("balance") else c["balance"]:
        if set(b) != balance_keys:
            fail("comparison balance row has keys %s" % sorted(b))
    outcomes = [e.get("outcome") for e in c["estimates"]]
    if outcomes != ["incidents_quarter", "incidents_year", "convictions_quarter", "convictions_year"]:
        fail("comparison estimates are for %s" % outcomes)
    for e in c["estimates"]:
        for key in ["n_matched", "treated_before", "treated_after", "control_before", "control_after",
                    "before_after", "did", "nb"]:
            if key not in e:
                fail("comparison estimate %s lacks %s" % (e.get("outcome"), key))
        d = e.get("did") or {}
        if set(d) != {"estimate", "ci_low", "ci_high", "unadjusted"}:
            fail("comparison did of %s has keys %s" % (e.get("outcome"), sorted(d)))
        elif not d["ci_low"] <= d["ci_high"]:
            fail("comparison did of %s: the interval is reversed" % e.get("outcome"))
        if e.get("nb") is not None and set(e["nb"]) != {"model", "theta", "irr", "ci_low", "ci_high",
                                                        "se_robust", "p"}:
            fail("comparison nb of %s has keys %s" % (e.get("outcome"), sorted(e["nb"])))
    if withheld("trajectories"):
        return
    t = c["trajectories"]
    if t.get("quarters") != [-4, -3, -2, -1, 0, 1, 2, 3]:
        fail("comparison trajectories do not run from quarter -4 to 3")
    for kind in ["incidents", "convictions"]:
        for group in ["treated", "control"]:
            if len(t.get(kind, {}).get(group, [])) != 8:
                fail("comparison trajectory %s/%s does not have 8 quarters" % (kind, group))


def check_refused(r):
    """A refused study (README, "report.json"): the schema and the refusal's reason, no figure."""
    reason = r["refused"].get("reason") if isinstance(r["refused"], dict) else None
    if not isinstance(reason, str) or not reason:
        fail("refused carries no reason")
    figures = sorted(set(r) - {"schema", "refused"})
    if figures:
        fail("a refused report holds figures: %s" % figures)
    if "--comparison" in sys.argv:
        fail("the study was refused, so there is no comparison")
    if problems:
        print("\n".join(problems))
        return 1
    print("report.json: the study was refused: %s" % reason)
    return 0


def main(path):
    with open(path) as f:
        r = json.load(f, parse_constant=reject_constant)
    if r.get("schema") == "pprl.report.v1" and "refused" in r:
        return check_refused(r)
    if "--refused" in sys.argv:
        fail("the report is not a refusal")
    for key in ["schema", "study", "linkage", "cohort", "descriptives", "paired_tests", "correlations",
                "regression", "regression_fixed_alpha", "suppressed", "suppressed_reasons"]:
        if key not in r:
            fail("missing top-level key " + key)
    if r.get("schema") != "pprl.report.v1":
        fail("schema is not pprl.report.v1")
    for key in ["cases", "incident_records", "conviction_records", "subjects", "cases_linked_incidents",
                "cases_linked_convictions", "ambiguous_keys", "by_level"]:
        if key not in r["linkage"]:
            fail("linkage lacks " + key)
    for key in ["n", "n_incident_set", "n_conviction_set"]:
        if key not in r["cohort"]:
            fail("cohort lacks " + key)
    for name, d in r["descriptives"].items():
        if name == "gender":
            continue
        if d is not None and set(d) != {"n", "mean", "sd", "min", "max"}:
            fail("descriptives/%s has keys %s" % (name, sorted(d)))
    if "gender" not in r["descriptives"]:
        fail("no gender distribution")
    paired_keys = {"n", "mean_before", "sd_before", "mean_after", "sd_after", "mean_diff", "t", "df", "p",
                   "ci_low", "ci_high", "wilcoxon_p", "wilcoxon_exact"}
    for t in ["incidents_quarter", "incidents_year", "convictions_quarter", "convictions_year"]:
        v = r["paired_tests"].get(t, "absent")
        if v == "absent":
            fail("paired_tests lacks " + t)
        elif v is not None and set(v) != paired_keys:
            fail("paired_tests/%s has keys %s" % (t, sorted(v)))
    c = r["correlations"]
    if len(c.get("variables", [])) != 8:
        fail("correlations must name 8 variables")
    if c.get("r") is not None and (len(c["r"]) != 8 or any(len(row) != 8 for row in c["r"])):
        fail("the correlation matrix is not 8 x 8")
    coef_keys = {"term", "b", "se", "ci_low", "ci_high", "wald_chi2", "df", "p", "irr", "aliased"}
    for which, disp in [("regression", ("ml", "poisson")), ("regression_fixed_alpha", ("fixed",))]:
        g = r[which]
        if g is None:
            continue
        for key in ["outcome", "n", "dispersion", "theta", "alpha", "log_likelihood", "aic", "coefficients",
                    "aliased"]:
            if key not in g:
                fail("%s lacks %s" % (which, key))
        if g.get("dispersion") not in disp:
            fail("%s.dispersion is not %s" % (which, " or ".join(disp)))
        if g["coefficients"][0]["term"] != "(Intercept)":
            fail(which + ": the first term is not (Intercept)")
        for co in g["coefficients"]:
            if set(co) != coef_keys:
                fail("%s coefficient %s has keys %s" % (which, co.get("term"), sorted(co)))
    check_comparison(r, "--comparison" in sys.argv)
    if len(r["suppressed"]) != len(r["suppressed_reasons"]):
        fail("suppressed and suppressed_reasons differ in length")
    for p in r["suppressed"]:
        try:
            if resolve(r, p) is not None:
                fail("suppressed %s is not null" % p)
        except (KeyError, IndexError, ValueError):
            fail("suppressed pointer %s does not resolve" % p)
    if problems:
        print("\n".join(problems))
        return 1
    print("report.json matches the schema of SPEC section 6 (%d figures suppressed)" % len(r["suppressed"]))
    return 0


if __name__ == "__main__":
    # --comparison: the comparison must be there with its estimates; --refused: a refusal
    sys.exit(main(sys.argv[1]))
