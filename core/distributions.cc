#include "core/distributions.h"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

#include "core/text.h"

namespace pprl {
namespace {

namespace bmp = boost::math::policies;
using NoThrow =
    bmp::policy<bmp::domain_error<bmp::errno_on_error>, bmp::pole_error<bmp::errno_on_error>,
                bmp::overflow_error<bmp::errno_on_error>,
                bmp::evaluation_error<bmp::errno_on_error>,
                bmp::rounding_error<bmp::errno_on_error>>;

absl::StatusOr<double> Finite(double v, std::string_view what) {
  if (!std::isfinite(v)) return absl::InvalidArgumentError(Cat(what, " is undefined here"));
  return v;
}

}  // namespace

absl::StatusOr<double> StudentTTwoSidedP(double t, double df) {
  if (!(df > 0) || !std::isfinite(t))
    return absl::InvalidArgumentError("t-test undefined (df <= 0 or t not finite)");
  boost::math::students_t_distribution<double, NoThrow> dist(df);
  return Finite(2 * boost::math::cdf(boost::math::complement(dist, std::fabs(t))), "the t p-value");
}

absl::StatusOr<double> StudentTQuantile(double p, double df) {
  if (!(df > 0) || !(p > 0 && p < 1)) return absl::InvalidArgumentError("t quantile undefined");
  boost::math::students_t_distribution<double, NoThrow> dist(df);
  return Finite(boost::math::quantile(dist, p), "the t quantile");
}

absl::StatusOr<double> NormalCdf(double z) {
  if (std::isnan(z)) return absl::InvalidArgumentError("normal cdf of NaN");
  boost::math::normal_distribution<double, NoThrow> dist;
  return Finite(boost::math::cdf(dist, z), "the normal cdf");
}

absl::StatusOr<double> NormalQuantile(double p) {
  if (!(p > 0 && p < 1)) return absl::InvalidArgumentError("normal quantile undefined");
  boost::math::normal_distribution<double, NoThrow> dist;
  return Finite(boost::math::quantile(dist, p), "the normal quantile");
}

absl::StatusOr<double> ChiSquaredUpperP(double x, double df) {
  if (!(df > 0) || !(x >= 0) || !std::isfinite(x))
    return absl::InvalidArgumentError("chi-square p undefined");
  boost::math::chi_squared_distribution<double, NoThrow> dist(df);
  return Finite(boost::math::cdf(boost::math::complement(dist, x)), "the chi-square p-value");
}

absl::StatusOr<double> Digamma(double x) {
  return Finite(boost::math::digamma(x, NoThrow()), "digamma");
}
absl::StatusOr<double> Trigamma(double x) {
  return Finite(boost::math::trigamma(x, NoThrow()), "trigamma");
}

}  // namespace pprl
