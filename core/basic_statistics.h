// Descriptives, the paired t-test, the Wilcoxon signed-rank test and Pearson correlations, as
// R computes them (sd with n - 1; t.test(paired = TRUE); wilcox.test(paired = TRUE,
// exact = FALSE, correct = TRUE); cor.test). Degenerate data give an error status naming the
// problem, never NaN. Pure, thread-safe; works on pseudonymous counts only.
#ifndef PPRL_CORE_BASIC_STATISTICS_H_
#define PPRL_CORE_BASIC_STATISTICS_H_

#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

struct Descriptives {
  int64_t n = 0;
  double mean = 0;
  double sd = 0;  // n - 1 in the denominator; 0 when n == 1
  double min = 0;
  double max = 0;
};
[[nodiscard]] absl::StatusOr<Descriptives> Describe(const std::vector<double>& values);

struct PairedTest {
  int64_t n = 0;
  double mean_before = 0, sd_before = 0, mean_after = 0, sd_after = 0;
  double mean_diff = 0;  // before minus after
  double t = 0, df = 0, p = 0, ci_low = 0, ci_high = 0;
  double wilcoxon_p = 0;
  bool wilcoxon_defined = true;  // false when every difference is zero
};
// Paired t-test of before - after with a 95% CI, and the Wilcoxon signed-rank p beside it.
[[nodiscard]] absl::StatusOr<PairedTest> PairedTTest(const std::vector<double>& before,
                                                     const std::vector<double>& after);
// Two-sided p of the signed-rank test (normal approximation, continuity and tie correction,
// zero differences dropped).
[[nodiscard]] absl::StatusOr<double> WilcoxonSignedRankP(const std::vector<double>& before,
                                                         const std::vector<double>& after);

struct Correlation {
  double r = 0;
  double p = 0;
  int64_t n = 0;
};
[[nodiscard]] absl::StatusOr<Correlation> Pearson(const std::vector<double>& x,
                                                  const std::vector<double>& y);

}  // namespace pprl

#endif  // PPRL_CORE_BASIC_STATISTICS_H_
