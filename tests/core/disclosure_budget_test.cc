// The server's disclosure policy, the release budget (the model-output channel), the
// regression output rules and the cohort-scoped linkage figures (issue 12 items 1-3, 6).
#include "core/disclosure_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "core/study.h"
#include "core/study_analysis.h"
#include "core/text.h"
#include "tests/core/synthetic_cohort.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using nlohmann::json;
using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

Study NoComparison() {
  Study s;
  s.comparison.enabled = false;
  return s;
}

SubjectSet Group(int from, int to, const std::vector<std::string>& keys) {
  SubjectSet s{"ledger", {}, {}};
  for (int i = from; i < to; ++i) s.ids.push_back(Cat("S", 10000 + i));
  std::sort(s.ids.begin(), s.ids.end());
  for (const std::string& k : keys) s.statistics.push_back("convictions|" + k);
  return s;
}

std::vector<std::string> Keys(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(Cat(prefix, i));
  return out;
}

// No digit but the policy's thresholds (defined below, with the Oracle tests).
bool OnlyPolicyNumbers(std::string text);

TEST(Policy, AStudyMayOnlyTightenTheServersThresholds) {
  DisclosurePolicy policy;
  policy.min_cell = 12;
  absl::StatusOr<Study> s = ParseStudy("[disclosure]\nmin_cell = 2\n");
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(ApplyDisclosurePolicy(policy, &*s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("disclosure.min_cell = 2 is below the analyzer's disclosure "
                                 "policy (12)")));
  s = ParseStudy("[disclosure]\nmin_residual_df = 3\n");
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(ApplyDisclosurePolicy(policy, &*s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_residual_df = 3")));
  s = ParseStudy("");  // nothing asked: the policy's values
  ASSERT_THAT(s, IsOk());
  ASSERT_THAT(ApplyDisclosurePolicy(policy, &*s), IsOk());
  EXPECT_EQ(s->min_cell, 12);
  EXPECT_EQ(s->min_residual_df, 10);
  s = ParseStudy("[disclosure]\nmin_cell = 20\nmin_residual_df = 30\n");  // stricter: kept
  ASSERT_THAT(s, IsOk());
  ASSERT_THAT(ApplyDisclosurePolicy(policy, &*s), IsOk());
  EXPECT_EQ(s->min_cell, 20);
  EXPECT_EQ(s->min_residual_df, 30);
  EXPECT_THAT(ParseStudy("[disclosure]\nthreshold = 3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a setting")));
  EXPECT_EQ(DisclosurePolicyJson(policy)["min_cell"], 12);
}

TEST(Policy, CapsOnWhatAStudyMayAskFor) {
  DisclosurePolicy policy;
  auto apply = [&](const std::string& toml) {
    absl::StatusOr<Study> s = ParseStudy(toml);
    if (!s.ok()) return s.status();
    return ApplyDisclosurePolicy(policy, &*s);
  };
  EXPECT_THAT(apply(Cat("name = \"", std::string(121, 'x'), "\"\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name is 121 characters")));
  EXPECT_THAT(apply(Cat("name = \"", std::string(120, 'x'), "\"\n")), IsOk());
  EXPECT_THAT(apply("name = \"a\\u0007b\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(apply("[regression]\npredictors = [\"age\", \"plan\", \"times_discussed\", "
                    "\"life_domains\"]\ninteractions = [[\"age\", \"plan\"], [\"age\", "
                    "\"times_discussed\"], [\"age\", \"life_domains\"], [\"plan\", "
                    "\"life_domains\"]]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4 terms; at most 3")));
  EXPECT_THAT(apply("[comparison]\nbootstrap_replicates = 50000\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most 2000")));
  std::string kaders = "[cohort]\nkaders = [";
  for (int i = 0; i < 21; ++i) kaders += Cat(i ? ", " : "", "\"k", i, "\"");
  EXPECT_THAT(apply(kaders + "]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("21 items; at most 20")));
  EXPECT_THAT(ParseStudy("[regression]\npredictors = [\"age\", \"age\"]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

TEST(Policy, TheDigestIsOfTheNormalisedDefinition) {
  absl::StatusOr<Study> a = ParseStudy("name = \"a\"\n[cohort]\nkaders = [\"hic\", \"jeugd\"]\n");
  absl::StatusOr<Study> b = ParseStudy("name = \"b\"\n[cohort]\nkaders = [\"jeugd\", \"HIC\"]\n");
  absl::StatusOr<Study> c = ParseStudy("[cohort]\nkaders = [\"jeugd\"]\n");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(StudyDigest(*a), StudyDigest(*b));
  EXPECT_NE(StudyDigest(*a), StudyDigest(*c));
}

TEST(Budget, CountsDistinctStatisticsAgainstTheSubjects) {
  // 30 subjects, 10 residual df: 20 statistics may be released about them, no more.
  const std::vector<SubjectSet> first = {Group(0, 30, Keys("a", 15))};
  EXPECT_THAT(CheckReleaseBudget(first, {}, 10), IsOk());
  // The same statistics again cost nothing (an identical study, rerun).
  EXPECT_THAT(CheckReleaseBudget(first, first, 10), IsOk());
  EXPECT_THAT(CheckReleaseBudget({Group(0, 30, Keys("b", 5))}, first, 10), IsOk());
  const absl::Status over = CheckReleaseBudget({Group(0, 30, Keys("b", 6))}, first, 10);
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kFailedPrecondition,
                             HasSubstr("fewer than 10 residual degrees of freedom")));
  // F2: how many subjects the statistics cover is how many are linked: the analyst's message
  // names no count and no source; the auditor's detail does; the decision depends on data.
  EXPECT_THAT(std::string(over.message()), Not(HasSubstr("30")));
  EXPECT_THAT(std::string(over.message()), Not(HasSubstr("convictions")));
  EXPECT_THAT(
      RefusalDetail(over),
      HasSubstr("21 subjects' worth of statistics about the convictions counts of 30 subjects"));
  EXPECT_TRUE(RefusalDependsOnData(over));
  // Another source has its own budget.
  SubjectSet incidents = Group(0, 30, {});
  for (int i = 0; i < 20; ++i) incidents.statistics.push_back(Cat("incidents|x", i));
  EXPECT_THAT(CheckReleaseBudget({incidents}, first, 10), IsOk());
}

TEST(Budget, OverlappingAndNestedSetsShareTheirSubjects) {
  // Two windows of 30 that overlap in 20 cover 40 subjects: 30 statistics in all, however
  // they are split, and none of them can spend more than its own 20.
  const std::vector<SubjectSet> first = {Group(0, 30, Keys("a", 15))};
  EXPECT_THAT(CheckReleaseBudget({Group(10, 40, Keys("b", 15))}, first, 10), IsOk());
  EXPECT_THAT(RefusalDetail(CheckReleaseBudget({Group(10, 40, Keys("b", 16))}, first, 10)),
              HasSubstr("of 40 subjects"));
  // A subset of the first: its statistics are about the first's subjects too.
  EXPECT_THAT(RefusalDetail(CheckReleaseBudget({Group(0, 20, Keys("c", 6))}, first, 10)),
              HasSubstr("of 30 subjects"));
  EXPECT_THAT(CheckReleaseBudget({Group(0, 20, Keys("c", 5))}, first, 10), IsOk());
  // Disjoint sets do not share a budget.
  EXPECT_THAT(CheckReleaseBudget({Group(100, 130, Keys("d", 20))}, first, 10), IsOk());
  // A chain of windows: each pair is fine, the chain's union holds them all.
  std::vector<SubjectSet> history;
  int released = 0;
  for (int w = 0; w < 12; ++w) {
    std::vector<SubjectSet> next = {Group(5 * w, 5 * w + 30, Keys(Cat("w", w), 12))};
    if (!CheckReleaseBudget(next, history, 10).ok()) break;
    history.push_back(next[0]);
    ++released;
  }
  // Window w covers subjects 0 .. 5w + 29; 12 (w + 1) <= 5w + 30 - 10 holds up to w = 1.
  EXPECT_EQ(released, 2);
}

TEST(Budget, StatisticsOverSetsAFewApartAreRefused) {
  // Models over 0..40 and over 3..40 (three subjects lacking an attribute): their equations
  // combine, nearly exactly, into equations about the three.
  const std::vector<SubjectSet> first = {Group(0, 40, {"model:m1:b:age"})};
  EXPECT_THAT(RefusalDetail(CheckStatisticSets({Group(3, 40, {"model:m2:b:age"})}, first, 10)),
              HasSubstr("differs from a released one by 3"));
  EXPECT_THAT(RefusalDetail(CheckStatisticSets(
                  {Group(3, 40, {"r:a:b"}), Group(0, 40, {"model:m2:b:age"})}, {}, 10)),
              HasSubstr("differs from a released one by 3"));
  EXPECT_THAT(CheckStatisticSets({Group(0, 40, {"model:m2:b:age"})}, first, 10), IsOk());
  EXPECT_THAT(CheckStatisticSets({Group(10, 40, {"model:m2:b:age"})}, first, 10), IsOk());
  // Issue 12 (limits): a mean is a statistic like a model. Over 3..40 beside the model over
  // 0..40 it gives the three's total (before: allowed, "not a model").
  absl::Status mean = CheckStatisticSets({Group(3, 40, {"x:mean"})}, first, 10);
  EXPECT_THAT(RefusalDetail(mean), HasSubstr("differs from a released one by 3"));
  EXPECT_TRUE(RefusalDependsOnData(mean));
  EXPECT_TRUE(OnlyPolicyNumbers(std::string(mean.message()))) << mean.message();
  // Combinations: means over 0..60 and 0..30 released, then 31..60: together the total of
  // subject 30, though every two of them are far apart.
  const std::vector<SubjectSet> two = {Group(0, 61, {"x:mean"}), Group(0, 30, {"x:mean"})};
  EXPECT_THAT(RefusalDetail(CheckStatisticSets({Group(31, 61, {"x:mean"})}, two, 10)),
              HasSubstr("the smallest group it separates holds 1"));
  EXPECT_THAT(CheckStatisticSets({Group(30, 61, {"x:mean"})}, two, 10), IsOk());
  // Other counts: a mean of incidents over 3..40 beside the conviction model.
  SubjectSet incidents = Group(3, 40, {});
  incidents.statistics = {"incidents|x:mean"};
  EXPECT_THAT(CheckStatisticSets({incidents}, first, 10), IsOk());
}

TEST(Regression, TooFewResidualDegreesOfFreedomIsSuppressed) {
  // The output rule alone (BuildStudyReport; the budget shares min_residual_df and would
  // refuse the whole study at such a margin).
  Study study = NoComparison();  // 5 predictors: 6 coefficients, and theta in the ML fit
  const std::vector<SubjectVariables> cohort = BuildCohort(Subjects(60), study);
  absl::StatusOr<nlohmann::json> r = BuildStudyReport(study, cohort, {});
  ASSERT_THAT(r, IsOk());
  ASSERT_FALSE((*r)["regression_fixed_alpha"].is_null());
  const int64_t n = (*r)["regression_fixed_alpha"]["n"].get<int64_t>();
  study.min_residual_df = static_cast<int>(n) - 5;  // n - 6 < n - 5: suppressed
  r = BuildStudyReport(study, cohort, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE((*r)["regression_fixed_alpha"].is_null());
  EXPECT_TRUE((*r)["regression"].is_null());
  EXPECT_THAT((*r)["suppressed"], Contains("/regression_fixed_alpha"));
  study.min_residual_df = static_cast<int>(n) - 6;  // n - 6: just enough for the fixed fit
  r = BuildStudyReport(study, cohort, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE((*r)["regression_fixed_alpha"].is_null());
}

TEST(Regression, ATwoValuedTermWithASmallCategoryIsSuppressed) {
  Study study = NoComparison();
  study.predictors = {"age", "plan"};
  std::vector<CohortSubjectIn> in = Subjects(60);
  for (size_t i = 0; i < in.size(); ++i) {  // plan 3 for three subjects, 0 for the rest
    CaseAttributes& a = in[i].cases[0].attributes;
    a.goals = a.decisions = a.actions = i < 3;
  }
  absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->report["regression"].is_null());
  bool said = false;
  for (const auto& reason : r->report["suppressed_reasons"])
    said =
        said || reason.get<std::string>().find("two-valued term plan is held") != std::string::npos;
  EXPECT_TRUE(said);
}

// The predictors the repeated-model attacks draw from.
const std::vector<std::string> kModelVariables = {"age",
                                                  "times_discussed",
                                                  "plan",
                                                  "life_domains_capped",
                                                  "convictions_year_before",
                                                  "incidents_year_before"};

TEST(Budget, RepeatedModelsOfOneCohortAreRefusedBeforeTheyDetermineAnyone) {
  // The attack: one cohort, studies with other predictors and outcomes until the
  // released equations could be solved. The budget refuses before that; the identical study
  // rerun stays allowed.
  const std::vector<CohortSubjectIn> in = Subjects(80);
  std::vector<SubjectSet> released;
  const std::vector<std::string>& vars = kModelVariables;
  int allowed = 0, refused = 0, first_refused = -1;
  for (int k = 0; k < 12; ++k) {
    Study study = NoComparison();
    study.max_leverage = 1;  // the budget alone (the leverage bound: Leverage.*)
    study.outcome = k % 2 ? "convictions_year_after" : "convictions_quarter_after";
    study.predictors = {vars[static_cast<size_t>(k) % vars.size()],
                        vars[static_cast<size_t>(k + 1) % vars.size()],
                        vars[static_cast<size_t>(k + 3) % vars.size()]};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, released);
    ASSERT_THAT(r, IsOk());  // the descriptives fit; the models are what is withheld
    std::string why;         // the reason /regression (or the fixed-alpha fit) is withheld
    const nlohmann::json& pointers = r->report["suppressed"];
    for (size_t i = 0; i < pointers.size(); ++i) {
      if (pointers[i] == "/regression" || pointers[i] == "/regression_fixed_alpha")
        why += r->report["suppressed_reasons"][i].get<std::string>() + ";";
      // Every listed pointer resolves to a null, also after its section was withheld whole.
      const nlohmann::json::json_pointer at(pointers[i].get<std::string>());
      EXPECT_TRUE(r->report.contains(at) && r->report[at].is_null()) << pointers[i];
    }
    if (why.find("the release budget") != std::string::npos) {
      ++refused;
      if (first_refused < 0) first_refused = k;
    } else if (!r->report["regression"].is_null() ||
               !r->report["regression_fixed_alpha"].is_null()) {
      ++allowed;
    }
    released.insert(released.end(), r->released_sets.begin(), r->released_sets.end());
  }
  EXPECT_GE(allowed, 1);
  EXPECT_GE(refused, 1);
  EXPECT_GT(first_refused, 0);
  // Rerunning the first (released) study is free.
  Study again = NoComparison();
  again.max_leverage = 1;
  again.outcome = "convictions_quarter_after";
  again.predictors = {vars[0], vars[1], vars[3]};
  EXPECT_THAT(AnalyzeStudy(again, in, {}, released), IsOk());
  // What was released never reaches the subjects: per source, the statistics about the
  // conviction set stay min_residual_df below its size.
  EXPECT_THAT(CheckReleaseBudget({}, released, 10), IsOk());
}

// The equations-by-subjects matrix of tests/core/testdata/leverage_reference.R.
Eigen::MatrixXd ReferenceRows() {
  const int n = 20;
  Eigen::MatrixXd a(6, n);
  for (int c = 0; c < n; ++c) {
    const int i = c + 1;
    a(0, c) = i <= 12;
    a(1, c) = i >= 5;
    a(2, c) = (i % 4) + i / 8.0;
    a(3, c) = (i <= 12) + (i >= 5);
    a(4, c) = i == 20 ? 7 : 1 + (i % 3);
    a(5, c) = ((i % 5) - 2) / (1 + i / 10.0);
  }
  return a;
}

// A leverage refusal: the analyst's text carries no figure, the auditor's detail does.
void ExpectLeverageRefusal(const absl::Status& status, const std::string& detail) {
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(RefusalDetail(status), HasSubstr(detail));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("leverage of")));
}

TEST(Leverage, MatchesR) {
  // R 4: hatvalues(lm(y ~ t(A) - 1)), checked there against qr.Q (the script's output).
  const double expected[] = {
      0.249964336342681, 0.295264760831953, 0.366127185739256, 0.364339468847885,
      0.283177125091058, 0.185329326770413, 0.115092345876865, 0.296592589093679,
      0.297256539946838, 0.189015663013153, 0.145997364321745, 0.212119348116798,
      0.123908812935865, 0.206776870469228, 0.309310285628663, 0.116882125283885,
      0.117767020651346, 0.179717005951610, 0.282650489347787, 0.662711335739290};
  const Eigen::VectorXd h = SubjectLeverage(ReferenceRows());
  ASSERT_EQ(h.size(), 20);
  for (int i = 0; i < 20; ++i) EXPECT_NEAR(h[i], expected[i], 1e-9) << "subject " << i + 1;
  // Rank 5 of 6 rows (one is the sum of two others): the leverages add up to the rank.
  EXPECT_NEAR(h.sum(), 5.0, 1e-9);
  // A row that is a unit vector determines its subject.
  Eigen::MatrixXd unit = Eigen::MatrixXd::Zero(1, 5);
  unit(0, 3) = 2.5;
  EXPECT_NEAR(SubjectLeverage(unit)[3], 1.0, 1e-12);
  EXPECT_NEAR(SubjectLeverage(unit)[0], 0.0, 1e-12);
}

// A group of 30 subjects with stored rows 1, x, x^2, ... of an attribute where subject 0 is
// out alone (4 against 1..3): a cubic in x determines subject 0.
SubjectSet PolynomialRows(int degree, const std::string& model) {
  SubjectSet s = Group(0, 30, {});
  for (int d = 0; d <= degree; ++d) {
    const std::string key = Cat("convictions|ctx:ref|model:", model, ":b:t", d);
    s.statistics.push_back(key);
    std::vector<float>& row = s.rows[key];
    for (size_t i = 0; i < s.ids.size(); ++i) {
      const double x = s.ids[i] == "S10000" ? 4 : 1 + static_cast<double>(i % 3);
      row.push_back(static_cast<float>(std::pow(x / 4, d)));
    }
  }
  return s;
}

TEST(Leverage, RefusesNearDeterminationAndLetsAnIdenticalReleaseAgain) {
  // Degree 1 (a line in x): subject 0's leverage is 1/30 + (4 - 2.03)^2 / sum (x - mean)^2,
  // about 0.2.
  const std::vector<SubjectSet> line = {PolynomialRows(1, "m1")};
  EXPECT_THAT(CheckLeverage(line, {}, 0.5), IsOk());
  EXPECT_LT(SubjectLeverage(Eigen::MatrixXd::Ones(1, 30))[0], 0.05);
  // The same equations released again cost nothing, however high the leverage already is.
  EXPECT_THAT(CheckLeverage(line, line, 0.5), IsOk());
  // A cubic in x (four distinct values) takes subject 0, the only one at 4, to leverage 1.
  const std::vector<SubjectSet> quadratic = {PolynomialRows(3, "m2")};
  ExpectLeverageRefusal(CheckLeverage(quadratic, line, 0.5), "leverage of 1.000");
  ExpectLeverageRefusal(CheckLeverage(quadratic, {}, 0.999), "leverage");
  // A sum over the same subjects (an indicator row) lies in the line's span: nothing new.
  EXPECT_THAT(CheckLeverage({Group(0, 30, {"ctx:ref|x:mean"})}, line, 0.5), IsOk());
  // Rows about the incident counts are another source: they do not add up with these.
  SubjectSet other = PolynomialRows(3, "m3");
  for (std::string& k : other.statistics) k = "incidents" + k.substr(k.find('|'));
  std::map<std::string, std::vector<float>> rows;
  for (auto& [k, v] : other.rows) rows["incidents" + k.substr(k.find('|'))] = v;
  other.rows = rows;
  ExpectLeverageRefusal(CheckLeverage({other}, line, 0.5), "incidents");
  // Disjoint subjects are not connected: their rows do not count towards these.
  EXPECT_THAT(CheckLeverage({Group(100, 140, {"ctx:ref|y:mean"})}, line, 0.5), IsOk());
}

TEST(Leverage, ASmallGroupsTotalIsStoppedForOnePersonOnly) {
  // A mean over 0..40 released; then a model's intercept row (a Poisson fit: all ones) over
  // the cohort minus k subjects. The difference is the k's total: leverage 1/k each.
  const std::vector<SubjectSet> mean = {Group(0, 40, {"ctx:ref|x:mean"})};
  auto intercept_over = [](int from) {
    SubjectSet s = Group(from, 40, {});
    const std::string key = "convictions|ctx:ref2|model:m:b:(Intercept)";
    s.statistics.push_back(key);
    s.rows[key].assign(s.ids.size(), 1.0f);
    return std::vector<SubjectSet>{s};
  };
  ExpectLeverageRefusal(CheckLeverage(intercept_over(1), mean, 0.5), "leverage of 1.000");
  EXPECT_THAT(CheckLeverage(intercept_over(3), mean, 0.5), IsOk());  // README: a limit
  ExpectLeverageRefusal(CheckLeverage(intercept_over(3), mean, 0.3), "leverage of 0.333");
}

// Red team 16, V1: the bound decided over the conviction set ("exclude" mode) told, for a person
// with outlying case attributes and terms picked to single them out, whether they are in the
// set: a released model meant their leverage there would have passed the bound, which their
// leverage over the whole cohort (a lower bound) excluded. The report's equations are now also
// bounded over the whole cohort: the analyst reads the same withheld parts and reasons whether
// that person was ever convicted or not.
TEST(Leverage, AnOutliersModelIsWithheldWhetherOrNotTheyAreInTheSet) {
  std::vector<json> views;
  for (const bool convicted : {true, false}) {
    std::vector<CohortSubjectIn> in = Subjects(80);
    CohortSubjectIn& t = in[0];
    t.cases[0].attributes.times_discussed = 14;  // the others: 1 to 4
    t.cases[0].attributes.goals = t.cases[0].attributes.decisions = t.cases[0].attributes.actions =
        true;
    if (!convicted) t.convictions.clear();
    ASSERT_EQ(t.convictions.empty(), !convicted);
    Study study = NoComparison();
    study.outcome = "convictions_year_after";
    study.predictors = {"times_discussed", "plan"};
    study.interactions = {{"times_discussed", "times_discussed"}, {"times_discussed", "plan"}};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    EXPECT_TRUE(r->report["regression"].is_null()) << convicted;
    views.push_back({r->report["suppressed"], r->report["suppressed_reasons"]});
  }
  EXPECT_EQ(views[0], views[1]);
}

// Red team 17, W1: two studies each under the cohort-wide bound alone gave an outlier's leverage
// over the cohort above it together (the same design over all kaders and over all but one is a
// model over that one), so the second released said the outlier was never convicted. Earlier
// releases' equations over their cohorts now count in that bound (family cohort_rows).
TEST(Leverage, TwoStudiesTogetherTellNothingOfAnOutliersSet) {
  auto data = [](bool convicted) {
    std::vector<CohortSubjectIn> in = Subjects(120);
    for (size_t i = 0; i < in.size(); ++i)
      in[i].cases[0].attributes.kader = i % 3 == 0 ? "hic" : i % 3 == 1 ? "jeugd" : "risicoburger";
    CohortSubjectIn& t = in[0];
    t.cases[0].attributes.times_discussed = 7;  // the others: 1 to 4
    t.cases[0].attributes.life_domains = 8;
    if (!convicted) t.convictions.clear();
    return in;
  };
  Study first = NoComparison();
  first.lattice_margin = 0;  // the cohort-wide leverage bound alone (not the lattice cost)
  first.kaders = {"hic", "jeugd"};
  first.outcome = "convictions_year_after";
  first.predictors = {"age", "times_discussed", "plan", "life_domains"};
  first.interactions = {{"age", "age"}, {"age", "plan"}};
  Study second = first;
  second.kaders = {"hic", "jeugd", "risicoburger"};
  second.interactions = {{"age", "age"}, {"age", "times_discussed"}};
  std::vector<json> views;
  for (const bool convicted : {false, true}) {
    const std::vector<CohortSubjectIn> in = data(convicted);
    absl::StatusOr<StudyResult> r1 = AnalyzeStudy(first, in, {}, {});
    ASSERT_THAT(r1, IsOk());
    absl::StatusOr<StudyResult> r2 = AnalyzeStudy(second, in, {}, r1->released_sets);
    ASSERT_THAT(r2, IsOk());
    EXPECT_TRUE(r2->report["regression"].is_null()) << convicted;
    // The models and why they were withheld (the descriptives' own min/max rules differ with
    // the outlier's counts, as for anyone's: not this channel).
    auto models = [](const json& report) {
      json out = {report["regression"].is_null(), report["regression_fixed_alpha"].is_null()};
      for (size_t i = 0; i < report["suppressed"].size(); ++i) {
        if (report["suppressed"][i] == "/regression")
          out.push_back(report["suppressed_reasons"][i]);
      }
      return out;
    };
    views.push_back({models(r1->report), models(r2->report)});
    if (!convicted) {
      // Without the first study's cohort-wide equations (the code before), the second's
      // model was released beside the first.
      ASSERT_FALSE(r1->report["regression"].is_null());
      std::vector<SubjectSet> before;
      for (const SubjectSet& s : r1->released_sets)
        if (s.family != kCohortRowsFamily) before.push_back(s);
      absl::StatusOr<StudyResult> old = AnalyzeStudy(second, in, {}, before);
      ASSERT_THAT(old, IsOk());
      EXPECT_FALSE(old->report["regression"].is_null());
    }
  }
  EXPECT_EQ(views[0], views[1]);
}

// The target convicted (a conviction added when the synthetic history has none) or never.
void SetConvicted(CohortSubjectIn& t, bool convicted) {
  if (t.convictions.empty()) t.convictions.push_back({t.incidents[0].day + 30, "", ""});
  if (!convicted) t.convictions.clear();
}

// A study of convictions in the year after on both life-domain terms beside the others: the
// design whose capped term only those with 9 or more life domains carry.
Study LifeDomainsStudy() {
  Study study = NoComparison();
  study.outcome = "convictions_year_after";
  study.predictors = {"age", "times_discussed", "plan", "life_domains", "life_domains_capped"};
  return study;
}

// The models of a report, and every reason a part of them was withheld for.
json ModelsView(const json& report) {
  json out = {report["regression"].is_null(), report["regression_fixed_alpha"].is_null()};
  for (const char* model : {"regression", "regression_fixed_alpha"}) {
    if (!report[model].is_null()) out.push_back(report[model]["aliased"]);
  }
  for (size_t i = 0; i < report["suppressed"].size(); ++i) {
    const std::string pointer = report["suppressed"][i];
    if (pointer.rfind("/regression", 0) == 0)
      out.push_back({pointer, report["suppressed_reasons"][i]});
  }
  return out;
}

// Red team 18, A1: a case recording 9 life domains (everyone else 8 or fewer) made
// life_domains_capped "aliased" exactly when that person was not in the set (the incident
// set: known to the police; the conviction set: ever convicted), and the model was withheld
// by the leverage bound when they were. What is decided about the design is now decided over
// the cohort: the same models and reasons either way.
TEST(DesignOverTheCohort, ATermOnePersonCarriesTellsNothingOfTheirSet) {
  for (const char* outcome : {"incidents_year_after", "convictions_year_after"}) {
    std::vector<json> views;
    for (const bool in_set : {true, false}) {
      std::vector<CohortSubjectIn> in = Subjects(80);
      CohortSubjectIn& t = in[0];
      ASSERT_FALSE(t.incidents.empty());
      t.cases[0].attributes.life_domains = 9;
      SetConvicted(t, true);
      if (!in_set) {
        t.convictions.clear();
        if (std::string(outcome) == "incidents_year_after") t.incidents.clear();
      }
      Study study = LifeDomainsStudy();
      study.outcome = outcome;
      absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
      ASSERT_THAT(r, IsOk());
      EXPECT_TRUE(r->report["regression"].is_null()) << outcome << " " << in_set;
      views.push_back(ModelsView(r->report));
    }
    EXPECT_EQ(views[0], views[1]) << outcome;
  }
}

// Red team 18, T1: a term two-valued over the set (plan 0 or 1, 0 held by a few) but for one
// person's third value (plan 2) withheld the model by the two-valued rule exactly when that
// person was not in the set. The rule is now decided over the cohort.
TEST(DesignOverTheCohort, ATwoValuedTermIsDecidedOverTheCohort) {
  std::vector<json> views;
  for (const bool convicted : {true, false}) {
    std::vector<CohortSubjectIn> in = Subjects(80, 11, 0, 0);
    for (size_t i = 0; i < in.size(); ++i) {
      CaseAttributes& a = in[i].cases[0].attributes;
      a.goals = i == 0 || i > 5;  // plan 0 for five
      a.decisions = i == 0;       // plan 2 for one
      a.actions = false;
    }
    CohortSubjectIn& t = in[0];
    SetConvicted(t, convicted);
    Study study = NoComparison();
    study.outcome = "convictions_year_after";
    study.predictors = {"age", "plan"};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    views.push_back(ModelsView(r->report));
    EXPECT_THAT(r->report["suppressed_reasons"].dump(), Not(HasSubstr("two-valued"))) << convicted;
  }
  EXPECT_EQ(views[0], views[1]);
}

// Red team 18, C1: correlations of two case attributes over the conviction set told, beside
// the case file, whether an added case discussed 16 times was ever convicted (24 of 24). They
// are withheld; an attribute one person's value carries over the cohort is withheld with the
// counts too, convicted or not.
TEST(DesignOverTheCohort, CorrelationsOfCaseAttributesTellNothingOfTheSet) {
  std::vector<json> views;
  for (const bool convicted : {true, false}) {
    std::vector<CohortSubjectIn> in = Subjects(80);
    CohortSubjectIn& t = in[0];
    t.cases[0].attributes.times_discussed = 16;  // the others: 1 to 4
    SetConvicted(t, convicted);
    Study study = NoComparison();
    study.predictors = {"age"};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    const json& corr = r->report["correlations"];
    ASSERT_TRUE(corr["r"].is_array()) << r->report["suppressed_reasons"].dump();
    json view = json::array();
    for (size_t a = 0; a < 8; ++a) {
      for (size_t b = 0; b < 8; ++b) {
        const bool attributes = a >= 4 && b >= 4;
        const bool times =
            corr["variables"][a] == "times_discussed" || corr["variables"][b] == "times_discussed";
        if (a != b && (attributes || times)) {
          EXPECT_TRUE(corr["r"][a][b].is_null()) << a << " " << b << " " << convicted;
        }
        if (attributes || times) view.push_back(corr["r"][a][b]);
      }
    }
    views.push_back(view);
  }
  EXPECT_EQ(views[0], views[1]);
}

// Red team 19, G3: three people alone carried a term (9 or more life domains, everyone else 8
// or fewer); two of them could never link, so the model withheld for aliasing over
// the set meant the third was not in it (16 of 16). A term so few carry is withheld over the
// cohort.
TEST(DesignOverTheCohort, ATermAFewCarryTellsNothingOfTheirSet) {
  std::vector<json> views;
  for (const bool convicted : {true, false}) {
    std::vector<CohortSubjectIn> in = Subjects(80);
    for (int k = 0; k < 3; ++k) in[static_cast<size_t>(k)].cases[0].attributes.life_domains = 9;
    for (int k = 1; k < 3; ++k) {
      in[static_cast<size_t>(k)].incidents.clear();
      in[static_cast<size_t>(k)].convictions.clear();
    }
    CohortSubjectIn& t = in[0];
    SetConvicted(t, convicted);
    Study study = LifeDomainsStudy();
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    EXPECT_TRUE(r->report["regression"].is_null()) << convicted;
    views.push_back(ModelsView(r->report));
  }
  EXPECT_EQ(views[0], views[1]);
}

// Seven people alone carried a term (10 life domains, everyone else 8 or fewer), enough for the
// participation ratio; the model was withheld for aliasing over the set exactly when none of
// them was in it, and released when two were (a zero cell for a group: "none of the seven ever
// convicted"). When it was released, the term's score equation was about the carriers in the set
// alone, and with the coefficients and their case attributes red team 20 solved it for their
// memberships and exact counts (D, 37 of 37); in "zero" mode "not estimable" meant all had none
// (Z, NA0). The model is withheld over the cohort, whoever of them is in the set and whatever
// their counts.
TEST(DesignOverTheCohort, AGroupOfCarriersTellsNothingOfTheirSetOrCounts) {
  for (const bool zero : {false, true}) {
    std::vector<json> views;
    for (const int convicted : {0, 2, 7}) {
      std::vector<CohortSubjectIn> in = Subjects(80, 7, 0, 0);
      for (int k = 0; k < 7; ++k) {
        CohortSubjectIn& c = in[static_cast<size_t>(k)];
        c.cases[0].attributes.life_domains = 10;
        SetConvicted(c, k < convicted);
      }
      Study study = LifeDomainsStudy();
      study.unlinked_as_zero = zero;
      absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
      ASSERT_THAT(r, IsOk());
      EXPECT_TRUE(r->report["regression"].is_null())
          << zero << " " << convicted << " " << r->report["suppressed_reasons"].dump();
      views.push_back(ModelsView(r->report));
    }
    EXPECT_EQ(views[0], views[1]) << zero;
    EXPECT_EQ(views[0], views[2]) << zero;
    EXPECT_THAT(views[0].dump(), HasSubstr("differs from a combination of the others on few"));
  }
}

// The carrier search over groups of other sizes, up to a quarter of the cohort (40 of 160), their
// values spread (9 to 11 life domains: the farthest carriers lever the fit most) and a term of an
// interaction: found over the cohort, so none or two of the group in the set read the same.
TEST(DesignOverTheCohort, CarrierGroupsOfOtherSizesAndShapesAreFound) {
  for (const int group : {6, 9, 14, 20, 38}) {
    for (const bool interaction : {false, true}) {
      std::vector<json> views;
      for (const int convicted : {0, 2}) {
        std::vector<CohortSubjectIn> in = Subjects(160, 11, 0, 0);
        for (int k = 0; k < group; ++k) {
          CohortSubjectIn& c = in[static_cast<size_t>(k)];
          c.cases[0].attributes.life_domains = 9 + k % 3;
          SetConvicted(c, k < convicted);
        }
        Study study = NoComparison();
        study.outcome = "convictions_year_after";
        study.predictors = {"age", "plan", "life_domains", "life_domains_capped"};
        if (interaction) study.interactions = {{"age", "life_domains_capped"}};
        absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
        ASSERT_THAT(r, IsOk());
        EXPECT_TRUE(r->report["regression"].is_null()) << group << " " << convicted;
        views.push_back(ModelsView(r->report));
      }
      EXPECT_EQ(views[0], views[1]) << group << " " << interaction;
      EXPECT_THAT(views[0].dump(), HasSubstr("differs from a combination of the others on few"))
          << group;
    }
  }
}

// Red team 21, SP: a window of 30 in zero mode with three convictions in the quarter after; the
// model's equations beside the descriptives' sum and sum of squares had one solution in whole
// numbers: every member's exact count (207 of 207). A model whose outcome fewer than min_cell
// hold another count of than the most common is withheld, and so are that count's
// correlations.
TEST(DesignOverTheCohort, ASparseOutcomesModelIsWithheld) {
  for (const int convicted : {3, 9, 30}) {
    std::vector<CohortSubjectIn> in = Subjects(80, 7, 0, 0);
    for (size_t i = 0; i < in.size(); ++i) {
      const int32_t t = in[i].cases[0].first_discussed_day;
      std::vector<CohortEventIn>& c = in[i].convictions;
      c.erase(std::remove_if(c.begin(), c.end(),
                             [&](const CohortEventIn& e) { return e.day >= t && e.day < t + 400; }),
              c.end());
      if (static_cast<int>(i) < convicted) {
        c.push_back({t + 30, "", ""});
        std::sort(c.begin(), c.end(),
                  [](const CohortEventIn& a, const CohortEventIn& b) { return a.day < b.day; });
      }
    }
    Study study = NoComparison();
    study.unlinked_as_zero = true;
    study.outcome = "convictions_year_after";
    study.predictors = {"age", "times_discussed", "plan", "life_domains"};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    const std::string reasons = r->report["suppressed_reasons"].dump();
    const bool sparse = reasons.find("could be solved for") != std::string::npos;
    EXPECT_EQ(sparse, convicted < 10) << convicted << " " << reasons;
    if (convicted < 10) {
      EXPECT_TRUE(r->report["regression"].is_null());
      EXPECT_TRUE(r->report["regression_fixed_alpha"].is_null());
      EXPECT_TRUE(r->report["correlations"]["r"][1][4].is_null());  // year after x age
    }
  }
}

// Red team 21, BIG: many carriers alike (cases without a birth date, so the cohort's median age,
// and 9 life domains) pull a full fit toward themselves, so that the one-row-at-a-time search
// missed them (here from 35 of 214) and the set's aliasing read the added person again. The
// concentration steps find them.
TEST(DesignOverTheCohort, ALargeGroupOfAlikeCarriersIsFound) {
  for (const int group : {22, 35, 40}) {
    std::vector<CohortSubjectIn> in = Subjects(214, 7, 0, 0);
    for (int k = 0; k < group; ++k) {
      CaseAttributes& a = in[static_cast<size_t>(k)].cases[0].attributes;
      a.life_domains = k < 3 ? 10 + k % 2 : 9;
      if (k >= 3) a.age = 25;
    }
    Study study = NoComparison();
    study.outcome = "convictions_year_after";
    study.predictors = {"age", "life_domains", "life_domains_capped"};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    EXPECT_TRUE(r->report["regression"].is_null()) << group;
    EXPECT_THAT(r->report["suppressed_reasons"].dump(),
                HasSubstr("differs from a combination of the others on few"))
        << group;
  }
}

// Eight people alone had a plan; a correlation of plan over the conviction set was "not
// computable: plan is constant" exactly when none of them was ever convicted, and a number when
// one was. Few in the set, none included, is one reason.
TEST(DesignOverTheCohort, AnAttributeConstantOverTheSetTellsNothingOfAGroup) {
  std::vector<json> views;
  for (const int convicted : {0, 1}) {
    std::vector<CohortSubjectIn> in = Subjects(80, 7, 0, 0);
    for (size_t i = 0; i < in.size(); ++i) {
      CaseAttributes& a = in[i].cases[0].attributes;
      a.goals = i < 8;
      a.decisions = a.actions = false;
      if (i < 8) SetConvicted(in[i], static_cast<int>(i) < convicted);
    }
    Study study = NoComparison();
    study.predictors = {"age"};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    ASSERT_THAT(r, IsOk());
    const json& corr = r->report["correlations"];
    ASSERT_TRUE(corr["r"].is_array()) << r->report["suppressed_reasons"].dump();
    const json& names = corr["variables"];
    const size_t plan =
        static_cast<size_t>(std::find(names.begin(), names.end(), json("plan")) - names.begin());
    ASSERT_LT(plan, 8u);
    json view = json::array();
    for (size_t b = 0; b < 8; ++b) {
      EXPECT_TRUE(corr["r"][plan][b].is_null()) << convicted << " " << b;
      view.push_back(corr["r"][plan][b]);
    }
    for (size_t i = 0; i < r->report["suppressed"].size(); ++i) {
      const std::string pointer = r->report["suppressed"][i];
      if (pointer.rfind("/correlations", 0) == 0)
        view.push_back({pointer, r->report["suppressed_reasons"][i]});
    }
    views.push_back(view);
  }
  EXPECT_EQ(views[0], views[1]);
}

// Red team 19, GN: the comparison's note on missing genders was decided over the pool and the
// treated (the incident set), so a case without a gender told whether that person is known to
// the police (18 of 18). It is decided over the pool and the whole cohort.
TEST(DesignOverTheCohort, TheNoteOnMissingGendersTellsNothingOfTheSet) {
  std::vector<json> notes;
  for (const bool known : {true, false}) {
    std::vector<CohortSubjectIn> in = Subjects(120);
    CohortSubjectIn& t = in[0];
    t.cases[0].attributes.gender = 'o';
    if (!known) {
      t.incidents.clear();
      t.convictions.clear();
    }
    std::vector<CohortSubjectIn> pool = Subjects(300, 9, 1000, 0);
    for (CohortSubjectIn& p : pool) p.cases.clear();
    Study study;
    study.comparison.bootstrap_replicates = 50;
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, pool, {});
    ASSERT_THAT(r, IsOk());
    ASSERT_TRUE(r->report["comparison"].is_object()) << known;
    notes.push_back(r->report["comparison"]["notes"]);
  }
  EXPECT_EQ(notes[0], notes[1]);
  EXPECT_THAT(notes[0].dump(), HasSubstr("some subjects have no gender"));
}

