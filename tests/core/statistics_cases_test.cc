// Issue 14's statistics cases end to end through core: the site exports of
// tests/core/testdata/cases/{20,21}-* are pseudonymised with a test key, linked, and the
// default study is run on the linked cohort. Each case stands for a kind:
//  - 20: a constant predictor (plan) is aliased, the rest of the regression estimated;
//  - 21: every paired difference is equal (or zero), every conviction count constant.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "analyzer/report_render.h"
#include "core/basic_statistics.h"
#include "core/cohort_variables.h"
#include "core/export_pseudonymiser.h"
#include "core/linkage.h"
#include "core/negative_binomial.h"
#include "core/study_analysis.h"
#include "core/study_report.h"
#include "core/text.h"
#include "stats_fixtures.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using nlohmann::json;
using ::pprl::testing::IsOk;
using ::testing::Contains;

HmacKey TestKey() { return std::move(*HmacKey::FromBytes(std::vector<uint8_t>(32, 0x5a))); }

// Agreement to 6 significant digits (SPEC section 5), the precision the report states its
// figures to (RoundFigures): half a unit in the sixth digit of R's value, and R's own error.
void ExpectSame(double got, double want, const std::string& what) {
  const double unit = want == 0 ? 0 : std::pow(10.0, std::floor(std::log10(std::fabs(want))) - 5);
  EXPECT_NEAR(got, want, 0.5 * unit * (1 + 1e-6) + 1e-9 * std::fabs(want) + 1e-300) << what;
}

// Pseudonymises the three exports of a case and links them: the cohort as the default study
// sees it.
absl::StatusOr<std::vector<SubjectVariables>> CaseCohort(const std::string& name) {
  static HmacKey key = TestKey();
  const std::string dir = std::string(PPRL_CASES_DIR) + "/" + name + "/";
  std::vector<PseudonymousRecord> records;
  std::vector<LinkInput> inputs;
  for (auto [file, kind] : {std::pair{"cases.csv", ExportKind::kCases},
                            {"incidents.csv", ExportKind::kIncidents},
                            {"convictions.csv", ExportKind::kConvictions}}) {
    std::ifstream in(dir + file);
    if (!in) return absl::NotFoundError(dir + file);
    ExportOptions options;
    options.kind = kind;
    options.file_name = file;
    absl::StatusOr<ExportSummary> summary =
        PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
          records.push_back(r);
          inputs.push_back({kind, file, r.record_id, r.keys});
          return absl::OkStatus();
        });
    if (!summary.ok()) return summary.status();
    if (summary->refused || summary->rows_invalid != 0)
      return absl::InvalidArgumentError(Cat(file, ": ", FormatSummary(*summary)));
  }
  const LinkageResult linked = Link(inputs);
  // The cohort as the linker serves it: the subjects holding a case, their events.
  std::map<uint32_t, CohortSubjectIn> subjects;
  for (size_t i = 0; i < records.size(); ++i) {
    CohortSubjectIn& s = subjects[linked.subject_of[i]];
    s.subject_id = linked.subject_ids[linked.subject_of[i]];
    const PseudonymousRecord& r = records[i];
    if (r.kind == ExportKind::kCases) {
      s.cases.push_back({r.event_day, r.case_attributes});
      continue;
    }
    if (r.person.gender != 'o') s.gender = r.person.gender;
    if (r.person.birth_band != 0) s.birth_band = r.person.birth_band;
    if (r.kind == ExportKind::kIncidents) {
      s.incidents.push_back(
          {r.event_day, r.incident_attributes.category, r.incident_attributes.role});
    } else {
      s.convictions.push_back({r.event_day, "", ""});
    }
  }
  std::vector<CohortSubjectIn> cohort;
  for (auto& [number, s] : subjects) {
    if (!s.cases.empty()) cohort.push_back(std::move(s));
  }
  return BuildCohort(cohort, Study());
}

// The default study on a case's cohort: the statistics before the release layer
// (core/study_analysis.h), which on cohorts this small withholds models and correlations by its
// budget: what is checked here is what the statistics give, against R.
absl::StatusOr<json> RunCase(const std::string& name, int min_cell = Study().min_cell) {
  absl::StatusOr<std::vector<SubjectVariables>> cohort = CaseCohort(name);
  if (!cohort.ok()) return cohort.status();
  Study study;
  study.min_cell = min_cell;
  return BuildStudyReport(study, *cohort, json::object());
}

void ExpectSuppressedAreNull(const json& r) {
  ASSERT_EQ(r["suppressed"].size(), r["suppressed_reasons"].size());
  for (const auto& p : r["suppressed"]) {
    EXPECT_TRUE(r.at(json::json_pointer(p.get<std::string>())).is_null()) << p;
  }
}

