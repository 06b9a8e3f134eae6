// Every figure against R (tests/core/testdata/stats/make_reference.R) to 6 significant digits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "core/basic_statistics.h"
#include "core/negative_binomial.h"
#include "core/text.h"
#include "stats_fixtures.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

// Columns of a CSV fixture (header, then numbers).
std::map<std::string, std::vector<double>> Csv(const std::string& file) {
  std::istringstream in{std::string(StatsFixtures().at(file))};
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  for (std::string n; std::getline(header, n, ',');) names.push_back(n.substr(1, n.size() - 2));
  std::map<std::string, std::vector<double>> cols;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string v;
    for (size_t i = 0; std::getline(row, v, ','); ++i) cols[names[i]].push_back(std::stod(v));
  }
  return cols;
}

// Agreement to 6 significant digits.
void ExpectSame(double got, double want, const std::string& what) {
  double tolerance = 5e-7 * std::max(std::fabs(want), 1e-300);
  EXPECT_NEAR(got, want, tolerance) << what;
}

struct Model {
  const char* name;
  std::vector<std::string> predictors;  // "a:b" is an interaction
};

class NegativeBinomialVsR : public ::testing::TestWithParam<Model> {};

TEST_P(NegativeBinomialVsR, EveryFigureAgrees) {
  const Model& m = GetParam();
  auto data = Csv(std::string(m.name) + ".csv");
  auto ref = StatsReference("regression.ref");
  const Eigen::Index n = static_cast<Eigen::Index>(data["y"].size());
  Eigen::MatrixXd x(n, m.predictors.size() + 1);
  std::vector<std::string> terms = {"(Intercept)"};
  std::vector<std::string> ref_terms = {"Intercept"};
  x.col(0).setOnes();
  for (size_t j = 0; j < m.predictors.size(); ++j) {
    const std::string& p = m.predictors[j];
    size_t colon = p.find(':');
    for (Eigen::Index i = 0; i < n; ++i) {
      x(i, j + 1) = colon == std::string::npos
                        ? data[p][i]
                        : data[p.substr(0, colon)][i] * data[p.substr(colon + 1)][i];
    }
    terms.push_back(p);
    ref_terms.push_back(p);
  }
  Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(data["y"].data(), n);
  for (Dispersion d : {Dispersion::kMaximumLikelihood, Dispersion::kFixedAlpha}) {
    NbOptions options;
    options.dispersion = d;
    options.fixed_alpha = 1;
    absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms, options);
    ASSERT_THAT(fit, IsOk());
    std::string prefix =
        std::string(m.name) + (d == Dispersion::kMaximumLikelihood ? ".ml." : ".fixed.");
    if (d == Dispersion::kMaximumLikelihood)
      ExpectSame(fit->theta, ref.at(prefix + "theta"), prefix + "theta");
    ExpectSame(fit->log_likelihood, ref.at(prefix + "loglik"), prefix + "loglik");
    ExpectSame(fit->aic, ref.at(prefix + "aic"), prefix + "aic");
    for (size_t j = 0; j < terms.size(); ++j) {
      const NbCoefficient& c = fit->coefficients[j];
      std::string k = prefix + ref_terms[j] + ".";
      ExpectSame(c.b, ref.at(k + "b"), k + "b");
      ExpectSame(c.se, ref.at(k + "se"), k + "se");
      ExpectSame(c.wald_chi2, ref.at(k + "wald_chi2"), k + "wald_chi2");
      ExpectSame(c.p, ref.at(k + "p"), k + "p");
      if (d == Dispersion::kMaximumLikelihood) {
        ExpectSame(c.ci_low, ref.at(k + "ci_low"), k + "ci_low");
        ExpectSame(c.ci_high, ref.at(k + "ci_high"), k + "ci_high");
        ExpectSame(c.irr, ref.at(k + "irr"), k + "irr");
      }
    }
    // A single-coefficient Type III Wald test is that coefficient's Wald test.
    absl::StatusOr<WaldTest> w = WaldTestCoefficients(*fit, {1});
    ASSERT_THAT(w, IsOk());
    ExpectSame(w->chi2, fit->coefficients[1].wald_chi2, "type III single");
  }
}

