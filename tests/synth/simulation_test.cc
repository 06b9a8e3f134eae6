// The comparison group against a known truth (issue 8): synthetic data whose referral follows
// a rise in offending, run through pseudonymisation, linkage and the analysis in one process.
// A few fixed seeds here; bench/comparison_coverage measures coverage over many.
#include "synth/simulation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;

const nlohmann::json& Estimate(const nlohmann::json& report, const std::string& outcome) {
  for (const nlohmann::json& e : report["comparison"]["estimates"]) {
    if (e["outcome"] == outcome) return e;
  }
  static const nlohmann::json kNone;
  return kNone;
}

nlohmann::json Simulate(uint64_t seed, double effect, const std::string& dir) {
  SynthOptions synth;
  synth.seed = seed;
  synth.effect = effect;
  // The model these checks were made for: referral follows incidents only.
  synth.calibration = SelectionOnlyCalibration();
  Study study;
  study.comparison.seed = seed;
  absl::StatusOr<nlohmann::json> report = SimulateStudy(synth, study, dir);
  EXPECT_THAT(report, IsOk());
  return report.ok() ? *report : nlohmann::json();
}

// Without any effect the plain before/after test shows a drop (regression to the mean); the
// difference-in-differences against matched people who were never discussed does not.
TEST(ComparisonSimulation, NoEffectShowsADropButNoDifference) {
  ::pprl::testing::TempDir dir;
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const nlohmann::json report = Simulate(seed, 0.0, dir.File("data"));
    ASSERT_FALSE(report["comparison"].is_null());
    for (const char* outcome : {"incidents_quarter", "incidents_year"}) {
      SCOPED_TRACE(outcome);
      const nlohmann::json& e = Estimate(report, outcome);
      ASSERT_FALSE(e.is_null());
      EXPECT_GT(e["before_after"]["ci_low"].get<double>(), 0) << "no drop before vs after";
      EXPECT_LE(e["did"]["ci_low"].get<double>(), 0);
      EXPECT_GE(e["did"]["ci_high"].get<double>(), 0);
      EXPECT_LE(e["nb"]["ci_low"].get<double>(), 1);
      EXPECT_GE(e["nb"]["ci_high"].get<double>(), 1);
    }
    // Matching made the groups comparable before the reference date.
    for (const nlohmann::json& b : report["comparison"]["balance"]) {
      if (b["variable"] == "incidents_quarter_before" || b["variable"] == "incidents_year_before") {
        EXPECT_GT(std::fabs(b["smd_before"].get<double>()), 0.5) << b["variable"];
        EXPECT_LT(std::fabs(b["smd_after"].get<double>()), 0.2) << b["variable"];
      }
    }
  }
}

// A real effect (offending down by 40% in the year after) is found and its size recovered.
TEST(ComparisonSimulation, ARealEffectIsRecovered) {
  ::pprl::testing::TempDir dir;
  for (uint64_t seed : {1, 2}) {
    SCOPED_TRACE(seed);
    const nlohmann::json report = Simulate(seed, -0.4, dir.File("data"));
    ASSERT_FALSE(report["comparison"].is_null());
    for (const char* outcome : {"incidents_quarter", "incidents_year"}) {
      SCOPED_TRACE(outcome);
      const nlohmann::json& e = Estimate(report, outcome);
      ASSERT_FALSE(e.is_null());
      // Its size: the truth (IRR 0.6) within 3.29 standard errors of the estimate (a 99.9%
      // interval, on the log scale the reported 95% interval is built on). A 95% interval misses
      // the truth in one data set of twenty by design, and any change to linkage re-draws
      // which one; bench/comparison_coverage measures the 95% coverage over many seeds.
      const double lo = std::log(e["nb"]["ci_low"].get<double>());
      const double hi = std::log(e["nb"]["ci_high"].get<double>());
      const double se = (hi - lo) / (2 * 1.959964);
      EXPECT_LT(std::fabs((lo + hi) / 2 - std::log(0.6)), 3.290527 * se)
          << "IRR interval [" << std::exp(lo) << ", " << std::exp(hi) << "]";
      EXPECT_LT(e["nb"]["ci_high"].get<double>(), 1.0);
      EXPECT_LT(e["did"]["ci_high"].get<double>(), 0);
    }
  }
}

// Issue 14: the demo's default data (StudyCalibration, true effect -0.25 as `pprl demo` uses)
// show the reference study's clear drop in convictions in the year after the first discussion
// (1.24 -> 0.55 there), on a conviction set of a size like the study's (138 of 213).
TEST(StudyCalibration, DefaultDemoDataShowAClearDropInConvictions) {
  ::pprl::testing::TempDir dir;
  for (uint64_t seed : {1u, 2013u}) {
    SynthOptions synth;  // the default calibration, which `pprl demo` and `pprl synth` use
    synth.seed = seed;
    synth.effect = -0.25;
    Study study;
    absl::StatusOr<nlohmann::json> report = SimulateStudy(synth, study, dir.File("data"));
    ASSERT_THAT(report, IsOk());
    const nlohmann::json& convictions = (*report)["paired_tests"]["convictions_year"];
    ASSERT_FALSE(convictions.is_null()) << "seed " << seed;
    const double before = convictions["mean_before"].get<double>();
    const double after = convictions["mean_after"].get<double>();
    EXPECT_LT(after, 0.7 * before) << "seed " << seed << ": " << before << " -> " << after;
    EXPECT_GT(before, 0.8) << "seed " << seed;
    EXPECT_GE(convictions["n"].get<int>(), 100) << "seed " << seed;
    EXPECT_LE(convictions["n"].get<int>(), 180) << "seed " << seed;
  }
}

}  // namespace
}  // namespace pprl
