// The analyzer at scale: the full default study on N synthetic subjects (cohort variables,
// descriptives, paired tests, correlations, both regressions, disclosure control), and the
// negative binomial fit on its own, with the regression data written to --csv so bench/run can
// fit the same model with R's MASS::glm.nb in the same invocation.
// Usage: analyzer_bench [--subjects N] [--csv FILE] [--wide 1]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "core/cohort_variables.h"
#include "core/negative_binomial.h"
#include "core/study_report.h"

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
}  // namespace

int main(int argc, char** argv) {
  int n = 1000000;
  std::string csv;
  bool wide = false;  // every case attribute and the policy's most interactions of them
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--subjects")) n = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--csv")) csv = argv[i + 1];
    if (!std::strcmp(argv[i], "--wide")) wide = std::atoi(argv[i + 1]) != 0;
  }
  std::mt19937_64 rng(5);
  std::vector<pprl::CohortSubjectIn> subjects(static_cast<size_t>(n));
  const int32_t base = pprl::DaysSinceEpoch({2013, 1, 1});
  const char* kaders[] = {"risicoburger", "jeugd", "hic"};
  for (int i = 0; i < n; ++i) {
    pprl::CohortSubjectIn& s = subjects[static_cast<size_t>(i)];
    s.subject_id = "S" + std::to_string(i);
    pprl::CohortCaseIn c;
    c.first_discussed_day = base + static_cast<int32_t>(rng() % 365);
    c.attributes.age = 12 + static_cast<int>(rng() % 50);
    c.attributes.gender = rng() % 6 ? 'm' : 'v';
    c.attributes.kader = kaders[rng() % 3];
    c.attributes.times_discussed = static_cast<int>(rng() % 8);
    c.attributes.life_domains = static_cast<int>(rng() % 9);
    c.attributes.goals = rng() % 2;
    c.attributes.decisions = rng() % 2;
    c.attributes.actions = rng() % 2;
    s.cases.push_back(c);
    double rate = std::gamma_distribution<double>(1.2, 1.0)(rng);
    int k = std::poisson_distribution<int>(rate * 6)(rng);
    for (int e = 0; e < k; ++e) {
      s.incidents.push_back({c.first_discussed_day - 365 + static_cast<int32_t>(rng() % 730),
                             "misdrijf", "verdachte"});
    }
    if (rng() % 3) {
      int before = std::poisson_distribution<int>(rate)(rng);
      int after = std::poisson_distribution<int>(rate * 0.5 *
                                                 std::exp(0.01 * *c.attributes.age / 10.0))(rng);
      for (int e = 0; e < before; ++e)
        s.convictions.push_back(
            {c.first_discussed_day - 1 - static_cast<int32_t>(rng() % 364), "", ""});
      for (int e = 0; e < after; ++e)
        s.convictions.push_back(
            {c.first_discussed_day + static_cast<int32_t>(rng() % 365), "", ""});
      if (s.convictions.empty()) s.convictions.push_back({c.first_discussed_day - 800, "", ""});
    }
  }
  pprl::Study study;
  if (wide) {
    study.predictors = {"convictions_year_before", "age", "times_discussed", "plan", "life_domains",
                        "life_domains_capped"};
    study.interactions = {{"age", "times_discussed"}, {"plan", "life_domains"}, {"age", "plan"}};
  }
  auto t0 = Clock::now();
  std::vector<pprl::SubjectVariables> cohort = pprl::BuildCohort(subjects, study);
  absl::StatusOr<nlohmann::json> report =
      pprl::BuildStudyReport(study, cohort, nlohmann::json::object());
  double study_seconds = Since(t0);
  if (!report.ok()) {
    std::fprintf(stderr, "study failed: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  if (wide) {
    // The wide design is timed as a whole study only (the fit below is the default design's).
    std::printf("analyzer_subjects %d\nanalyzer_cohort %zu\nanalyzer_study_seconds %.2f\n", n,
                cohort.size(), study_seconds);
    std::printf("models_released %d\n", !(*report)["regression"].is_null());
    return 0;
  }
  // The ML regression alone, on the same data as R gets.
  std::vector<const pprl::SubjectVariables*> rows;
  for (const auto& s : cohort) {
    bool ok = s.in_conviction_set;
    for (const std::string& p : study.predictors) ok = ok && s.values.contains(p);
    if (ok && s.values.contains(study.outcome)) rows.push_back(&s);
  }
  Eigen::MatrixXd x(static_cast<Eigen::Index>(rows.size()), 6);
  Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
  std::ofstream out;
  if (!csv.empty()) {
    out.open(csv);
    out << "y,before,age,times,plan,life\n";
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& v = rows[i]->values;
    Eigen::Index r = static_cast<Eigen::Index>(i);
    y[r] = v.at(study.outcome);
    x(r, 0) = 1;
    for (size_t k = 0; k < study.predictors.size(); ++k)
      x(r, static_cast<Eigen::Index>(k + 1)) = v.at(study.predictors[k]);
    if (out.is_open()) {
      out << y[r];
      for (int k = 1; k < 6; ++k) out << "," << x(r, k);
      out << "\n";
    }
  }
  out.close();
  auto t1 = Clock::now();
  absl::StatusOr<pprl::NbFit> fit = pprl::FitNegativeBinomial(
      y, x, {"(Intercept)", "before", "age", "times", "plan", "life"}, {});
  double fit_seconds = Since(t1);
  if (!fit.ok()) {
    std::fprintf(stderr, "fit failed: %s\n", std::string(fit.status().message()).c_str());
    return 1;
  }
  std::printf("analyzer_subjects %d\nanalyzer_cohort %zu\nanalyzer_regression_rows %zu\n", n,
              cohort.size(), rows.size());
  std::printf("analyzer_study_seconds %.2f\nnb_fit_seconds %.3f\n", study_seconds, fit_seconds);
  std::printf("estimate theta %.15g\n", fit->theta);
  for (const auto& c : fit->coefficients) std::printf("estimate %s %.15g\n", c.term.c_str(), c.b);
  return 0;
}