INSTANTIATE_TEST_SUITE_P(
    RReference, NegativeBinomialVsR,
    ::testing::Values(Model{"overdispersed", {"before", "age", "times", "plan", "life"}},
                      Model{"near_poisson", {"before", "age", "times", "plan", "life"}},
                      Model{"interaction",
                            {"before", "age", "times", "plan", "life", "before:plan"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(NegativeBinomial, DegenerateDataIsAClearError) {
  Eigen::VectorXd y(6);
  y << 0, 1, 0, 2, 1, 0;
  Eigen::MatrixXd x(6, 3);
  x << 1, 1, 2, 1, 2, 4, 1, 3, 6, 1, 4, 8, 1, 5, 10, 1, 6, 12;  // column 3 = 2 x column 2
  NbOptions poisson_options;
  poisson_options.dispersion = Dispersion::kPoisson;
  // The later of two dependent columns is aliased (R: NA); the rest is the model without it.
  absl::StatusOr<NbFit> aliased =
      FitNegativeBinomial(y, x, {"(Intercept)", "a", "b"}, poisson_options);
  ASSERT_THAT(aliased, IsOk());
  EXPECT_EQ(aliased->rank, 2);
  EXPECT_FALSE(aliased->coefficients[1].aliased);
  EXPECT_TRUE(aliased->coefficients[2].aliased);
  EXPECT_TRUE(std::isnan(aliased->coefficients[2].b));
  absl::StatusOr<NbFit> without =
      FitNegativeBinomial(y, x.leftCols(2), {"(Intercept)", "a"}, poisson_options);
  ASSERT_THAT(without, IsOk());
  EXPECT_DOUBLE_EQ(aliased->coefficients[1].b, without->coefficients[1].b);
  EXPECT_DOUBLE_EQ(aliased->aic, without->aic);
  EXPECT_THAT(WaldTestCoefficients(*aliased, {2}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("aliased")));
  EXPECT_THAT(ClusterRobustCovariance(*aliased, y, x, {1, 1, 2, 2, 3, 3}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("aliased")));
  Eigen::MatrixXd x2 = x.leftCols(2);
  EXPECT_THAT(FitNegativeBinomial(Eigen::VectorXd::Zero(6), x2, {"(Intercept)", "a"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("zero for everyone")));
  EXPECT_THAT(FitNegativeBinomial(y.head(2), x2.topRows(2), {"(Intercept)", "a"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("too few observations")));
  // Under-dispersed counts: no finite theta maximises the likelihood.
  Eigen::VectorXd flat(8);
  flat << 2, 2, 3, 2, 2, 3, 2, 2;
  Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(8, 1);
  EXPECT_THAT(FitNegativeBinomial(flat, ones, {"(Intercept)"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no over-dispersion")));
  NbOptions poisson;
  poisson.dispersion = Dispersion::kPoisson;
  absl::StatusOr<NbFit> p = FitNegativeBinomial(flat, ones, {"(Intercept)"}, poisson);
  ASSERT_THAT(p, IsOk());
  EXPECT_NEAR(p->coefficients[0].b, std::log(18.0 / 8), 1e-10);  // Poisson: log of the mean
}

// The sandwich covariance of a group x period model with matched sets as clusters, against
// sandwich::vcovCL(type = "HC0", cadjust = TRUE), for an ML negative binomial and a Poisson fit.
TEST(ClusterRobustCovariance, AgreesWithRSandwich) {
  auto data = Csv("clustered.csv");
  auto ref = StatsReference("clustered.ref");
  const Eigen::Index n = static_cast<Eigen::Index>(data["y"].size());
  Eigen::MatrixXd x(n, 4);
  std::vector<int64_t> cluster;
  for (Eigen::Index i = 0; i < n; ++i) {
    x.row(i) << 1, data["group"][i], data["period"][i], data["group"][i] * data["period"][i];
    cluster.push_back(static_cast<int64_t>(data["cluster"][i]));
  }
  Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(data["y"].data(), n);
  const std::vector<std::string> terms = {"(Intercept)", "group", "period", "group:period"};
  for (const char* model : {"nb", "poisson"}) {
    NbOptions options;
    if (std::string(model) == "poisson") options.dispersion = Dispersion::kPoisson;
    absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms, options);
    ASSERT_THAT(fit, IsOk());
    if (std::string(model) == "nb") ExpectSame(fit->theta, ref["clustered.nb.theta"], "theta");
    absl::StatusOr<Eigen::MatrixXd> v = ClusterRobustCovariance(*fit, y, x, cluster);
    ASSERT_THAT(v, IsOk());
    for (int i = 0; i < 4; ++i) {
      ExpectSame(fit->coefficients[i].b, ref[Cat("clustered.", model, ".b", i)], "b");
      for (int j = 0; j < 4; ++j) {
        const std::string name = Cat("clustered.", model, ".v", i, j);
        ExpectSame((*v)(i, j), ref[name], name);
      }
    }
  }
}

TEST(ClusterRobustCovariance, NeedsTwoClustersAndMatchingSizes) {
  Eigen::MatrixXd x(4, 1);
  x.setOnes();
  Eigen::VectorXd y(4);
  y << 1, 2, 0, 3;
  NbOptions poisson;
  poisson.dispersion = Dispersion::kPoisson;
  absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, {"(Intercept)"}, poisson);
  ASSERT_THAT(fit, IsOk());
  EXPECT_THAT(ClusterRobustCovariance(*fit, y, x, {7, 7, 7, 7}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("two clusters")));
  EXPECT_THAT(ClusterRobustCovariance(*fit, y, x, {1, 2}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sizes")));
  EXPECT_THAT(ClusterRobustCovariance(*fit, y, x, {1, 1, 2, 2}), IsOk());
}

TEST(PairedTests, AgreeWithR) {
  auto data = Csv("paired.csv");
  auto ref = StatsReference("paired.ref");
  absl::StatusOr<PairedTest> t = PairedTTest(data["before"], data["after"]);
  ASSERT_THAT(t, IsOk());
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, double>>{{"mean_before", t->mean_before},
                                                   {"sd_before", t->sd_before},
                                                   {"mean_after", t->mean_after},
                                                   {"sd_after", t->sd_after},
                                                   {"mean_diff", t->mean_diff},
                                                   {"t", t->t},
                                                   {"df", t->df},
                                                   {"p", t->p},
                                                   {"ci_low", t->ci_low},
                                                   {"ci_high", t->ci_high},
                                                   {"wilcoxon_p", t->wilcoxon_p}}) {
    ExpectSame(value, ref.at("paired." + name), name);
  }
  absl::StatusOr<Descriptives> d = Describe(data["before"]);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->n, 195);
  ExpectSame(d->max, ref.at("paired.max_before"), "max");
}

TEST(PairedTests, DegenerateInputs) {
  EXPECT_THAT(PairedTTest({1}, {2}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("fewer than 2")));
  absl::StatusOr<PairedTest> constant = PairedTTest({1, 2, 3}, {0, 1, 2});
  ASSERT_THAT(constant, IsOk());
  EXPECT_FALSE(constant->t_defined);
  EXPECT_TRUE(constant->wilcoxon_defined);
  EXPECT_EQ(constant->mean_diff, 1);
  EXPECT_EQ(constant->df, 2);
  EXPECT_THAT(WilcoxonSignedRankP({1, 2}, {1, 2}), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                            HasSubstr("every difference is zero")));
  EXPECT_THAT(Describe({}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no values")));
}

TEST(Correlations, AgreeWithR) {
  auto data = Csv("overdispersed.csv");
  auto ref = StatsReference("paired.ref");
  const std::vector<std::string> vars = {"y", "before", "age", "times", "plan", "life"};
  for (const std::string& a : vars) {
    for (const std::string& b : vars) {
      if (a == b) continue;
      absl::StatusOr<Correlation> c = Pearson(data[a], data[b]);
      ASSERT_THAT(c, IsOk());
      ExpectSame(c->r, ref.at("cor." + a + "." + b + ".r"), a + "~" + b + " r");
      ExpectSame(c->p, ref.at("cor." + a + "." + b + ".p"), a + "~" + b + " p");
    }
  }
  EXPECT_THAT(Pearson({1, 1, 1}, {1, 2, 3}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no variance")));
}

// Issue 14: a constant predictor and a sum of earlier ones are aliased, as R's glm.nb and
// glm(family = negative.binomial(1)) report them, and the remaining terms agree with R.
TEST(IssueKinds, AliasedTermsAreDroppedAsR) {
  auto data = Csv("aliased.csv");
  auto ref = StatsReference("kinds.ref");
  const std::vector<std::string> predictors = {"before", "konst", "age", "times",
                                               "plan",   "life",  "dup"};
  const Eigen::Index n = static_cast<Eigen::Index>(data["y"].size());
  Eigen::MatrixXd x(n, static_cast<Eigen::Index>(predictors.size()) + 1);
  x.col(0).setOnes();
  std::vector<std::string> terms = {"(Intercept)"};
  for (size_t j = 0; j < predictors.size(); ++j) {
    for (Eigen::Index i = 0; i < n; ++i)
      x(i, static_cast<Eigen::Index>(j) + 1) = data[predictors[j]][i];
    terms.push_back(predictors[j]);
  }
  Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(data["y"].data(), n);
  for (Dispersion d : {Dispersion::kMaximumLikelihood, Dispersion::kFixedAlpha}) {
    NbOptions options;
    options.dispersion = d;
    options.fixed_alpha = 1;
    absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms, options);
    ASSERT_THAT(fit, IsOk());
    const std::string prefix =
        std::string("aliased") + (d == Dispersion::kMaximumLikelihood ? ".ml." : ".fixed.");
    EXPECT_EQ(fit->rank, 6);
    ASSERT_EQ(fit->coefficients.size(), terms.size());
    if (d == Dispersion::kMaximumLikelihood)
      ExpectSame(fit->theta, ref.at(prefix + "theta"), prefix + "theta");
    ExpectSame(fit->log_likelihood, ref.at(prefix + "loglik"), prefix + "loglik");
    ExpectSame(fit->aic, ref.at(prefix + "aic"), prefix + "aic");
    for (size_t j = 0; j < terms.size(); ++j) {
      const NbCoefficient& c = fit->coefficients[j];
      const std::string term = j == 0 ? "Intercept" : terms[j];
      if (ref.contains(prefix + term + ".na")) {
        EXPECT_TRUE(c.aliased) << term;
        EXPECT_TRUE(std::isnan(c.b) && std::isnan(c.se) && std::isnan(c.p)) << term;
        continue;
      }
      EXPECT_FALSE(c.aliased) << term;
      const std::string k = prefix + term + ".";
      ExpectSame(c.b, ref.at(k + "b"), k + "b");
      ExpectSame(c.se, ref.at(k + "se"), k + "se");
      ExpectSame(c.wald_chi2, ref.at(k + "wald_chi2"), k + "wald_chi2");
      ExpectSame(c.p, ref.at(k + "p"), k + "p");
      if (d == Dispersion::kMaximumLikelihood) {
        ExpectSame(c.ci_low, ref.at(k + "ci_low"), k + "ci_low");
        ExpectSame(c.ci_high, ref.at(k + "ci_high"), k + "ci_high");
        ExpectSame(c.irr, ref.at(k + "irr"), k + "irr");
      }
    }
    EXPECT_TRUE(fit->coefficients[2].aliased);  // konst
    EXPECT_TRUE(fit->coefficients[7].aliased);  // dup = before + plan
  }
}

// Issue 14: with under-dispersed counts glm.nb's theta runs off to infinity; the fit to show is
// R's glm(family = poisson).
TEST(IssueKinds, PoissonFitWhenThereIsNoOverDispersion) {
  auto data = Csv("underdispersed.csv");
  auto ref = StatsReference("kinds.ref");
  ASSERT_EQ(ref.at("underdispersed.glm_nb_theta_above_1e4"), 1);
  const std::vector<std::string> predictors = {"before", "age", "times", "plan", "life"};
  const Eigen::Index n = static_cast<Eigen::Index>(data["y"].size());
  Eigen::MatrixXd x(n, 6);
  x.col(0).setOnes();
  std::vector<std::string> terms = {"(Intercept)"};
  for (size_t j = 0; j < predictors.size(); ++j) {
    for (Eigen::Index i = 0; i < n; ++i)
      x(i, static_cast<Eigen::Index>(j) + 1) = data[predictors[j]][i];
    terms.push_back(predictors[j]);
  }
  Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(data["y"].data(), n);
  EXPECT_THAT(FitNegativeBinomial(y, x, terms),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no over-dispersion")));
  NbOptions options;
  options.poisson_without_overdispersion = true;
  absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms, options);
  ASSERT_THAT(fit, IsOk());
  EXPECT_EQ(fit->dispersion, Dispersion::kPoisson);
  EXPECT_TRUE(std::isinf(fit->theta));
  EXPECT_EQ(fit->alpha, 0);
  ExpectSame(fit->log_likelihood, ref.at("underdispersed.poisson.loglik"), "loglik");
  ExpectSame(fit->aic, ref.at("underdispersed.poisson.aic"), "aic");
  for (size_t j = 0; j < terms.size(); ++j) {
    const NbCoefficient& c = fit->coefficients[j];
    const std::string k =
        std::string("underdispersed.poisson.") + (j == 0 ? "Intercept" : terms[j]) + ".";
    ExpectSame(c.b, ref.at(k + "b"), k + "b");
    ExpectSame(c.se, ref.at(k + "se"), k + "se");
    ExpectSame(c.ci_low, ref.at(k + "ci_low"), k + "ci_low");
    ExpectSame(c.ci_high, ref.at(k + "ci_high"), k + "ci_high");
    ExpectSame(c.wald_chi2, ref.at(k + "wald_chi2"), k + "wald_chi2");
    ExpectSame(c.p, ref.at(k + "p"), k + "p");
    ExpectSame(c.irr, ref.at(k + "irr"), k + "irr");
  }
  // Over-dispersed data are not touched by the option.
  auto od = Csv("overdispersed.csv");
  auto reg = StatsReference("regression.ref");
  const Eigen::Index m = static_cast<Eigen::Index>(od["y"].size());
  Eigen::MatrixXd xo(m, 6);
  xo.col(0).setOnes();
  for (size_t j = 0; j < predictors.size(); ++j)
    for (Eigen::Index i = 0; i < m; ++i)
      xo(i, static_cast<Eigen::Index>(j) + 1) = od[predictors[j]][i];
  absl::StatusOr<NbFit> ml =
      FitNegativeBinomial(Eigen::Map<Eigen::VectorXd>(od["y"].data(), m), xo, terms, options);
  ASSERT_THAT(ml, IsOk());
  EXPECT_EQ(ml->dispersion, Dispersion::kMaximumLikelihood);
  ExpectSame(ml->theta, reg.at("overdispersed.ml.theta"), "theta");
}

// The sets of wilcoxon.csv ("set,before,after").
std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> WilcoxonSets() {
  std::istringstream in{std::string(StatsFixtures().at("wilcoxon.csv"))};
  std::string line;
  std::getline(in, line);
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> sets;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string set, before, after;
    std::getline(row, set, ',');
    std::getline(row, before, ',');
    std::getline(row, after, ',');
    auto& s = sets[set.substr(1, set.size() - 2)];
    s.first.push_back(std::stod(before));
    s.second.push_back(std::stod(after));
  }
  return sets;
}

// Issue 14: the signed-rank p follows R's default, exact below 50 nonzero differences without
// ties or zeros, else normal with continuity and tie correction; and a paired test whose
// differences are all equal keeps everything but t, its p and CI.
TEST(IssueKinds, WilcoxonAndPairedTestsFollowRsDefaults) {
  auto ref = StatsReference("kinds.ref");
  auto sets = WilcoxonSets();
  ASSERT_EQ(sets.size(), 9u);
  int exact = 0, normal = 0;
  for (const auto& [name, data] : sets) {
    const std::string k = "wilcoxon." + name + ".";
    absl::StatusOr<SignedRankTest> w = WilcoxonSignedRank(data.first, data.second);
    absl::StatusOr<PairedTest> t = PairedTTest(data.first, data.second);
    ASSERT_THAT(t, IsOk()) << name;
    if (ref.at(k + "p_is_nan") == 1) {
      EXPECT_THAT(w, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("zero"))) << name;
      EXPECT_FALSE(t->wilcoxon_defined) << name;
    } else {
      ASSERT_THAT(w, IsOk()) << name;
      ExpectSame(w->p, ref.at(k + "p"), k + "p");
      EXPECT_EQ(w->exact, ref.at(k + "exact") == 1) << name;
      (w->exact ? exact : normal)++;
      EXPECT_TRUE(t->wilcoxon_defined) << name;
      ExpectSame(t->wilcoxon_p, w->p, k + "paired wilcoxon_p");
      EXPECT_EQ(t->wilcoxon_exact, w->exact) << name;
    }
    EXPECT_EQ(t->t_defined, ref.at(k + "t_defined") == 1) << name;
    ExpectSame(t->mean_before, ref.at(k + "mean_before"), k + "mean_before");
    ExpectSame(t->mean_after, ref.at(k + "mean_after"), k + "mean_after");
    ExpectSame(t->mean_diff, ref.at(k + "mean_diff"), k + "mean_diff");
    if (ref.at(k + "sd_before") == 0) {
      EXPECT_EQ(t->sd_before, 0) << name;
    } else {
      ExpectSame(t->sd_before, ref.at(k + "sd_before"), k + "sd_before");
    }
    EXPECT_EQ(t->df, static_cast<double>(data.first.size() - 1)) << name;
    if (t->t_defined) {
      ExpectSame(t->t, ref.at(k + "t"), k + "t");
      ExpectSame(t->p, ref.at(k + "t_p"), k + "t_p");
    }
  }
  EXPECT_EQ(exact, 4);
  EXPECT_EQ(normal, 4);
}

TEST(IssueKinds, SignedRankDistributionIsRsPsignrank) {
  auto ref = StatsReference("kinds.ref");
  int checked = 0;
  for (const auto& [name, value] : ref) {
    if (name.rfind("psignrank.", 0) != 0) continue;
    const size_t dot = name.find('.', 10);
    const int n = std::stoi(name.substr(10, dot - 10));
    const double q = std::stod(name.substr(dot + 1));
    absl::StatusOr<double> p = SignedRankCdf(q, n);
    ASSERT_THAT(p, IsOk());
    ExpectSame(*p, value, name);
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

}  // namespace
}  // namespace pprl
