// Descriptives, the paired t-test, the Wilcoxon signed-rank test and Pearson correlations, as
// R computes them (sd with n - 1; t.test(paired = TRUE); wilcox.test(paired = TRUE) with R's
// defaults; cor.test). Degenerate data give an error status naming the problem (or, in a
// paired test, a flag on the part that is undefined), never NaN. Pure, thread-safe; works on
// pseudonymous counts only.
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
  double df = 0;
  // t, its p and the 95% CI; undefined (R: "data are essentially constant") when every
  // difference is the same, sd of the differences 0.
  double t = 0, p = 0, ci_low = 0, ci_high = 0;
  bool t_defined = true;
  double wilcoxon_p = 0;
  bool wilcoxon_exact = false;   // the exact signed-rank distribution gave wilcoxon_p
  bool wilcoxon_defined = true;  // false when every difference is zero (R gives NaN)
};
// Paired t-test of before - after with a 95% CI, and the Wilcoxon signed-rank p beside it.
// Fewer than 2 pairs is an error; undefined parts are flagged (t_defined, wilcoxon_defined).
[[nodiscard]] absl::StatusOr<PairedTest> PairedTTest(const std::vector<double>& before,
                                                     const std::vector<double>& after);

struct SignedRankTest {
  int64_t n = 0;  // nonzero differences
  double v = 0;   // sum of the ranks of the positive differences
  double p = 0;   // two-sided
  bool exact = false;
};
// The signed-rank test of before - after as R's wilcox.test(before, after, paired = TRUE)
// with its defaults: zero differences dropped; with fewer than 50 nonzero differences and
// neither ties nor zeros, the exact distribution of V; otherwise the normal approximation
// with continuity correction and the tie correction of the variance. Every difference zero
// is an error (R gives NaN).
[[nodiscard]] absl::StatusOr<SignedRankTest> WilcoxonSignedRank(const std::vector<double>& before,
                                                                const std::vector<double>& after);
// Its two-sided p.
[[nodiscard]] absl::StatusOr<double> WilcoxonSignedRankP(const std::vector<double>& before,
                                                         const std::vector<double>& after);
// P(V <= v) for the signed-rank statistic of n untied nonzero differences (R's psignrank).
[[nodiscard]] absl::StatusOr<double> SignedRankCdf(double v, int n);

struct Correlation {
  double r = 0;
  double p = 0;
  int64_t n = 0;
};
[[nodiscard]] absl::StatusOr<Correlation> Pearson(const std::vector<double>& x,
                                                  const std::vector<double>& y);

}  // namespace pprl

#endif  // PPRL_CORE_BASIC_STATISTICS_H_
