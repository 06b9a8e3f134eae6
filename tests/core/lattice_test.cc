// Whole-number solving of released model equations (issue 12, the class red team 21's SP
// attack belonged to): lattice reduction against published coefficients, the 6 significant
// digits figures are released to, and the release budget's cost of equations whose weights
// the analyst knows (core/disclosure_budget.h, KnownWeightsCost).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cohort_variables.h"
#include "core/disclosure_budget.h"
#include "core/study.h"
#include "core/study_analysis.h"
#include "core/study_report.h"
#include "tests/core/synthetic_cohort.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using nlohmann::json;
using ::pprl::testing::IsOk;
using ::testing::HasSubstr;

// LLL reduction (Cohen, algorithm 2.6.3: floating Gram-Schmidt coefficients updated in place
// on each swap) of the integer rows of `b`, delta 0.99.
void Lll(std::vector<std::vector<int64_t>>& b) {
  const size_t n = b.size();
  std::vector<std::vector<double>> mu(n, std::vector<double>(n, 0.0));
  std::vector<double> norm(n, 0.0);  // squared lengths of the Gram-Schmidt vectors
  std::vector<std::vector<double>> star(n);
  for (size_t i = 0; i < n; ++i) {
    star[i].assign(b[i].begin(), b[i].end());
    for (size_t j = 0; j < i; ++j) {
      double dot = 0;
      for (size_t c = 0; c < b[i].size(); ++c) dot += static_cast<double>(b[i][c]) * star[j][c];
      mu[i][j] = norm[j] > 0 ? dot / norm[j] : 0;
      for (size_t c = 0; c < b[i].size(); ++c) star[i][c] -= mu[i][j] * star[j][c];
    }
    for (double x : star[i]) norm[i] += x * x;
  }
  auto reduce = [&](size_t k, size_t l) {
    const double q = std::round(mu[k][l]);
    if (q == 0) return;
    const int64_t qi = static_cast<int64_t>(q);
    for (size_t c = 0; c < b[k].size(); ++c) b[k][c] -= qi * b[l][c];
    mu[k][l] -= q;
    for (size_t i = 0; i < l; ++i) mu[k][i] -= q * mu[l][i];
  };
  size_t k = 1;
  while (k < n) {
    reduce(k, k - 1);
    const double m = mu[k][k - 1];
    if (norm[k] < (0.99 - m * m) * norm[k - 1]) {
      const double joined = norm[k] + m * m * norm[k - 1];
      std::swap(b[k], b[k - 1]);
      for (size_t j = 0; j + 1 < k; ++j) std::swap(mu[k][j], mu[k - 1][j]);
      if (joined > 0) {
        mu[k][k - 1] = m * norm[k - 1] / joined;
        norm[k] = norm[k - 1] * norm[k] / joined;
        norm[k - 1] = joined;
      }
      for (size_t i = k + 1; i < n; ++i) {
        const double t = mu[i][k];
        mu[i][k] = mu[i][k - 1] - m * t;
        mu[i][k - 1] = t + mu[k][k - 1] * mu[i][k];
      }
      k = std::max<size_t>(1, k - 1);
    } else {
      for (size_t l = k - 1; l-- > 0;) reduce(k, l);
      ++k;
    }
  }
}

// One equation sum_i w_i y_i = rhs that holds to within `tolerance`.
struct Equation {
  std::vector<double> w;
  double rhs = 0, tolerance = 0;
};