std::string ReasonFor(const json& r, const std::string& pointer) {
  for (size_t i = 0; i < r["suppressed"].size(); ++i) {
    if (r["suppressed"][i] == pointer) return r["suppressed_reasons"][i];
  }
  return "";
}

size_t Index(const json& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return names.size();
}

TEST(StatisticsCases, ConstantPredictorIsAliasedAndTheRestEstimated) {
  // At the default min_cell the models are withheld: fewer than 10 of the 24 hold another count
  // of the outcome than 0 (red team 21, SP: the equations would give those few counts).
  absl::StatusOr<json> withheld = RunCase("20-constant-predictor");
  ASSERT_THAT(withheld, IsOk());
  EXPECT_TRUE((*withheld)["regression"].is_null());
  EXPECT_THAT(ReasonFor(*withheld, "/regression"), ::testing::HasSubstr("could be solved for"));
  // The statistics themselves, against R, at a threshold low enough to show them.
  absl::StatusOr<json> report = RunCase("20-constant-predictor", 3);
  ASSERT_THAT(report, IsOk());
  const json& r = *report;
  EXPECT_EQ(r["cohort"]["n"], 24);
  ExpectSuppressedAreNull(r);
  for (const char* which : {"regression", "regression_fixed_alpha"}) {
    const json& g = r[which];
    ASSERT_FALSE(g.is_null()) << which << ": " << r["suppressed_reasons"].dump();
    EXPECT_EQ(g["aliased"], json::array({"plan"})) << which;
    int estimated = 0;
    for (size_t k = 0; k < g["coefficients"].size(); ++k) {
      const json& c = g["coefficients"][k];
      if (c["term"] == "plan") {
        EXPECT_TRUE(c["aliased"].get<bool>());
        EXPECT_TRUE(c["b"].is_null() && c["se"].is_null() && c["p"].is_null() &&
                    c["irr"].is_null());
        EXPECT_THAT(ReasonFor(r, Cat("/", which, "/coefficients/", k, "/b")),
                    ::testing::HasSubstr("aliased: plan is constant"));
      } else {
        EXPECT_FALSE(c["aliased"].get<bool>()) << c["term"];
        EXPECT_TRUE(c["b"].is_number() && c["se"].is_number() && c["p"].is_number()) << c;
        ++estimated;
      }
    }
    EXPECT_EQ(estimated, 5) << which;
  }
  // The remaining terms agree with R (glm.nb, and glm(family = negative.binomial(1))) fitted
  // on the cohort make_reference.R computes from the same CSVs.
  auto ref = StatsReference("kinds.ref");
  ASSERT_EQ(ref.at("case20.ml.plan.na"), 1);
  for (const char* which : {"regression", "regression_fixed_alpha"}) {
    const json& g = r[which];
    const std::string prefix =
        std::string("case20.") + (std::string(which) == "regression" ? "ml." : "fixed.");
    EXPECT_EQ(g["n"], 24);
    ExpectSame(g["log_likelihood"].get<double>(), ref.at(prefix + "loglik"), prefix + "loglik");
    ExpectSame(g["aic"].get<double>(), ref.at(prefix + "aic"), prefix + "aic");
    if (std::string(which) == "regression") {
      EXPECT_EQ(g["dispersion"], "ml");
      ExpectSame(g["theta"].get<double>(), ref.at(prefix + "theta"), prefix + "theta");
    }
    for (const json& c : g["coefficients"]) {
      if (c["aliased"].get<bool>()) continue;
      std::string term = c["term"];
      if (term == "(Intercept)") term = "Intercept";
      const std::string k = prefix + term + ".";
      for (const char* figure : {"b", "se", "wald_chi2", "p"})
        ExpectSame(c[figure].get<double>(), ref.at(k + figure), k + figure);
      if (std::string(which) == "regression") {
        for (const char* figure : {"ci_low", "ci_high", "irr"})
          ExpectSame(c[figure].get<double>(), ref.at(k + figure), k + figure);
      }
    }
  }
  // The correlations of plan (constant) are NA, its diagonal too; the others' diagonals are 1.
  const json& corr = r["correlations"];
  const size_t plan = Index(corr["variables"], "plan");
  ASSERT_LT(plan, 8u);
  for (size_t b = 0; b < 8; ++b) {
    EXPECT_TRUE(corr["r"][plan][b].is_null()) << b;
    EXPECT_TRUE(corr["r"][b][plan].is_null()) << b;
    EXPECT_TRUE(corr["p"][plan][b].is_null()) << b;
  }
  EXPECT_THAT(ReasonFor(r, Cat("/correlations/r/", plan, "/", plan)),
              ::testing::HasSubstr("plan is constant"));
  const size_t age = Index(corr["variables"], "age");
  EXPECT_EQ(corr["r"][age][age], 1.0);
  // The renderings name the aliased term instead of printing nulls as numbers.
  const std::string text = RenderReportText(r);
  EXPECT_THAT(text, ::testing::ContainsRegex("plan +aliased: constant or a combination"));
  const std::string html = RenderReportHtml(r);
  EXPECT_THAT(html, ::testing::HasSubstr("<tr><td>plan</td><td colspan=\"6\" class=\"s\">aliased"));
}