TEST(Leverage, RepeatedModelsOfOneCohortKeepEveryoneBelowTheBound) {
  // AnalyzeStudy end to end: studies of one cohort with other predictors until the budget or
  // the bound withholds them; over everything released, no subject's leverage exceeds 0.5.
  const std::vector<CohortSubjectIn> in = Subjects(80);
  std::vector<SubjectSet> released;
  const std::vector<std::string>& vars = kModelVariables;
  int leverage_withheld = 0, models_released = 0;
  for (int k = 0; k < 12; ++k) {
    Study study = NoComparison();
    study.lattice_margin = 0;  // the bound alone (the lattice cost: Lattice.*)
    // Outcomes many hold counts other than 0 of (a sparser one withholds its models: SP).
    study.outcome = k % 2 ? "convictions_year_after" : "incidents_year_after";
    study.predictors = {vars[static_cast<size_t>(k) % vars.size()],
                        vars[static_cast<size_t>(k + 1) % vars.size()],
                        vars[static_cast<size_t>(k + 3) % vars.size()]};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, released);
    if (!r.ok()) continue;
    models_released += !r->report["regression"].is_null();
    for (const auto& reason : r->report["suppressed_reasons"])
      leverage_withheld += reason.get<std::string>().find("leverage") != std::string::npos;
    released.insert(released.end(), r->released_sets.begin(), r->released_sets.end());
  }
  // Every row released, per source, as one matrix over the cohort.
  for (const char* source : kBudgetSources) {
    std::vector<std::vector<double>> rows;
    std::map<std::string, int> column;
    for (const SubjectSet& set : released) {
      for (const std::string& id : set.ids) column.emplace(id, 0);
    }
    int c = 0;
    for (auto& [id, index] : column) index = c++;
    for (const SubjectSet& set : released) {
      for (const auto& [key, w] : set.rows) {
        if (key.rfind(Cat(source, "|"), 0) != 0) continue;
        rows.emplace_back(static_cast<size_t>(c), 0.0);
        for (size_t i = 0; i < set.ids.size(); ++i)
          rows.back()[static_cast<size_t>(column[set.ids[i]])] = w[i];
      }
    }
    Eigen::MatrixXd a(static_cast<Eigen::Index>(rows.size()), c);
    for (size_t r = 0; r < rows.size(); ++r)
      for (int j = 0; j < c; ++j)
        a(static_cast<Eigen::Index>(r), j) = rows[r][static_cast<size_t>(j)];
    if (rows.empty()) continue;
    EXPECT_LE(SubjectLeverage(a).maxCoeff(), 0.5 + 1e-6) << source;
  }
  EXPECT_GE(leverage_withheld, 1);
  EXPECT_GE(models_released, 1);
}