// The score equations an analyst who knows the case file reads off a released model over
// `subjects` (its subjects, which in "zero" mode are the cohort): with the published b and
// theta, mu_i and the weights x_ik / (1 + mu_i / theta) are known. The tolerance is what the
// coefficients' rounding to 6 significant digits allows (their error times the information).
std::vector<Equation> ModelEquations(const json& model, double theta,
                                     const std::vector<SubjectVariables>& subjects) {
  std::vector<std::string> terms;
  std::vector<double> b;
  for (const json& c : model["coefficients"]) {
    if (!c["b"].is_number()) continue;
    terms.push_back(c["term"]);
    b.push_back(c["b"]);
  }
  auto x = [&](const SubjectVariables& s, size_t k) {
    return terms[k] == "(Intercept)" ? 1.0 : AnalysisValue(s, terms[k]);
  };
  std::vector<double> mu;
  for (const SubjectVariables& s : subjects) {
    double eta = 0;
    for (size_t k = 0; k < terms.size(); ++k) eta += b[k] * x(s, k);
    mu.push_back(std::exp(eta));
  }
  std::vector<Equation> out;
  for (size_t k = 0; k < terms.size(); ++k) {
    Equation e;
    for (size_t i = 0; i < subjects.size(); ++i) {
      e.w.push_back(x(subjects[i], k) / (1 + mu[i] / theta));
      e.rhs += e.w.back() * mu[i];
      for (size_t j = 0; j < terms.size(); ++j)
        e.tolerance += std::fabs(e.w.back() * x(subjects[i], j) * mu[i]) * 0.5e-5 * std::fabs(b[j]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

// One reduction with each equation scaled by `tighter` over its bound.
std::optional<std::vector<int64_t>> SolveAtScale(const std::vector<Equation>& equations,
                                                 int64_t total, size_t n, double tighter) {
  const int64_t centre = std::llround(static_cast<double>(total) / static_cast<double>(n));
  std::vector<std::vector<int64_t>> basis;
  for (size_t i = 0; i < n; ++i) {
    std::vector<int64_t> row(n, 0);
    row[i] = 1;
    for (const Equation& e : equations)
      row.push_back(std::llround(std::min(tighter / e.tolerance, 1e6) * e.w[i]));
    row.push_back(1000);
    row.push_back(0);
    basis.push_back(std::move(row));
  }
  std::vector<int64_t> last(n, -centre);
  for (const Equation& e : equations)
    last.push_back(-std::llround(std::min(tighter / e.tolerance, 1e6) * e.rhs));
  last.push_back(-1000 * total);
  last.push_back(1);
  basis.push_back(std::move(last));
  Lll(basis);
  for (const std::vector<int64_t>& row : basis) {
    if (std::abs(row.back()) != 1) continue;
    std::vector<int64_t> counts;
    for (size_t i = 0; i < n; ++i) counts.push_back(row.back() * row[i] + centre);
    if (std::all_of(counts.begin(), counts.end(), [](int64_t y) { return y >= 0; })) return counts;
  }
  return std::nullopt;
}

// The attack: the counts are whole, at least 0, and with the published total; the vector
// (y - its mean, scaled equation residuals, total residual, 1) is short in the lattice built
// below, and LLL finds it when it is the shortest. The bound on each equation's error is
// loose, so the attacker tries it and tighter scales, and keeps the first candidate that meets
// every equation within its bound. Empty when none does.
std::optional<std::vector<int64_t>> SolveForCounts(const std::vector<Equation>& equations,
                                                   int64_t total, size_t n) {
  for (double tighter : {1.0, 10.0, 30.0, 100.0}) {
    std::optional<std::vector<int64_t>> c = SolveAtScale(equations, total, n, tighter);
    if (!c) continue;
    bool meets = true;
    for (const Equation& e : equations) {
      double lhs = 0;
      for (size_t i = 0; i < n; ++i) lhs += e.w[i] * static_cast<double>((*c)[i]);
      meets = meets && std::fabs(lhs - e.rhs) <= e.tolerance;
    }
    if (meets) return c;
  }
  return std::nullopt;
}

// A study over case attributes alone in "zero" mode: its models are over the whole cohort, so
// the analyst knows their subjects and every weight.
Study AttributesStudy(std::vector<std::string> predictors = {"age", "times_discussed", "plan",
                                                             "life_domains"}) {
  Study s;
  s.comparison.enabled = false;
  s.unlinked_as_zero = true;
  s.outcome = "incidents_year_after";
  s.predictors = std::move(predictors);
  return s;
}

// A cohort of n whose incident counts in the year after are over-dispersed (most 0 to 2, a
// quarter up to 9), so that the models are negative binomial fits; everyone known to the police.
std::vector<CohortSubjectIn> OverDispersed(int n, uint64_t seed) {
  std::vector<CohortSubjectIn> in = Subjects(n, seed, 0, 0);
  std::mt19937_64 rng(seed);
  for (CohortSubjectIn& s : in) {
    const int32_t t = s.cases[0].first_discussed_day;
    s.incidents.clear();
    const int before = static_cast<int>(rng() % 3);
    const int after = rng() % 4 == 0 ? static_cast<int>(rng() % 10) : static_cast<int>(rng() % 3);
    for (int e = 0; e < before; ++e) s.incidents.push_back({t - 200 + e, "misdrijf", "verdachte"});
    for (int e = 0; e < after; ++e) s.incidents.push_back({t + 20 + e, "misdrijf", "verdachte"});
  }
  return in;
}

struct Attack {
  int models = 0;          // models released over the studies
  bool recovered = false;  // every count found
  int right = 0;           // counts the attack's candidate has right
  int mode_right = 0;      // counts right by guessing the commonest for everyone
  std::string withheld;    // why the models withheld were
};

// The studies run one after another (each sees what the earlier released), then the attack
// on every equation the released models give.
Attack RunAttack(const std::vector<Study>& studies, const std::vector<CohortSubjectIn>& in) {
  Attack out;
  const std::vector<SubjectVariables> cohort = BuildCohort(in, studies[0]);
  std::vector<int64_t> truth;
  std::map<int64_t, int> histogram;
  int64_t total = 0;
  for (const SubjectVariables& s : cohort) {
    truth.push_back(std::llround(AnalysisValue(s, studies[0].outcome)));
    ++histogram[truth.back()];
    total += truth.back();
  }
  for (const auto& [value, count] : histogram) out.mode_right = std::max(out.mode_right, count);
  std::vector<Equation> equations;
  std::vector<SubjectSet> released;
  for (const Study& study : studies) {
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, released);
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) continue;
    released.insert(released.end(), r->released_sets.begin(), r->released_sets.end());
    const json& report = r->report;
    for (size_t i = 0; i < report["suppressed"].size(); ++i) {
      if (report["suppressed"][i].get<std::string>().rfind("/regression", 0) == 0)
        out.withheld += report["suppressed_reasons"][i].get<std::string>() + "\n";
    }
    // The total: the outcome's mean times the cohort (whole, so 6 digits give it exactly).
    const json& d = report["descriptives"][study.outcome];
    if (d.is_object() && d["mean"].is_number()) {
      EXPECT_EQ(std::llround(d["mean"].get<double>() * static_cast<double>(cohort.size())), total);
    }
    for (const char* which : {"regression", "regression_fixed_alpha"}) {
      const json& g = report[which];
      if (g.is_null()) continue;
      ++out.models;
      EXPECT_EQ(g["n"], cohort.size());
      const double theta = std::string(which) == "regression_fixed_alpha" ? 1.0
                           : g["theta"].is_number()                       ? g["theta"].get<double>()
                                                                          : INFINITY;
      for (Equation& e : ModelEquations(g, theta, cohort)) equations.push_back(std::move(e));
    }
  }
  if (equations.empty()) return out;
  std::optional<std::vector<int64_t>> found = SolveForCounts(equations, total, cohort.size());
  if (found) {
    for (size_t i = 0; i < truth.size(); ++i) out.right += (*found)[i] == truth[i];
    out.recovered = *found == truth;
  }
  return out;
}

// Three designs of one cohort, as the attacker ran them.
std::vector<Study> ThreeDesigns(int margin, double max_leverage) {
  std::vector<Study> out;
  for (std::vector<std::string> p :
       {std::vector<std::string>{"age", "times_discussed", "plan", "life_domains"},
        {"age", "times_discussed"},
        {"plan", "life_domains"}}) {
    out.push_back(AttributesStudy(p));
    out.back().lattice_margin = margin;
    out.back().max_leverage = max_leverage;
  }
  return out;
}

TEST(Lattice, FiguresAreReleasedToSixSignificantDigits) {
  json j = {
      {"mean", 0.5648854961832062}, {"n", 131},     {"p", 1.2345678912e-20},
      {"big", 1234567.891},         {"whole", 3.0}, {"list", {2.718281828459045, nullptr, "text"}}};
  RoundFigures(j);
  EXPECT_EQ(j["mean"].get<double>(), 0.564885);
  EXPECT_EQ(j["n"], 131);
  EXPECT_EQ(j["p"].get<double>(), 1.23457e-20);
  EXPECT_EQ(j["big"].get<double>(), 1234570.0);
  EXPECT_EQ(j["whole"].get<double>(), 3.0);
  EXPECT_EQ(j["list"][0].get<double>(), 2.71828);
  EXPECT_TRUE(j["list"][1].is_null());
  // A released report: every figure that is not whole has at most 6 significant digits.
  const std::vector<CohortSubjectIn> in = OverDispersed(200, 7);
  absl::StatusOr<StudyResult> r = AnalyzeStudy(AttributesStudy(), in, {}, {});
  ASSERT_THAT(r, IsOk());
  int figures = 0;
  std::function<void(const json&)> walk = [&](const json& v) {
    if (v.is_structured()) {
      for (const json& e : v) walk(e);
    } else if (v.is_number_float() && v.get<double>() != std::floor(v.get<double>())) {
      ++figures;
      char text[40];
      std::snprintf(text, sizeof text, "%.5e", v.get<double>());
      EXPECT_EQ(std::strtod(text, nullptr), v.get<double>()) << v.dump();
    }
  };
  walk(r->report);
  EXPECT_GT(figures, 50);
}

TEST(Lattice, AnEquationWithKnownWeightsCostsSubjectsByTheSpreadOfTheCounts) {
  // Counts 0..4, ten each: sd 1.42857, log2(sqrt(2 pi e) sd) = 2.5617 bits a subject, so an
  // equation of 20 bits at margin 2 costs ceil(40 / 2.5617) = 16 subjects.
  std::vector<double> spread;
  for (int v = 0; v <= 4; ++v) spread.insert(spread.end(), 10, v);
  EXPECT_EQ(KnownWeightsCost(spread, 2), 16);
  EXPECT_EQ(KnownWeightsCost(spread, 1), 8);
  // 45 zeros and 5 ones: sd 0.30305, 0.3246 bits a subject: ceil(40 / 0.3246) = 124.
  std::vector<double> sparse(45, 0.0);
  sparse.insert(sparse.end(), 5, 1.0);
  EXPECT_EQ(KnownWeightsCost(sparse, 2), 124);
  // Counts that barely vary (sd below 1 / sqrt(2 pi e)): the largest cost.
  EXPECT_EQ(KnownWeightsCost(std::vector<double>(50, 2.0), 2), kMaxEquationCost);
  EXPECT_EQ(KnownWeightsCost({1.0}, 2), kMaxEquationCost);
  EXPECT_EQ(KnownWeightsCost(spread, 0), 1);  // tests of the other rules alone
  // The cost is read back from a statistic's key; other statistics cost 1.
  EXPECT_EQ(EquationCost("convictions|ab12:cd34|model:ef56:cost16:b:age"), 16);
  EXPECT_EQ(EquationCost("convictions|ab12:cd34|model:ef56:b:age"), 1);
  EXPECT_EQ(EquationCost("convictions|ab12:cd34|mean:convictions_year_after"), 1);
}

TEST(Lattice, ASmallSetsCountsFallToLatticeReductionWithoutTheCostAndAreWithheldWithIt) {
  // 40 subjects, everyone linked, three designs: without the cost (margin 0) and with the
  // leverage bound off their negative binomial models are released, and LLL on their score
  // equations and the total gives every count. (At the bound's default 0.5 all but one of
  // these models were withheld and LLL found nothing: on this cohort the real-number bound
  // already held; the cost is the bound made for whole numbers, tested here alone. Other
  // seeds of this cohort give LLL 38 of 40 or nothing: bench/lattice_attack.py has rates.)
  const std::vector<CohortSubjectIn> in = OverDispersed(40, 11);
  Attack old = RunAttack(ThreeDesigns(0, 1), in);
  ASSERT_GE(old.models, 2) << old.withheld;
  EXPECT_TRUE(old.recovered) << old.right << " of 40 right; " << old.models << " models";
  // With the cost the same studies' models are withheld by the release budget, with its
  // reason, and the attack has nothing to solve.
  Attack now = RunAttack(ThreeDesigns(2, 1), in);
  EXPECT_EQ(now.models, 0);
  EXPECT_THAT(now.withheld, HasSubstr("the release budget"));
  EXPECT_FALSE(now.recovered);
}

TEST(Lattice, AModelReleasedUnderTheCostDoesNotGiveTheCounts) {
  // A larger cohort: a model is released, and the same attack on everything the three
  // designs publish does no better than guessing the commonest count for everyone.
  const std::vector<CohortSubjectIn> in = OverDispersed(300, 11);
  Attack a = RunAttack(ThreeDesigns(2, 0.5), in);
  ASSERT_GE(a.models, 1) << a.withheld;
  EXPECT_FALSE(a.recovered);
  EXPECT_LE(a.right, a.mode_right) << "guessing the commonest count: " << a.mode_right;
}

TEST(Lattice, TheDefaultDesignPaysNoCost) {
  // The default study has a count among its predictors (convictions_year_before): the
  // weights hold unknown counts, and its models cost what they did.
  Study study;
  study.comparison.enabled = false;
  const std::vector<CohortSubjectIn> in = Subjects(120);
  absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->report["regression"].is_null());
  for (const SubjectSet& set : r->released_sets) {
    for (const std::string& key : set.statistics) EXPECT_EQ(EquationCost(key), 1) << key;
  }
}

}  // namespace
}  // namespace pprl
