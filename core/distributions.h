// The distribution functions the statistics need, from Boost.Math, with errors as values:
// Boost's default policy throws on domain errors, so a policy that reports through the return
// value is used, and a non-finite result becomes an error status. Pure, thread-safe.
#ifndef PPRL_CORE_DISTRIBUTIONS_H_
#define PPRL_CORE_DISTRIBUTIONS_H_

#include "absl/status/statusor.h"

namespace pprl {

// P(|T| >= |t|) for Student's t with `df` degrees of freedom.
[[nodiscard]] absl::StatusOr<double> StudentTTwoSidedP(double t, double df);
// The p-quantile of Student's t.
[[nodiscard]] absl::StatusOr<double> StudentTQuantile(double p, double df);
[[nodiscard]] absl::StatusOr<double> NormalCdf(double z);
[[nodiscard]] absl::StatusOr<double> NormalQuantile(double p);
// P(X >= x) for chi-square with `df` degrees of freedom.
[[nodiscard]] absl::StatusOr<double> ChiSquaredUpperP(double x, double df);

}  // namespace pprl

#endif  // PPRL_CORE_DISTRIBUTIONS_H_