TEST(Report, TheLinkageSectionIsTheCohortsOwn) {
  std::vector<CohortSubjectIn> in = Subjects(40, 7, 0, 0);
  for (int i = 0; i < 5; ++i) in[static_cast<size_t>(i)].incidents.clear();  // 5 unlinked
  for (int i = 0; i < 5; ++i) in[static_cast<size_t>(i)].convictions.clear();
  absl::StatusOr<StudyResult> r = AnalyzeStudy(NoComparison(), in, {}, {});
  ASSERT_THAT(r, IsOk());
  const nlohmann::json& l = r->report["linkage"];
  EXPECT_EQ(l["scope"], "cohort");
  EXPECT_EQ(l["cases"], 40);
  EXPECT_EQ(l["subjects"], 40);
  // 35 linked beside 5 not linked: the 5 would follow, so both are withheld.
  EXPECT_TRUE(l["cases_linked_incidents"].is_null());
  for (const char* key : {"incident_records", "conviction_records", "ambiguous_keys", "by_level"}) {
    EXPECT_TRUE(l[key].is_null()) << key;
    EXPECT_THAT(r->report["suppressed"], Contains(Cat("/linkage/", key)));
  }
  // A case outside the study's kaders changes nothing the analyst sees.
  std::vector<CohortSubjectIn> more = in;
  CohortSubjectIn other = Subjects(1, 99, 500)[0];
  other.cases[0].attributes.kader = "veelpleger";
  more.push_back(other);
  absl::StatusOr<StudyResult> again = AnalyzeStudy(NoComparison(), more, {}, {});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->report["linkage"], l);
}