// Case 21's counts are the same for everyone (2 convictions in the year before, 1 after; 3
// incidents before and after): a mean with sd 0 gives each of the 20 their count, and so does
// a paired test whose differences are all equal or a Poisson intercept of log 1. Every figure of
// police counts over the set is withheld, with one reason that a few differing would give too.
TEST(StatisticsCases, EqualPairedDifferencesGiveNoOnesCount) {
  absl::StatusOr<json> report = RunCase("21-paired-equal-differences");
  ASSERT_THAT(report, IsOk());
  const json& r = *report;
  EXPECT_EQ(r["cohort"]["n"], 20);
  ExpectSuppressedAreNull(r);
  // Either reason: a count nearly all share, or fewer than min_cell differing under a model.
  const std::string reason = "would give each one's count|could be solved for";
  for (const char* source : {"incidents", "convictions"}) {
    for (const char* window : {"quarter", "year"}) {
      for (const char* side : {"before", "after"}) {
        const std::string v = Cat(source, "_", window, "_", side);
        EXPECT_TRUE(r["descriptives"][v].is_null()) << v;
        EXPECT_THAT(ReasonFor(r, "/descriptives/" + v), ::testing::ContainsRegex(reason)) << v;
      }
      const std::string name = Cat(source, "_", window);
      EXPECT_TRUE(r["paired_tests"][name].is_null()) << name;
      EXPECT_THAT(ReasonFor(r, "/paired_tests/" + name), ::testing::ContainsRegex(reason)) << name;
    }
  }
  // The case attributes' descriptives are the case file's and stay.
  EXPECT_TRUE(r["descriptives"]["age"]["mean"].is_number());
  const json& corr = r["correlations"];
  for (const char* v : {"convictions_quarter_after", "convictions_year_after",
                        "convictions_quarter_before", "convictions_year_before"}) {
    const size_t a = Index(corr["variables"], v);
    ASSERT_LT(a, 8u);
    for (size_t b = 0; b < 8; ++b) EXPECT_TRUE(corr["r"][a][b].is_null()) << v << " " << b;
    EXPECT_THAT(ReasonFor(r, Cat("/correlations/r/", a, "/", a)), ::testing::ContainsRegex(reason));
  }
  const size_t age = Index(corr["variables"], "age"),
               times = Index(corr["variables"], "times_discussed");
  // Two case attributes are not correlated over the linked subjects (red team 18, C1); each
  // attribute's own entry stays.
  EXPECT_TRUE(corr["r"][age][times].is_null());
  EXPECT_EQ(corr["r"][age][age], 1.0);
  for (const char* model : {"regression", "regression_fixed_alpha"}) {
    EXPECT_TRUE(r[model].is_null()) << model;
    EXPECT_THAT(ReasonFor(r, Cat("/", model)), ::testing::ContainsRegex(reason)) << model;
  }
}

