#include "core/basic_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/distributions.h"
#include "core/status_macros.h"
#include "core/text.h"

namespace pprl {
namespace {

double Mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double Sd(const std::vector<double>& v, double mean) {
  if (v.size() < 2) return 0;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

}  // namespace

absl::StatusOr<Descriptives> Describe(const std::vector<double>& values) {
  if (values.empty()) return absl::InvalidArgumentError("no values");
  Descriptives d;
  d.n = static_cast<int64_t>(values.size());
  d.mean = Mean(values);
  d.sd = Sd(values, d.mean);
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  d.min = *lo;
  d.max = *hi;
  return d;
}

absl::StatusOr<double> SignedRankCdf(double v, int n) {
  if (n < 1 || n > 1000) return absl::InvalidArgumentError("signed-rank n out of range");
  const int top = n * (n + 1) / 2;
  const int q = static_cast<int>(std::floor(v + 1e-7));
  if (q < 0) return 0.0;
  if (q >= top) return 1.0;
  // Number of subsets of {1..n} with each sum (as R's csignrank), as doubles scaled by 1/2
  // per element so that they stay in range.
  std::vector<double> count(static_cast<size_t>(top) + 1, 0.0);
  count[0] = 1;
  for (int k = 1; k <= n; ++k) {
    const int reach = k * (k + 1) / 2;
    for (int s = reach; s >= 0; --s) {
      count[static_cast<size_t>(s)] =
          0.5 * (count[static_cast<size_t>(s)] + (s >= k ? count[static_cast<size_t>(s - k)] : 0));
    }
  }
  // Sum the smaller tail, as R does.
  double p = 0;
  if (2 * q <= top) {
    for (int s = 0; s <= q; ++s) p += count[static_cast<size_t>(s)];
    return p;
  }
  for (int s = q + 1; s <= top; ++s) p += count[static_cast<size_t>(s)];
  return 1 - p;
}

absl::StatusOr<SignedRankTest> WilcoxonSignedRank(const std::vector<double>& before,
                                                  const std::vector<double>& after) {
  if (before.size() != after.size()) return absl::InvalidArgumentError("unpaired samples");
  if (before.empty()) return absl::FailedPreconditionError("no pairs");
  std::vector<double> d;
  bool zeros = false;
  for (size_t i = 0; i < before.size(); ++i) {
    double x = before[i] - after[i];
    if (x != 0) {
      d.push_back(x);
    } else {
      zeros = true;
    }
  }
  const double n = static_cast<double>(d.size());
  if (d.empty())
    return absl::FailedPreconditionError(
        "every difference is zero: the signed-rank test is undefined");
  // Average ranks of |d|, with the tie sizes.
  std::vector<size_t> order(d.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return std::fabs(d[a]) < std::fabs(d[b]); });
  std::vector<double> rank(d.size());
  double tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && std::fabs(d[order[j + 1]]) == std::fabs(d[order[i]])) ++j;
    double average = (static_cast<double>(i) + static_cast<double>(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = average;
    double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    ties = ties || j > i;
    i = j + 1;
  }
  SignedRankTest r;
  r.n = static_cast<int64_t>(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] > 0) r.v += rank[i];
  }
  if (r.n < 50 && !ties && !zeros) {
    // R: p <- if (V > n(n+1)/4) psignrank(V - 1, n, lower.tail = FALSE) else psignrank(V, n).
    const int ni = static_cast<int>(r.n);
    double tail;
    if (r.v > n * (n + 1) / 4) {
      PPRL_ASSIGN_OR_RETURN(double below, SignedRankCdf(r.v - 1, ni));
      tail = 1 - below;
    } else {
      PPRL_ASSIGN_OR_RETURN(tail, SignedRankCdf(r.v, ni));
    }
    r.p = std::min(1.0, 2 * tail);
    r.exact = true;
    return r;
  }
  double z = r.v - n * (n + 1) / 4;
  double sigma = std::sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48);
  if (!(sigma > 0))
    return absl::FailedPreconditionError("the signed-rank statistic has no variance");
  double correction = z > 0 ? 0.5 : (z < 0 ? -0.5 : 0);
  z = (z - correction) / sigma;
  PPRL_ASSIGN_OR_RETURN(double lower, NormalCdf(z));
  PPRL_ASSIGN_OR_RETURN(double upper, NormalCdf(-z));
  r.p = std::min(1.0, 2 * std::min(lower, upper));
  return r;
}

absl::StatusOr<double> WilcoxonSignedRankP(const std::vector<double>& before,
                                           const std::vector<double>& after) {
  PPRL_ASSIGN_OR_RETURN(SignedRankTest t, WilcoxonSignedRank(before, after));
  return t.p;
}

absl::StatusOr<PairedTest> PairedTTest(const std::vector<double>& before,
                                       const std::vector<double>& after) {
  if (before.size() != after.size()) return absl::InvalidArgumentError("unpaired samples");
  if (before.size() < 2) return absl::FailedPreconditionError("fewer than 2 pairs");
  PairedTest r;
  r.n = static_cast<int64_t>(before.size());
  r.mean_before = Mean(before);
  r.sd_before = Sd(before, r.mean_before);
  r.mean_after = Mean(after);
  r.sd_after = Sd(after, r.mean_after);
  std::vector<double> d(before.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = before[i] - after[i];
  r.mean_diff = Mean(d);
  double sd = Sd(d, r.mean_diff);
  r.df = static_cast<double>(r.n - 1);
  // R: every difference the same is "data are essentially constant" (the standard error below
  // 10 machine epsilons of |mean difference|), or NaN when they are all zero.
  const double se = sd / std::sqrt(static_cast<double>(r.n));
  if (se > 0 && se >= 10 * std::numeric_limits<double>::epsilon() * std::fabs(r.mean_diff)) {
    r.t = r.mean_diff / se;
    PPRL_ASSIGN_OR_RETURN(r.p, StudentTTwoSidedP(r.t, r.df));
    PPRL_ASSIGN_OR_RETURN(double q, StudentTQuantile(0.975, r.df));
    r.ci_low = r.mean_diff - q * se;
    r.ci_high = r.mean_diff + q * se;
  } else {
    r.t_defined = false;
  }
  absl::StatusOr<SignedRankTest> w = WilcoxonSignedRank(before, after);
  if (w.ok()) {
    r.wilcoxon_p = w->p;
    r.wilcoxon_exact = w->exact;
  } else {
    r.wilcoxon_defined = false;
  }
  return r;
}

absl::StatusOr<Correlation> Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) return absl::InvalidArgumentError("unpaired samples");
  if (x.size() < 3) return absl::FailedPreconditionError("fewer than 3 observations");
  double mx = Mean(x), my = Mean(y), sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0) || !(syy > 0)) return absl::FailedPreconditionError("a variable has no variance");
  Correlation c;
  c.n = static_cast<int64_t>(x.size());
  c.r = std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
  double df = static_cast<double>(c.n - 2);
  if (std::fabs(c.r) >= 1) {
    c.p = 0;
  } else {
    double t = c.r * std::sqrt(df / (1 - c.r * c.r));
    PPRL_ASSIGN_OR_RETURN(c.p, StudentTTwoSidedP(t, df));
  }
  return c;
}

}  // namespace pprl