TEST(Report, ComparisonCountsAreNotReleasedBesideASuppressedOne) {
  // 14 in the cohort, 8 of them known to the police: the incident set is suppressed, so the
  // comparison's cohort_subjects and matched (the same people) must be too.
  std::vector<CohortSubjectIn> in = Subjects(14);
  for (int i = 0; i < 6; ++i) {
    in[static_cast<size_t>(i)].incidents.clear();
    in[static_cast<size_t>(i)].convictions.clear();
  }
  std::vector<CohortSubjectIn> pool = Subjects(200, 3, 1000, 0);
  for (CohortSubjectIn& p : pool) p.cases.clear();
  absl::StatusOr<StudyResult> r = AnalyzeStudy(Study(), in, pool, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->report["cohort"]["n_incident_set"].is_null());
  // The comparison's treated subjects are the incident set: the whole section is withheld
  // with it (F3), not only its counts.
  EXPECT_TRUE(r->report["comparison"].is_null());
  EXPECT_THAT(r->report["suppressed"], Contains("/comparison"));
}

TEST(Report, PoolFiguresAreWithheldWhenThePoolDiffersByAFew) {
  std::vector<CohortSubjectIn> in = Subjects(60);
  std::vector<CohortSubjectIn> pool = Subjects(300, 3, 1000, 0);
  for (CohortSubjectIn& p : pool) p.cases.clear();
  absl::StatusOr<StudyResult> first = AnalyzeStudy(Study(), in, pool, {});
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->report["comparison"].is_object());
  EXPECT_EQ(first->report["comparison"]["pool_subjects"], 300);
  // One pool member (not a control) is discussed in a case outside this study: the pool
  // loses one person, and nothing else changes.
  std::set<std::string> controls;
  for (const SubjectSet& set : first->released_sets) {
    if (set.family == "comparison") controls.insert(set.ids.begin(), set.ids.end());
  }
  ASSERT_FALSE(controls.empty());
  auto gone = std::find_if(pool.begin(), pool.end(), [&](const CohortSubjectIn& p) {
    return !controls.contains(p.subject_id);
  });
  ASSERT_NE(gone, pool.end());
  pool.erase(gone);
  absl::StatusOr<StudyResult> second = AnalyzeStudy(Study(), in, pool, first->released_sets);
  ASSERT_THAT(second, IsOk());
  const nlohmann::json& c = second->report["comparison"];
  EXPECT_TRUE(c["pool_subjects"].is_null());
  if (c["balance"].is_array()) {
    for (const auto& row : c["balance"]) EXPECT_TRUE(row["pool_mean"].is_null());
  }
}