// What the statistics give on case 21 (before the report withholds it), against R: the paired
// tests' undefined parts and the Poisson fit of an outcome of 1 for everyone.
TEST(StatisticsCases, EqualPairedDifferencesKeepWhatIsDefined) {
  absl::StatusOr<std::vector<SubjectVariables>> cohort = CaseCohort("21-paired-equal-differences");
  ASSERT_THAT(cohort, IsOk());
  ASSERT_EQ(cohort->size(), 20u);
  auto ref = StatsReference("kinds.ref");
  auto pairs = [&](const std::string& name) {
    std::vector<double> before, after;
    for (const SubjectVariables& s : *cohort) {
      before.push_back(s.values.at(name + "_before"));
      after.push_back(s.values.at(name + "_after"));
    }
    return PairedTTest(before, after);
  };
  // Convictions: every difference is 1 (R: t undefined, Wilcoxon p by the normal
  // approximation, as for wilcoxon.csv's equal_nonzero set of 20 ones).
  for (const char* name : {"convictions_quarter", "convictions_year"}) {
    absl::StatusOr<PairedTest> t = pairs(name);
    ASSERT_THAT(t, IsOk());
    EXPECT_EQ(t->n, 20);
    EXPECT_EQ(t->mean_diff, 1.0) << name;
    EXPECT_EQ(t->sd_before, 0.0) << name;
    EXPECT_EQ(t->df, 19.0) << name;
    EXPECT_FALSE(t->t_defined) << name;
    ASSERT_TRUE(t->wilcoxon_defined) << name;
    ExpectSame(t->wilcoxon_p, ref.at("wilcoxon.equal_nonzero.p"), name);
    EXPECT_FALSE(t->wilcoxon_exact);
  }
  // Incidents: every difference is zero: t and the Wilcoxon p are undefined (R: NaN).
  for (const char* name : {"incidents_quarter", "incidents_year"}) {
    absl::StatusOr<PairedTest> t = pairs(name);
    ASSERT_THAT(t, IsOk());
    EXPECT_EQ(t->mean_diff, 0.0);
    EXPECT_FALSE(t->t_defined);
    EXPECT_FALSE(t->wilcoxon_defined);
  }
  // The outcome (1 for everyone) shows no over-dispersion: the Poisson fit, the constant prior
  // count aliased; against R's glm(family = poisson) on the cohort make_reference.R computes
  // from the CSVs (every coefficient 0, log 1, compared absolutely).
  const std::vector<std::string> terms = {"(Intercept)", "convictions_year_before",
                                          "age",         "times_discussed",
                                          "plan",        "life_domains_capped"};
  Eigen::MatrixXd x(20, 6);
  Eigen::VectorXd y(20);
  for (Eigen::Index i = 0; i < 20; ++i) {
    const SubjectVariables& s = (*cohort)[static_cast<size_t>(i)];
    ASSERT_TRUE(s.in_conviction_set);
    y[i] = s.values.at("convictions_year_after");
    x(i, 0) = 1;
    for (Eigen::Index k = 1; k < 6; ++k) x(i, k) = AnalysisValue(s, terms[static_cast<size_t>(k)]);
  }
  NbOptions options;
  options.poisson_without_overdispersion = true;
  absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms, options);
  ASSERT_THAT(fit, IsOk());
  EXPECT_EQ(fit->dispersion, Dispersion::kPoisson);
  ExpectSame(fit->log_likelihood, ref.at("case21.poisson.loglik"), "loglik");
  ExpectSame(fit->aic, ref.at("case21.poisson.aic"), "aic");
  ASSERT_EQ(ref.at("case21.poisson.convictions_year_before.na"), 1);
  int estimated = 0;
  for (const NbCoefficient& c : fit->coefficients) {
    if (c.aliased) {
      EXPECT_EQ(c.term, "convictions_year_before");
      continue;
    }
    const std::string k =
        "case21.poisson." + (c.term == "(Intercept)" ? std::string("Intercept") : c.term) + ".";
    EXPECT_NEAR(c.b, ref.at(k + "b"), 1e-8) << k;
    ExpectSame(c.se, ref.at(k + "se"), k + "se");
    ++estimated;
  }
  EXPECT_EQ(estimated, 5);
}

// A Poisson model released in a report (counts that vary but show no over-dispersion: case 21
// with the counts spread over 0 to 3) is rendered as one, theta infinite.
TEST(StatisticsCases, APoissonModelIsRenderedAsOne) {
  absl::StatusOr<std::vector<SubjectVariables>> cohort = CaseCohort("21-paired-equal-differences");
  ASSERT_THAT(cohort, IsOk());
  for (size_t i = 0; i < cohort->size(); ++i) {
    std::map<std::string, double>& v = (*cohort)[i].values;
    v["convictions_year_after"] = static_cast<double>(i % 4 == 0 ? 2 : i % 4 == 1 ? 0 : 1);
    v["convictions_year_before"] = static_cast<double>(1 + i % 3);
  }
  absl::StatusOr<json> report = BuildStudyReport(Study(), *cohort, json::object());
  ASSERT_THAT(report, IsOk());
  const json& r = *report;
  const json& g = r["regression"];
  ASSERT_FALSE(g.is_null()) << r["suppressed_reasons"].dump();
  EXPECT_EQ(g["dispersion"], "poisson");
  EXPECT_TRUE(g["theta"].is_null());
  EXPECT_EQ(g["alpha"], 0.0);
  EXPECT_THAT(r["suppressed"], Contains("/regression/theta"));
  ASSERT_FALSE(r["regression_fixed_alpha"].is_null());
  EXPECT_EQ(r["regression_fixed_alpha"]["dispersion"], "fixed");
  const std::string text = RenderReportText(r);
  EXPECT_THAT(text, ::testing::HasSubstr("Poisson regression (the counts show no over-dispersion"));
  EXPECT_THAT(text, ::testing::HasSubstr("theta infinite"));
  EXPECT_THAT(RenderReportHtml(r), ::testing::HasSubstr("theta = infinite (Poisson)"));
}

}  // namespace
}  // namespace pprl
