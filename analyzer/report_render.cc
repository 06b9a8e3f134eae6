#include "analyzer/report_render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/text.h"

namespace pprl {
namespace {

using nlohmann::json;

std::string Num(const json& v, int digits = 3) {
  if (v.is_null()) return "suppressed";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (!v.is_number()) return v.dump();
  char buf[64];
  double d = v.get<double>();
  if (d != 0 && std::fabs(d) < 0.001) {
    std::snprintf(buf, sizeof buf, "%.2e", d);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", digits, d);
  }
  return buf;
}

// Fixed decimals always (no scientific notation): for means and differences.
std::string Fixed(const json& v, int digits = 2) {
  if (v.is_null()) return "suppressed";
  char buf[64];
  double d = v.get<double>();
  std::snprintf(buf, sizeof buf, "%.*f", digits,
                std::fabs(d) < 0.5 * std::pow(10, -digits) ? 0.0 : d);
  return buf;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}
std::string PadLeft(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

bool IsPoisson(const json& g) { return g.is_object() && g.value("dispersion", "") == "poisson"; }
bool IsAliased(const json& c) { return c.value("aliased", false); }

const char* kPairedNames[][2] = {{"incidents_quarter", "incidents, quarter"},
                                 {"incidents_year", "incidents, year"},
                                 {"convictions_quarter", "convictions, quarter"},
                                 {"convictions_year", "convictions, year"}};

}  // namespace

namespace {

// Why the comparison's balance and estimates are null (its suppression reason).
std::string ComparisonWithheldReason(const json& r) {
  const json& pointers = r.value("suppressed", json::array());
  const json& reasons = r.value("suppressed_reasons", json::array());
  for (size_t i = 0; i < pointers.size() && i < reasons.size(); ++i) {
    if (pointers[i] == "/comparison/balance" && reasons[i].is_string())
      return reasons[i].get<std::string>();
  }
  return "withheld (see suppressed)";
}

}  // namespace

// The matched comparison group (report["comparison"]), for the terminal.
void ComparisonText(const json& r, std::ostream& o) {
  if (!r.contains("comparison")) return;
  const json& c = r["comparison"];
  o << "\nMatched comparison group (subjects never discussed)";
  if (c.is_null()) {
    o << ": off, or withheld (see suppressed)\n";
    return;
  }
  o << ": " << Num(c["matched"]) << " of " << Num(c["cohort_subjects"])
    << " cohort subjects matched to " << Num(c["distinct_controls"]) << " of "
    << Num(c["pool_subjects"]) << " police-only subjects (k = " << Num(c["settings"]["k"])
    << ", with replacement); no match " << Num(c["unmatched"]) << ", fewer than k "
    << Num(c["fewer_than_k"]) << ", withheld for disclosure " << Num(c["withheld_for_disclosure"])
    << "\n";
  for (const json& note : c.value("notes", json::array())) {
    if (note.is_string()) o << "  note: " << note.get<std::string>() << "\n";
  }
  if (c["balance"].is_null() && !c["estimates"].is_array()) {
    o << "  no balance or estimates: " << ComparisonWithheldReason(r) << "\n";
    return;
  }
  // Balance, estimates and trajectories may each be withheld (the release budget).
  if (c["balance"].is_array()) {
    o << Pad("  balance", 30) << PadLeft("cohort", 9) << PadLeft("pool", 9) << PadLeft("SMD", 8)
      << PadLeft("matched", 9) << PadLeft("controls", 10) << PadLeft("SMD", 8) << "\n";
    for (const json& b : c["balance"]) {
      o << Pad("  " + b["variable"].get<std::string>(), 30) << PadLeft(Fixed(b["treated_mean"]), 9)
        << PadLeft(Fixed(b["pool_mean"]), 9) << PadLeft(Fixed(b["smd_before"]), 8)
        << PadLeft(Fixed(b["matched_mean"]), 9) << PadLeft(Fixed(b["control_mean"]), 10)
        << PadLeft(Fixed(b["smd_after"]), 8) << "\n";
    }
  }
  if (!c["estimates"].is_array()) return;
  o << Pad("  outcome", 24) << PadLeft("cohort", 14) << PadLeft("controls", 14)
    << "  DiD [95% bootstrap CI]     NB group x period IRR [95% CI]\n";
  for (const json& e : c["estimates"]) {
    o << Pad("  " + e["outcome"].get<std::string>(), 24)
      << PadLeft(Num(e["treated_before"], 2) + " > " + Num(e["treated_after"], 2), 14)
      << PadLeft(Num(e["control_before"], 2) + " > " + Num(e["control_after"], 2), 14) << "  "
      << Pad(Fixed(e["did"]["estimate"]) + " [" + Fixed(e["did"]["ci_low"]) + ", " +
                 Fixed(e["did"]["ci_high"]) + "]",
             27);
    if (e["nb"].is_null()) {
      o << "not estimable\n";
    } else {
      o << Num(e["nb"]["irr"], 2) << " [" << Num(e["nb"]["ci_low"], 2) << ", "
        << Num(e["nb"]["ci_high"], 2) << "] p " << Num(e["nb"]["p"]) << "\n";
    }
  }
}

std::string RenderReportText(const json& r) {
  std::ostringstream o;
  o << "Study " << r["study"].value("name", "") << ": kaders";
  for (const auto& k : r["study"]["kaders"]) o << " " << k.get<std::string>();
  o << "; unlinked subjects "
    << (r["study"].value("unlinked", "exclude") == "zero" ? "count as zero" : "are left out")
    << "; min cell " << r["study"].value("min_cell", 10) << "\n\n";
  const json& l = r["linkage"];
  if (l.is_object() && !l.empty()) {
    o << "Linkage of the cohort's cases: " << Num(l.value("cases", json())) << " cases, "
      << Num(l.value("cases_linked_incidents", json())) << " linked to incidents, "
      << Num(l.value("cases_linked_convictions", json())) << " to convictions\n";
  }
  o << "Cohort: n = " << Num(r["cohort"]["n"]) << ", incident set "
    << Num(r["cohort"]["n_incident_set"]) << ", conviction set "
    << Num(r["cohort"]["n_conviction_set"]) << "\n";
  for (const json& note : r["cohort"].value("notes", json::array())) {
    if (note.is_string()) o << "  note: " << note.get<std::string>() << "\n";
  }
  o << "\n";
  o << Pad("Descriptives", 28) << PadLeft("n", 6) << PadLeft("mean", 10) << PadLeft("sd", 10)
    << PadLeft("min", 12) << PadLeft("max", 12) << "\n";
  for (const auto& [name, d] : r["descriptives"].items()) {
    if (name == "gender") continue;
    if (d.is_null()) {
      o << Pad(name, 28) << "  suppressed (too few subjects)\n";
      continue;
    }
    o << Pad(name, 28) << PadLeft(Num(d["n"]), 6) << PadLeft(Num(d["mean"], 2), 10)
      << PadLeft(Num(d["sd"], 2), 10) << PadLeft(Num(d["min"], 0), 12)
      << PadLeft(Num(d["max"], 0), 12) << "\n";
  }
  o << "gender:";
  for (const auto& [code, share] : r["descriptives"]["gender"].items()) {
    o << " " << code << " "
      << (share.is_null() ? "suppressed" : Num(share.get<double>() * 100, 1) + "%");
  }
  o << "\n\n"
    << Pad("Paired t-tests (before - after)", 34) << PadLeft("n", 6) << PadLeft("before", 9)
    << PadLeft("after", 9) << PadLeft("t", 8) << PadLeft("df", 6) << PadLeft("p", 10)
    << "  95% CI            Wilcoxon p\n";
  for (const auto& [key, label] : kPairedNames) {
    const json& t = r["paired_tests"][key];
    if (t.is_null()) {
      o << Pad(label, 34) << "  suppressed\n";
      continue;
    }
    o << Pad(label, 34) << PadLeft(Num(t["n"]), 6) << PadLeft(Num(t["mean_before"], 2), 9)
      << PadLeft(Num(t["mean_after"], 2), 9) << PadLeft(Num(t["t"], 2), 8)
      << PadLeft(Num(t["df"], 0), 6) << PadLeft(Num(t["p"]), 10) << "  [" << Num(t["ci_low"], 2)
      << ", " << Num(t["ci_high"], 2) << "]"
      << "    " << Num(t["wilcoxon_p"]) << "\n";
  }
  for (const char* which : {"regression", "regression_fixed_alpha"}) {
    const json& g = r[which];
    o << "\n"
      << (std::string(which) == "regression"
              ? (IsPoisson(g) ? "Poisson regression (the counts show no over-dispersion: the "
                                "maximum-likelihood theta is infinite)"
                              : "Negative binomial regression, dispersion by maximum likelihood")
              : "Negative binomial regression, alpha fixed at 1 (as SPSS GENLIN)");
    if (g.is_null()) {
      o << ": suppressed or not estimable\n";
      continue;
    }
    o << " (outcome " << g["outcome"].get<std::string>() << ", n = " << Num(g["n"]) << ", theta "
      << (IsPoisson(g) ? std::string("infinite") : Num(g["theta"])) << ", log-likelihood "
      << Num(g["log_likelihood"]) << ", AIC " << Num(g["aic"]) << ")\n";
    o << Pad("  term", 30) << PadLeft("B", 9) << PadLeft("SE", 9) << "  95% Wald CI        "
      << PadLeft("chi2", 9) << PadLeft("p", 10) << PadLeft("IRR", 8) << "\n";
    for (const json& c : g["coefficients"]) {
      if (IsAliased(c)) {
        o << Pad("  " + c["term"].get<std::string>(), 30)
          << "  aliased: constant or a combination of the terms above; dropped (R: NA)\n";
        continue;
      }
      o << Pad("  " + c["term"].get<std::string>(), 30) << PadLeft(Num(c["b"]), 9)
        << PadLeft(Num(c["se"]), 9) << "  [" << Num(c["ci_low"]) << ", " << Num(c["ci_high"]) << "]"
        << std::string(4, ' ') << PadLeft(Num(c["wald_chi2"]), 9) << PadLeft(Num(c["p"]), 10)
        << PadLeft(Num(c["irr"]), 8) << "\n";
    }
  }
  ComparisonText(r, o);
  if (!r["suppressed"].empty()) {
    o << "\nSuppressed (disclosure control):\n";
    for (size_t i = 0; i < r["suppressed"].size(); ++i) {
      o << "  " << r["suppressed"][i].get<std::string>() << ": "
        << r["suppressed_reasons"][i].get<std::string>() << "\n";
    }
  }
  return o.str();
}

// The comparison group: balance, estimates and both groups' quarterly trajectories.
void ComparisonHtml(const json& r, std::ostream& h) {
  if (!r.contains("comparison")) return;
  const json& c = r["comparison"];
  h << "<h2>Matched comparison group</h2>";
  if (c.is_null()) {
    h << "<p class=\"s\">off, or withheld (see the suppressed figures)</p>";
    return;
  }
  h << "<p>Each cohort subject is matched to up to " << Num(c["settings"]["k"])
    << " people with police records who were never discussed (same 5-year birth band and, where "
       "both have one, gender; "
       "the closest incident and conviction counts in the quarter and year before, at the same "
       "date; with replacement). Matched: "
    << Num(c["matched"]) << " of " << Num(c["cohort_subjects"]) << "; no match "
    << Num(c["unmatched"]) << "; withheld for disclosure " << Num(c["withheld_for_disclosure"])
    << "; distinct comparison subjects " << Num(c["distinct_controls"]) << " of "
    << Num(c["pool_subjects"]) << ".</p>";
  for (const json& note : c.value("notes", json::array())) {
    if (note.is_string())
      h << "<p class=\"s\">Note: " << HtmlEscape(note.get<std::string>()) << "</p>";
  }
  if (c["balance"].is_null() && !c["estimates"].is_array()) {
    h << "<p class=\"s\">No balance or estimates: " << HtmlEscape(ComparisonWithheldReason(r))
      << "</p>";
    return;
  }
  if (c["balance"].is_array()) {
    h << "<table><tr><th>balance at the reference date</th><th>cohort</th><th>pool</th><th>SMD "
         "before</th><th>matched</th><th>controls</th><th>SMD after</th></tr>";
    for (const json& b : c["balance"]) {
      h << "<tr><td>" << HtmlEscape(b["variable"].get<std::string>()) << "</td><td>"
        << Fixed(b["treated_mean"]) << "</td><td>" << Fixed(b["pool_mean"]) << "</td><td>"
        << Fixed(b["smd_before"]) << "</td><td>" << Fixed(b["matched_mean"]) << "</td><td>"
        << Fixed(b["control_mean"]) << "</td><td>" << Fixed(b["smd_after"]) << "</td></tr>";
    }
    h << "</table>";
  }
  // Trajectories: mean counts per quarter, a year before to a year after.
  for (const char* kind : {"incidents", "convictions"}) {
    if (!c["trajectories"].is_object()) break;
    const json& t = c["trajectories"][kind];
    double maxv = 0.1;
    for (const char* g : {"treated", "control"}) {
      for (const json& v : t[g]) maxv = std::max(maxv, v.get<double>());
    }
    const double x0 = 60, dx = 80, y0 = 200, scale = 170 / maxv;
    h << "<h3>" << kind << " per quarter around the (pseudo) reference date</h3>"
      << "<svg width=\"720\" height=\"240\" role=\"img\" aria-label=\"" << kind
      << " trajectories\"><line x1=\"" << x0 + 3.5 * dx << "\" x2=\"" << x0 + 3.5 * dx
      << "\" y1=\"20\" y2=\"" << y0 << "\" stroke=\"#999\" stroke-dasharray=\"4\"/>";
    for (const char* g : {"treated", "control"}) {
      const char* colour = std::string(g) == "treated" ? "#cc4125" : "#4a7ab5";
      h << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
      for (size_t q = 0; q < t[g].size(); ++q)
        h << x0 + static_cast<double>(q) * dx << "," << y0 - t[g][q].get<double>() * scale << " ";
      h << "\"/>";
      for (size_t q = 0; q < t[g].size(); ++q) {
        h << "<circle cx=\"" << x0 + static_cast<double>(q) * dx << "\" cy=\""
          << y0 - t[g][q].get<double>() * scale << "\" r=\"3\" fill=\"" << colour << "\"/>";
      }
    }
    for (size_t q = 0; q < c["trajectories"]["quarters"].size(); ++q) {
      const int quarter = c["trajectories"]["quarters"][q].get<int>();
      h << "<text x=\"" << x0 + static_cast<double>(q) * dx - 8 << "\" y=\"" << y0 + 20
        << "\" font-size=\"11\">" << (quarter >= 0 ? "+" : "") << quarter << "</text>";
    }
    h << "<text x=\"5\" y=\"15\" font-size=\"11\">max " << Num(maxv, 2) << "</text></svg>";
  }
  if (c["trajectories"].is_object()) {
    h << "<p>Red: cohort; blue: matched comparison subjects (weighted so each cohort subject "
         "counts once). Quarter 0 starts at the first discussion.</p>";
  }
  if (!c["estimates"].is_array()) return;
  h << "<table><tr><th>outcome</th><th>cohort before / after</th><th>controls before / "
       "after</th><th>plain before &minus; after [95% CI]</th><th>difference-in-differences "
       "[95% cluster bootstrap CI]</th><th>NB group &times; period IRR [95% CI], p</th></tr>";
  for (const json& e : c["estimates"]) {
    h << "<tr><td>" << HtmlEscape(e["outcome"].get<std::string>()) << "</td><td>"
      << Num(e["treated_before"], 2) << " / " << Num(e["treated_after"], 2) << "</td><td>"
      << Num(e["control_before"], 2) << " / " << Num(e["control_after"], 2) << "</td><td>";
    if (e["before_after"].is_null()) {
      h << "<span class=\"s\">not computable</span>";
    } else {
      h << Num(e["before_after"]["mean_diff"], 2) << " [" << Num(e["before_after"]["ci_low"], 2)
        << ", " << Num(e["before_after"]["ci_high"], 2) << "]";
    }
    h << "</td><td>" << Fixed(e["did"]["estimate"]) << " [" << Fixed(e["did"]["ci_low"]) << ", "
      << Fixed(e["did"]["ci_high"]) << "]</td><td>";
    if (e["nb"].is_null()) {
      h << "<span class=\"s\">not estimable</span>";
    } else {
      h << Num(e["nb"]["irr"], 2) << " [" << Num(e["nb"]["ci_low"], 2) << ", "
        << Num(e["nb"]["ci_high"], 2) << "], " << Num(e["nb"]["p"]);
    }
    h << "</td></tr>";
  }
  h << "</table><p>A difference-in-differences below 0, or an IRR below 1, means the cohort's "
       "offending fell more than that of comparable people who were never discussed.</p>";
}

std::string RenderReportHtml(const json& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>pprl report: "
    << HtmlEscape(r["study"].value("name", "")) << "</title><style>"
    << "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
    << "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px "
       "8px;text-align:right}"
    << "th:first-child,td:first-child{text-align:left}.s{color:#999;font-style:italic}</style></"
       "head><body>";
  h << "<h1>Recidivism after a Veiligheidshuis discussion</h1><p>Study <b>"
    << HtmlEscape(r["study"].value("name", "")) << "</b>. Figures about fewer than "
    << r["study"].value("min_cell", 10)
    << " people are suppressed. All figures are aggregates of pseudonymised records.</p>";

  // Linkage funnel.
  const json& l = r["linkage"];
  h << "<h2>Linkage</h2>";
  if (l.is_object() && l.contains("cases") && l["cases"].is_number()) {
    // The study's own cases (linker-wide figures are the auditor's); a suppressed bar is
    // drawn empty and labelled so.
    double cases = l["cases"].get<double>();
    struct Bar {
      const char* label;
      const json* value;
    };
    Bar bars[] = {{"cases", &l["cases"]},
                  {"linked to incidents", &l["cases_linked_incidents"]},
                  {"linked to convictions", &l["cases_linked_convictions"]}};
    h << "<svg width=\"720\" height=\"120\" role=\"img\" aria-label=\"linkage funnel\">";
    for (int i = 0; i < 3; ++i) {
      const bool shown = bars[i].value->is_number();
      const double v = shown ? bars[i].value->get<double>() : 0;
      double w = cases > 0 ? 440 * v / cases : 0;
      h << "<rect x=\"180\" y=\"" << 10 + i * 35 << "\" width=\"" << w
        << "\" height=\"25\" fill=\"#4a7ab5\"/>"
        << "<text x=\"5\" y=\"" << 28 + i * 35 << "\">" << bars[i].label << "</text><text x=\""
        << 185 + w << "\" y=\"" << 28 + i * 35 << "\">";
      if (shown) {
        h << v;
      } else {
        h << "suppressed";
      }
      h << "</text>";
    }
    h << "</svg>";
  }
  for (const json& note : r["cohort"].value("notes", json::array())) {
    if (note.is_string())
      h << "<p class=\"s\">Note: " << HtmlEscape(note.get<std::string>()) << "</p>";
  }

  // Before/after means with 95% CIs.
  h << "<h2>Before and after the first discussion</h2><svg width=\"720\" height=\"260\" "
       "role=\"img\" aria-label=\"means before and after\">";
  double maxv = 0.5;
  for (const auto& [key, label] : kPairedNames) {
    const json& t = r["paired_tests"][key];
    if (t.is_null()) continue;
    for (const char* side : {"before", "after"}) {
      double m = t["mean_" + std::string(side)].get<double>();
      double sd = t["sd_" + std::string(side)].get<double>();
      maxv = std::max(maxv, m + 1.96 * sd / std::sqrt(t["n"].get<double>()));
    }
  }
  int slot = 0;
  for (const auto& [key, label] : kPairedNames) {
    const json& t = r["paired_tests"][key];
    int x0 = 20 + slot++ * 175;
    h << "<text x=\"" << x0 << "\" y=\"250\" font-size=\"12\">" << label << "</text>";
    if (t.is_null()) {
      h << "<text x=\"" << x0 << "\" y=\"120\" class=\"s\">suppressed</text>";
      continue;
    }
    int k = 0;
    for (const char* side : {"before", "after"}) {
      double m = t["mean_" + std::string(side)].get<double>();
      double half =
          1.96 * t["sd_" + std::string(side)].get<double>() / std::sqrt(t["n"].get<double>());
      double scale = 200 / maxv;
      int x = x0 + 20 + k * 60;
      h << "<rect x=\"" << x << "\" y=\"" << 230 - m * scale << "\" width=\"40\" height=\""
        << m * scale << "\" fill=\"" << (k ? "#6aa84f" : "#cc4125") << "\"/><line x1=\"" << x + 20
        << "\" x2=\"" << x + 20 << "\" y1=\"" << 230 - (m + half) * scale << "\" y2=\""
        << 230 - std::max(0.0, m - half) * scale << "\" stroke=\"#000\"/><text x=\"" << x
        << "\" y=\"" << 225 - (m + half) * scale << "\" font-size=\"11\">" << Num(m, 2)
        << "</text>";
      ++k;
    }
  }
  h << "</svg><p>Red: before; green: after; whiskers: 95% confidence intervals of the means.</p>";

  // Paired tests table.
  h << "<table><tr><th>outcome</th><th>n</th><th>before M (SD)</th><th>after M (SD)</th><th>t "
       "(df)</th><th>p</th><th>95% CI</th><th>Wilcoxon p</th></tr>";
  for (const auto& [key, label] : kPairedNames) {
    const json& t = r["paired_tests"][key];
    if (t.is_null()) {
      h << "<tr><td>" << label << "</td><td colspan=\"7\" class=\"s\">suppressed</td></tr>";
      continue;
    }
    h << "<tr><td>" << label << "</td><td>" << Num(t["n"]) << "</td><td>"
      << Num(t["mean_before"], 2) << " (" << Num(t["sd_before"], 2) << ")</td><td>"
      << Num(t["mean_after"], 2) << " (" << Num(t["sd_after"], 2) << ")</td><td>" << Num(t["t"], 2)
      << " (" << Num(t["df"], 0) << ")</td><td>" << Num(t["p"]) << "</td><td>["
      << Num(t["ci_low"], 2) << ", " << Num(t["ci_high"], 2) << "]</td><td>" << Num(t["wilcoxon_p"])
      << "</td></tr>";
  }
  h << "</table>";

  // Forest plot of IRRs, both regressions.
  h << "<h2>Negative binomial regression: incidence rate ratios</h2>";
  for (const char* which : {"regression", "regression_fixed_alpha"}) {
    const json& g = r[which];
    h << "<h3>"
      << (std::string(which) == "regression"
              ? (IsPoisson(g) ? "Poisson: the counts show no over-dispersion (the maximum-"
                                "likelihood theta is infinite)"
                              : "dispersion by maximum likelihood")
              : "alpha fixed at 1 (as SPSS)")
      << "</h3>";
    if (g.is_null()) {
      h << "<p class=\"s\">suppressed or not estimable</p>";
      continue;
    }
    std::vector<json> rows;
    for (const json& c : g["coefficients"]) {
      if (c["term"] != "(Intercept)" && !IsAliased(c)) rows.push_back(c);
    }
    double lo = 0.25, hi = 4;
    auto xpos = [&](double irr) {
      return 200 + 400 * (std::log(std::clamp(irr, lo, hi)) - std::log(lo)) /
                       (std::log(hi) - std::log(lo));
    };
    h << "<svg width=\"700\" height=\"" << 40 + rows.size() * 28
      << "\" role=\"img\" aria-label=\"forest plot\">"
      << "<line x1=\"" << xpos(1) << "\" x2=\"" << xpos(1) << "\" y1=\"5\" y2=\""
      << 20 + rows.size() * 28 << "\" stroke=\"#999\" stroke-dasharray=\"4\"/>";
    for (size_t i = 0; i < rows.size(); ++i) {
      const json& c = rows[i];
      double y = 20 + static_cast<double>(i) * 28;
      h << "<text x=\"5\" y=\"" << y + 4 << "\" font-size=\"12\">"
        << HtmlEscape(c["term"].get<std::string>()) << "</text>"
        << "<line x1=\"" << xpos(std::exp(c["ci_low"].get<double>())) << "\" x2=\""
        << xpos(std::exp(c["ci_high"].get<double>())) << "\" y1=\"" << y << "\" y2=\"" << y
        << "\" stroke=\"#000\"/><circle cx=\"" << xpos(c["irr"].get<double>()) << "\" cy=\"" << y
        << "\" r=\"5\" fill=\"#4a7ab5\"/><text x=\"610\" y=\"" << y + 4 << "\" font-size=\"11\">"
        << Num(c["irr"], 2) << "</text>";
    }
    h << "<text x=\"" << xpos(0.25) << "\" y=\"" << 35 + rows.size() * 28
      << "\" font-size=\"10\">0.25</text><text x=\"" << xpos(1) - 5 << "\" y=\""
      << 35 + rows.size() * 28 << "\" font-size=\"10\">1</text><text x=\"" << xpos(4) - 10
      << "\" y=\"" << 35 + rows.size() * 28 << "\" font-size=\"10\">4</text></svg>";
    h << "<table><tr><th>term</th><th>B</th><th>SE</th><th>95% Wald CI</th><th>Wald "
         "&chi;&sup2;</th><th>p</th><th>IRR</th></tr>";
    for (const json& c : g["coefficients"]) {
      if (IsAliased(c)) {
        h << "<tr><td>" << HtmlEscape(c["term"].get<std::string>())
          << "</td><td colspan=\"6\" class=\"s\">aliased: constant or a combination of the "
             "terms above; dropped from the model (R: NA)</td></tr>";
        continue;
      }
      h << "<tr><td>" << HtmlEscape(c["term"].get<std::string>()) << "</td><td>" << Num(c["b"])
        << "</td><td>" << Num(c["se"]) << "</td><td>[" << Num(c["ci_low"]) << ", "
        << Num(c["ci_high"]) << "]</td><td>" << Num(c["wald_chi2"]) << "</td><td>" << Num(c["p"])
        << "</td><td>" << Num(c["irr"]) << "</td></tr>";
    }
    h << "</table><p>n = " << Num(g["n"])
      << ", theta = " << (IsPoisson(g) ? std::string("infinite (Poisson)") : Num(g["theta"]))
      << ", log-likelihood = " << Num(g["log_likelihood"]) << ", AIC = " << Num(g["aic"]) << "</p>";
  }
  ComparisonHtml(r, h);
  if (!r["suppressed"].empty()) {
    h << "<h2>Suppressed figures</h2><ul>";
    for (size_t i = 0; i < r["suppressed"].size(); ++i) {
      h << "<li><code>" << HtmlEscape(r["suppressed"][i].get<std::string>())
        << "</code>: " << HtmlEscape(r["suppressed_reasons"][i].get<std::string>()) << "</li>";
    }
    h << "</ul>";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace pprl