// --- Red-team findings F2-F4 (issue 12) ---------------------------------------------------

// A text the analyst reads carries no number but the policy's (min_cell, min_residual_df: 10).
bool OnlyPolicyNumbers(std::string text) {
  for (const char* constant : {"10", "alpha 0"}) {
    for (size_t at; (at = text.find(constant)) != std::string::npos;)
      text.erase(at, strlen(constant));
  }
  return std::none_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<CohortSubjectIn> Without(const std::vector<CohortSubjectIn>& in,
                                     const std::set<int>& drop) {
  std::vector<CohortSubjectIn> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!drop.contains(static_cast<int>(i))) out.push_back(in[i]);
  }
  return out;
}

TEST(Oracle, DifferencingDecisionsDependOnTheCohortNotOnLinkage) {
  // F2: stepping the cohort's boundary by a few cases must give the same decision and the same
  // text whether the cases left out are known to the police or not.
  const std::vector<CohortSubjectIn> in = Subjects(200);  // every 4th (3, 7, ...) not linked
  absl::StatusOr<StudyResult> first = AnalyzeStudy(NoComparison(), in, {}, {});
  ASSERT_THAT(first, IsOk());
  const std::vector<SubjectSet>& released = first->released_sets;
  // Five left out, all linked / all unlinked: refused alike, by the same text, no count.
  absl::StatusOr<StudyResult> linked =
      AnalyzeStudy(NoComparison(), Without(in, {0, 1, 2, 4, 5}), {}, released);
  absl::StatusOr<StudyResult> unlinked =
      AnalyzeStudy(NoComparison(), Without(in, {3, 7, 11, 15, 19}), {}, released);
  ASSERT_FALSE(linked.ok());
  ASSERT_FALSE(unlinked.ok());
  EXPECT_EQ(linked.status().message(), unlinked.status().message());
  EXPECT_TRUE(OnlyPolicyNumbers(std::string(linked.status().message())))
      << linked.status().message();
  EXPECT_FALSE(RefusalDependsOnData(linked.status()));
  // Ten left out, eight of them linked: the incident sets differ by 8, the cohorts by 10. The
  // decision is the cohort's: released (before, the incident set's difference refused it and
  // said "by 8").
  EXPECT_THAT(
      AnalyzeStudy(NoComparison(), Without(in, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), {}, released),
      IsOk());
  // And with all ten linked.
  EXPECT_THAT(
      AnalyzeStudy(NoComparison(), Without(in, {0, 1, 2, 4, 5, 6, 8, 9, 10, 12}), {}, released),
      IsOk());
}

// Every count-of-subjects member of a report, by pointer.
void CountMembers(const nlohmann::json& j, const std::string& at,
                  std::vector<std::pair<std::string, double>>* out) {
  static const std::set<std::string> kCounts = {"n",
                                                "df",
                                                "cohort_subjects",
                                                "matched",
                                                "n_matched",
                                                "n_incident_set",
                                                "n_conviction_set",
                                                "cases_linked_incidents",
                                                "cases_linked_convictions"};
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == "study" || k == "audit") continue;
      if (kCounts.contains(k) && v.is_number()) out->emplace_back(at + "/" + k, v.get<double>());
      CountMembers(v, at + "/" + k, out);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) CountMembers(j[i], Cat(at, "/", i), out);
  }
}

TEST(Oracle, ALinkedCountNearTheCohortSizeIsWithheldEverywhere) {
  // F3: 40 discussed, 36 known to the police (4 not): no member may give 36 (nor n - 1 = 35,
  // a test's df), and every withheld member has the one reason.
  std::vector<CohortSubjectIn> in = Subjects(40, 7, 0, 0);
  for (int i = 0; i < 4; ++i) {
    in[static_cast<size_t>(i)].incidents.clear();
    in[static_cast<size_t>(i)].convictions.clear();
  }
  std::vector<CohortSubjectIn> pool = Subjects(200, 3, 1000, 0);
  for (CohortSubjectIn& p : pool) p.cases.clear();
  int64_t convicted = 0;
  for (const CohortSubjectIn& s : in) convicted += !s.convictions.empty();
  auto check = [&](const std::vector<CohortSubjectIn>& subjects, int64_t linked) {
    absl::StatusOr<StudyResult> r = AnalyzeStudy(Study(), subjects, pool, {});
    ASSERT_THAT(r, IsOk());
    const nlohmann::json& rep = r->report;
    for (const char* p : {"/cohort/n_incident_set", "/descriptives/incidents_year_after",
                          "/descriptives/incidents_quarter_before", "/paired_tests/incidents_year",
                          "/comparison", "/linkage/cases_linked_incidents"}) {
      EXPECT_TRUE(rep[nlohmann::json::json_pointer(p)].is_null()) << p;
      EXPECT_THAT(rep["suppressed"], Contains(p));
    }
    std::set<std::string> reasons;
    for (size_t i = 0; i < rep["suppressed"].size(); ++i) {
      const std::string p = rep["suppressed"][i];
      if (p.find("incidents") != std::string::npos || p == "/cohort/n_incident_set" ||
          p.rfind("/comparison", 0) == 0) {
        reasons.insert(rep["suppressed_reasons"][i].get<std::string>());
        EXPECT_NE(p.rfind("/descriptives/incidents_year_after/", 0), 0u) << p;  // no leftovers
      }
    }
    EXPECT_EQ(reasons.size(), 1u);
    for (const auto& reason : rep["suppressed_reasons"])
      EXPECT_TRUE(OnlyPolicyNumbers(reason.get<std::string>())) << reason;
    std::vector<std::pair<std::string, double>> counts;
    CountMembers(rep, "", &counts);
    for (const auto& [pointer, value] : counts) {
      if (linked == 40) break;  // everyone: the count is the cohort's size, known anyway
      EXPECT_NE(value, static_cast<double>(linked)) << pointer;
      EXPECT_NE(value, static_cast<double>(linked - 1)) << pointer;
      if (40 - convicted < 10) {
        EXPECT_NE(value, static_cast<double>(convicted)) << pointer;
      }
    }
  };
  check(in, 36);
  // Everyone known to the police is a disclosure about every member too.
  check(Subjects(40, 7, 0, 0), 40);
  // Fifteen not linked: the counts are released.
  std::vector<CohortSubjectIn> fifteen = Subjects(40, 7, 0, 0);
  for (int i = 0; i < 15; ++i) fifteen[static_cast<size_t>(i)].incidents.clear();
  absl::StatusOr<StudyResult> r = AnalyzeStudy(Study(), fifteen, pool, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->report["cohort"]["n_incident_set"], 25);
}

std::set<std::string> StatisticKeys(const std::vector<SubjectSet>& sets) {
  std::set<std::string> out;
  for (const SubjectSet& s : sets) out.insert(s.statistics.begin(), s.statistics.end());
  return out;
}

TEST(Oracle, ARerunOnChangedDataIsANewEquationAndAFewChangesReadAsTheRelease) {
  // F4: the ledger keys carry a digest of the data; the per-subject input tags are keyed.
  const std::vector<CohortSubjectIn> in = Subjects(200);
  absl::StatusOr<StudyResult> first = AnalyzeStudy(NoComparison(), in, {}, {}, "secret");
  ASSERT_THAT(first, IsOk());
  std::vector<SubjectSet> released = first->released_sets;
  const std::set<std::string> before = StatisticKeys(released);
  // The identical study on the same data: the same equations, free.
  absl::StatusOr<StudyResult> again = AnalyzeStudy(NoComparison(), in, {}, released, "secret");
  ASSERT_THAT(again, IsOk());
  for (const std::string& k : StatisticKeys(again->released_sets)) EXPECT_TRUE(before.contains(k));
  // A police update: one more conviction for one subject, in its year after. (The update
  // touches subjects convicted already, so the conviction set stays the same; one moving a few
  // into it is below.)
  std::vector<size_t> convicted;
  for (size_t i = 0; i < in.size() && convicted.size() < 12; ++i)
    if (!in[i].convictions.empty()) convicted.push_back(i);
  std::vector<CohortSubjectIn> update = in;
  auto add_conviction = [](CohortSubjectIn& s) {
    s.convictions.push_back({s.cases[0].first_discussed_day + 20, "", ""});
  };
  add_conviction(update[convicted[0]]);
  // One changed: released as if nothing had changed (a refusal told, beside fictional fillers,
  // whether that one person's records had changed: red team 8, F3; withholding every count
  // figure told the same to an analyst who believed the others' records unchanged: red team 9,
  // R1). The release's remembered inputs are read for the changed people, the auditor is told.
  auto as_released = [&](const std::vector<CohortSubjectIn>& data, int changed) {
    absl::StatusOr<StudyResult> r = AnalyzeStudy(NoComparison(), data, {}, released, "secret");
    ASSERT_THAT(r, IsOk()) << RefusalDetail(r.status());
    EXPECT_EQ(r->report, again->report);
    EXPECT_EQ(r->police_inputs_restored, changed);
    for (const std::string& k : StatisticKeys(r->released_sets)) EXPECT_TRUE(before.contains(k));
  };
  as_released(update, 1);
  // Nine changed: the same; twelve: released, and its statistics are new equations.
  for (size_t k = 1; k < 12; ++k) add_conviction(update[convicted[k]]);
  std::vector<CohortSubjectIn> nine(update.begin(), update.end());
  for (size_t k = 9; k < 12; ++k) nine[convicted[k]] = in[convicted[k]];
  as_released(nine, 9);
  // Under another incident filter (another count definition) a release's counts are not given
  // again: every figure over the counts is withheld, with the linked-count rule's one reason
  // (F3), whether a few changed or none (since session 11, rule incident_filter_changed: red
  // team 15, F1).
  auto counts_withheld = [&](const std::vector<CohortSubjectIn>& data) {
    Study other = NoComparison();
    other.excluded_categories.push_back("overig");
    absl::StatusOr<StudyResult> base = AnalyzeStudy(other, in, {}, released, "secret");
    ASSERT_THAT(base, IsOk());
    std::vector<SubjectSet> with_other = released;
    for (const SubjectSet& s : base->released_sets) with_other.push_back(s);
    Study roles = other;
    roles.roles = {"verdachte", "getuige", "slachtoffer", "betrokkene"};
    absl::StatusOr<StudyResult> r = AnalyzeStudy(roles, data, {}, with_other, "secret");
    ASSERT_THAT(r, IsOk()) << RefusalDetail(r.status());
    EXPECT_EQ(r->police_inputs_restored, 0);
    const json& rep = r->report;
    for (const char* p :
         {"/cohort/n_incident_set", "/cohort/n_conviction_set",
          "/descriptives/incidents_year_after", "/descriptives/convictions_year_after",
          "/paired_tests/incidents_year", "/regression", "/correlations/r"}) {
      EXPECT_TRUE(rep[json::json_pointer(p)].is_null()) << p;
    }
    EXPECT_FALSE(rep["descriptives"]["age"].is_null());
    for (size_t i = 0; i < rep["suppressed"].size(); ++i) {
      if (rep["suppressed"][i] == "/descriptives/incidents_year_after") {
        EXPECT_THAT(rep["suppressed_reasons"][i].get<std::string>(),
                    HasSubstr("how many of the cohort the police or court records hold"));
      }
    }
    bool audited = false;
    for (const json& w : r->withheld)
      audited = audited || w.dump().find("incident_filter_changed") != std::string::npos;
    EXPECT_TRUE(audited);
  };
  std::vector<CohortSubjectIn> one = in;
  add_conviction(one[convicted[0]]);
  counts_withheld(one);
  counts_withheld(in);
  absl::StatusOr<StudyResult> twelve = AnalyzeStudy(NoComparison(), update, {}, released, "secret");
  ASSERT_THAT(twelve, IsOk()) << RefusalDetail(twelve.status());
  EXPECT_FALSE(twelve->report["descriptives"]["convictions_year_after"].is_null());
  // Twelve changed, three of them convicted for the first time: the conviction set differs by
  // three, and its statistics from the released ones (the statistic differencing, issue 12).
  // Before, the whole study was refused; now every figure over the conviction set is withheld
  // with the budget's reason, and the incident figures (their set and data unchanged) and the
  // case file's are released.
  std::vector<CohortSubjectIn> first_time = update;
  for (size_t k = 9; k < 12; ++k) first_time[convicted[k]] = in[convicted[k]];
  for (size_t i : {size_t{3}, size_t{7}, size_t{11}}) add_conviction(first_time[i]);
  absl::StatusOr<StudyResult> three =
      AnalyzeStudy(NoComparison(), first_time, {}, released, "secret");
  ASSERT_THAT(three, IsOk()) << RefusalDetail(three.status());
  const json& t = three->report;
  for (const char* p : {"/cohort/n_conviction_set", "/descriptives/convictions_year_after",
                        "/paired_tests/convictions_year", "/regression", "/correlations/r"}) {
    EXPECT_TRUE(t[json::json_pointer(p)].is_null()) << p;
  }
  for (const char* p : {"/cohort/n_incident_set", "/descriptives/incidents_year_after",
                        "/paired_tests/incidents_year", "/descriptives/age"}) {
    EXPECT_FALSE(t[json::json_pointer(p)].is_null()) << p;
  }
  for (size_t i = 0; i < t["suppressed"].size(); ++i) {
    if (t["suppressed"][i] == "/descriptives/convictions_year_after") {
      EXPECT_THAT(t["suppressed_reasons"][i].get<std::string>(), HasSubstr("the release budget"));
      EXPECT_TRUE(OnlyPolicyNumbers(t["suppressed_reasons"][i].get<std::string>()));
    }
  }
  int64_t fresh = 0;
  for (const std::string& k : StatisticKeys(twelve->released_sets)) fresh += !before.contains(k);
  EXPECT_GT(fresh, 0);
  // Case-file revisions of one covariate, round after round (the red-teamer's 20 rounds):
  // each round's models are new equations; with unlinked counted as zero the budget withholds
  // them before the counts can be solved. With unlinked subjects left out, a model over the
  // linked that changed or not said whether the revised people are linked (red team 13, T5):
  // the models are withheld while case variables differ from a release, the counts stand.
  for (const bool zero : {true, false}) {
    std::vector<SubjectSet> history = released;
    std::vector<CohortSubjectIn> revised = in;
    Study solve = NoComparison();
    solve.lattice_margin = 0;  // the equations of changed data alone (the lattice cost: Lattice.*)
    solve.predictors = {"times_discussed", "life_domains_capped", "plan"};
    solve.unlinked_as_zero = zero;
    int models = 0, withheld = 0;
    for (int round = 0; round < 20; ++round) {
      for (size_t i = 0; i < revised.size(); ++i)
        revised[i].cases[0].attributes.times_discussed =
            10 + 5 * round + static_cast<int>((i * 7) % 5);
      absl::StatusOr<StudyResult> r = AnalyzeStudy(solve, revised, {}, history, "secret");
      if (!r.ok()) {
        ADD_FAILURE() << RefusalDetail(r.status());
        continue;
      }
      if (!r->report["regression"].is_null()) {
        ++models;
      } else {
        ++withheld;
        if (!zero) {
          const json& rep = r->report;
          std::string reason;
          for (size_t i = 0; i < rep["suppressed"].size(); ++i)
            if (rep["suppressed"][i] == "/regression") reason = rep["suppressed_reasons"][i];
          EXPECT_THAT(reason, HasSubstr("whether a model over the linked changed"));
          EXPECT_FALSE(r->report["descriptives"]["convictions_year_after"].is_null());
        }
      }
      history.insert(history.end(), r->released_sets.begin(), r->released_sets.end());
    }
    if (zero) {
      EXPECT_GT(models, 0);
      EXPECT_GT(withheld, 0);
    } else {
      EXPECT_EQ(models, 0);
    }
    EXPECT_THAT(CheckReleaseBudget({}, history, 10), IsOk());
  }
  // The tags are keyed: another key, other tags.
  const std::vector<SubjectVariables> cohort = BuildCohort(in, NoComparison());
  for (size_t f = 0; f < 2; ++f) {
    const Study s = NoComparison();
    EXPECT_NE(InputsSets(s, in, cohort, "a")[f].ids, InputsSets(s, in, cohort, "b")[f].ids);
    EXPECT_EQ(InputsSets(s, in, cohort, "a")[f].ids, InputsSets(s, in, cohort, "a")[f].ids);
  }
}

}  // namespace
}  // namespace pprl
