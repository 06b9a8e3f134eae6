#include "core/negative_binomial.h"

#include <cmath>
#include <limits>
#include <map>

#include "core/distributions.h"
#include "core/status_macros.h"
#include "core/text.h"

namespace pprl {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Beyond this theta the data show no over-dispersion the model could estimate.
constexpr double kMaxTheta = 1e7;
constexpr char kNoOverdispersion[] =
    "theta grows without bound: the counts show no over-dispersion (the Poisson model applies)";
// R's glm.fit hands its QR min(1e-7, epsilon / 1000) = 1e-11 (glm.control's default epsilon):
// a column whose remainder after the earlier kept columns is below that share of its norm is
// aliased.
constexpr double kAliasTolerance = 1e-11;

// The terms R's pivoting QR (LINPACK dqrdc2, limited pivoting) keeps: in order, each column
// not (numerically) in the span of the kept columns before it. Gram-Schmidt, orthogonalised
// twice against the kept columns: one pass over the data per column.
std::vector<Eigen::Index> KeptColumns(const Eigen::MatrixXd& x) {
  std::vector<Eigen::Index> kept;
  std::vector<Eigen::VectorXd> basis;  // orthonormal, spanning the kept columns
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const double norm = x.col(j).norm();
    if (!(norm > 0)) continue;
    Eigen::VectorXd remainder = x.col(j);
    for (int pass = 0; pass < 2; ++pass) {
      for (const Eigen::VectorXd& q : basis) remainder -= q.dot(remainder) * q;
    }
    const double left = remainder.norm();
    if (left > kAliasTolerance * norm) {
      kept.push_back(j);
      basis.push_back(remainder / left);
    }
  }
  return kept;
}

// The outcome is a count, so the gamma-function terms are exact finite sums over 0..y-1:
// lgamma(t+y) - lgamma(t) = sum log(t+k), digamma(t+y) - digamma(t) = sum 1/(t+k),
// trigamma(t) - trigamma(t+y) = sum 1/(t+k)^2. One table per theta serves every subject.
struct CountTables {
  std::vector<double> log_sum, inv_sum, inv_sq_sum;  // index y: sums over k < y
  void Build(double theta, int max_y) {
    log_sum.assign(static_cast<size_t>(max_y) + 1, 0);
    inv_sum.assign(static_cast<size_t>(max_y) + 1, 0);
    inv_sq_sum.assign(static_cast<size_t>(max_y) + 1, 0);
    for (int k = 0; k < max_y; ++k) {
      double t = theta + k;
      log_sum[k + 1] = log_sum[k] + std::log(t);
      inv_sum[k + 1] = inv_sum[k] + 1 / t;
      inv_sq_sum[k + 1] = inv_sq_sum[k] + 1 / (t * t);
    }
  }
};

double LogLikelihood(const Eigen::VectorXd& y, const Eigen::VectorXd& mu, double theta) {
  double ll = 0;
  CountTables tables;
  if (!std::isinf(theta)) tables.Build(theta, static_cast<int>(y.maxCoeff()));
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    double yi = y[i], m = mu[i];
    if (std::isinf(theta)) {  // Poisson
      ll += yi * std::log(m) - m - std::lgamma(yi + 1);
    } else {
      ll += tables.log_sum[static_cast<size_t>(yi)] - std::lgamma(yi + 1) +
            theta * std::log(theta) + yi * std::log(m + (yi == 0 ? 1 : 0)) -
            (theta + yi) * std::log(theta + m);
    }
  }
  return ll;
}

struct IrlsResult {
  Eigen::VectorXd beta;
  Eigen::VectorXd mu;
  Eigen::MatrixXd covariance;
  int iterations = 0;
};

// Fisher scoring for the log link at a fixed theta, from `eta`.
absl::StatusOr<IrlsResult> Irls(const Eigen::VectorXd& y, const Eigen::MatrixXd& x, double theta,
                                Eigen::VectorXd eta, const NbOptions& options) {
  const Eigen::Index n = x.rows(), p = x.cols();
  IrlsResult r;
  r.beta = Eigen::VectorXd::Zero(p);
  double ll_old = -kInf;
  for (int it = 1; it <= options.max_iterations; ++it) {
    Eigen::VectorXd mu = eta.array().exp();
    Eigen::VectorXd w(n), z(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      double var = std::isinf(theta) ? mu[i] : mu[i] + mu[i] * mu[i] / theta;
      w[i] = mu[i] * mu[i] / var;
      z[i] = eta[i] + (y[i] - mu[i]) / mu[i];
    }
    // Weighted least squares by the normal equations (p x p; the design's rank was checked
    // once before fitting).
    Eigen::MatrixXd xtw = (x.array().colwise() * w.array()).matrix().transpose();
    Eigen::LDLT<Eigen::MatrixXd> ldlt(xtw * x);
    if (ldlt.info() != Eigen::Success) {
      return absl::FailedPreconditionError("the weighted design is singular");
    }
    Eigen::VectorXd beta = ldlt.solve(xtw * z);
    eta = x * beta;
    if (!eta.allFinite() || eta.maxCoeff() > 700) {
      return absl::FailedPreconditionError(
          "the model does not converge (the fitted means diverge)");
    }
    Eigen::VectorXd mu_new = eta.array().exp();
    double ll = LogLikelihood(y, mu_new, theta);
    double change = (beta - r.beta).cwiseAbs().maxCoeff();
    r.beta = beta;
    r.iterations = it;
    if (it > 1 && change <= options.tolerance * (1 + beta.cwiseAbs().maxCoeff()) &&
        std::fabs(ll - ll_old) <= options.tolerance * (std::fabs(ll) + 1)) {
      break;
    }
    ll_old = ll;
    if (it == options.max_iterations) {
      return absl::FailedPreconditionError("the model did not converge within the iteration limit");
    }
  }
  r.mu = (x * r.beta).array().exp();
  // Covariance (X'WX)^-1 at the solution, dispersion 1.
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double var = std::isinf(theta) ? r.mu[i] : r.mu[i] + r.mu[i] * r.mu[i] / theta;
    w[i] = r.mu[i] * r.mu[i] / var;
  }
  Eigen::MatrixXd xtwx = x.transpose() * (x.array().colwise() * w.array()).matrix();
  r.covariance = xtwx.ldlt().solve(Eigen::MatrixXd::Identity(p, p));
  return r;
}

// Newton-Raphson for theta given the means (MASS::theta.ml, converged tightly).
absl::StatusOr<double> ThetaMl(const Eigen::VectorXd& y, const Eigen::VectorXd& mu, double start,
                               const NbOptions& options) {
  const double n = static_cast<double>(y.size());
  double t0 = start;
  if (!(t0 > 0) || !std::isfinite(t0)) {
    double s = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) s += (y[i] / mu[i] - 1) * (y[i] / mu[i] - 1);
    t0 = n / s;
  }
  const int max_y = static_cast<int>(y.maxCoeff());
  CountTables tables;
  double previous_step = std::numeric_limits<double>::infinity();
  for (int it = 0; it < options.max_iterations; ++it) {
    t0 = std::fabs(t0);
    tables.Build(t0, max_y);
    const double log_t0 = std::log(t0);
    double score = 0, info = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      double yi = y[i], m = mu[i];
      size_t k = static_cast<size_t>(yi);
      score += tables.inv_sum[k] + log_t0 + 1 - std::log(t0 + m) - (yi + t0) / (m + t0);
      info += tables.inv_sq_sum[k] - 1 / t0 + 2 / (m + t0) - (yi + t0) / ((m + t0) * (m + t0));
    }
    double del = score / info;
    t0 += del;
    if (!std::isfinite(t0) || t0 > kMaxTheta) {
      return absl::OutOfRangeError(kNoOverdispersion);
    }
    // Converged; or stalled at the rounding noise of the score, far below what 6 digits need.
    const double size = std::max(1.0, std::fabs(t0));
    if (std::fabs(del) <= options.tolerance * size) return std::fabs(t0);
    if (it >= 5 && std::fabs(del) <= 1e-8 * size && std::fabs(del) >= previous_step)
      return std::fabs(t0);
    previous_step = std::fabs(del);
  }
  return absl::FailedPreconditionError("theta did not converge within the iteration limit");
}

}  // namespace

absl::StatusOr<NbFit> FitNegativeBinomial(const Eigen::VectorXd& y, const Eigen::MatrixXd& x,
                                          const std::vector<std::string>& terms,
                                          const NbOptions& options) {
  const Eigen::Index n = x.rows(), p = x.cols();
  if (y.size() != n || static_cast<Eigen::Index>(terms.size()) != p) {
    return absl::InvalidArgumentError("outcome, design and term names do not match in size");
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(y[i] >= 0) || y[i] != std::floor(y[i]))
      return absl::InvalidArgumentError("the outcome must be counts");
  }
  // Aliased terms are dropped, as R drops them; the model is fitted on the rest.
  const std::vector<Eigen::Index> kept = KeptColumns(x);
  const Eigen::Index rank = static_cast<Eigen::Index>(kept.size());
  if (rank == 0) return absl::FailedPreconditionError("the design has no non-zero column");
  if (n <= rank)
    return absl::FailedPreconditionError(
        Cat("too few observations (", n, ") for ", rank, " coefficients"));
  if (y.maxCoeff() == 0) return absl::FailedPreconditionError("the outcome is zero for everyone");
  Eigen::MatrixXd xr(n, rank);
  for (Eigen::Index k = 0; k < rank; ++k) xr.col(k) = x.col(kept[static_cast<size_t>(k)]);

  // Start from the means R uses (y + 1/6 where y is 0 for the negative binomial family).
  Eigen::VectorXd eta(n);
  for (Eigen::Index i = 0; i < n; ++i) eta[i] = std::log(y[i] + (y[i] == 0 ? 1.0 / 6 : 0));

  NbFit fit;
  fit.n = n;
  fit.rank = static_cast<int>(rank);
  fit.dispersion = options.dispersion;
  IrlsResult irls;
  double theta;
  if (options.dispersion == Dispersion::kPoisson) {
    theta = kInf;
    PPRL_ASSIGN_OR_RETURN(irls, Irls(y, xr, theta, eta, options));
  } else if (options.dispersion == Dispersion::kFixedAlpha) {
    if (!(options.fixed_alpha > 0)) return absl::InvalidArgumentError("alpha must be positive");
    theta = 1 / options.fixed_alpha;
    PPRL_ASSIGN_OR_RETURN(irls, Irls(y, xr, theta, eta, options));
  } else {
    // As glm.nb: a Poisson fit, then theta and the mean model in turn until both settle.
    PPRL_ASSIGN_OR_RETURN(irls, Irls(y, xr, kInf, eta, options));
    const IrlsResult poisson = irls;
    bool unbounded = false;
    auto theta_ml = [&](const Eigen::VectorXd& mu, double start) -> absl::StatusOr<double> {
      absl::StatusOr<double> t = ThetaMl(y, mu, start, options);
      if (t.status().code() == absl::StatusCode::kOutOfRange) {
        if (options.poisson_without_overdispersion) {
          unbounded = true;
          return kInf;
        }
        return absl::FailedPreconditionError(t.status().message());
      }
      return t;
    };
    PPRL_ASSIGN_OR_RETURN(theta, theta_ml(irls.mu, 0));
    double ll_old = -kInf;
    for (int round = 1; !unbounded; ++round) {
      Eigen::VectorXd start = irls.mu.array().log();
      PPRL_ASSIGN_OR_RETURN(irls, Irls(y, xr, theta, start, options));
      PPRL_ASSIGN_OR_RETURN(double next, theta_ml(irls.mu, theta));
      if (unbounded) break;
      double ll = LogLikelihood(y, irls.mu, next);
      bool settled = std::fabs(next - theta) <= 1e-9 * theta &&
                     std::fabs(ll - ll_old) <= 1e-11 * (std::fabs(ll) + 1);
      theta = next;
      ll_old = ll;
      fit.iterations = round;
      if (settled) break;
      if (round >= options.max_iterations) {
        return absl::FailedPreconditionError(
            "theta and the mean model did not settle within the iteration limit");
      }
    }
    if (unbounded) {
      // The likelihood rises towards theta = infinity: the Poisson fit is the maximum.
      theta = kInf;
      irls = poisson;
      fit.dispersion = Dispersion::kPoisson;
      fit.iterations = 0;
    } else {
      PPRL_ASSIGN_OR_RETURN(irls,
                            Irls(y, xr, theta, Eigen::VectorXd(irls.mu.array().log()), options));
    }
  }
  if (fit.iterations == 0) fit.iterations = irls.iterations;
  fit.theta = theta;
  fit.alpha = std::isinf(theta) ? 0 : 1 / theta;
  fit.log_likelihood = LogLikelihood(y, irls.mu, theta);
  const double parameters =
      static_cast<double>(rank) + (fit.dispersion == Dispersion::kMaximumLikelihood ? 1 : 0);
  fit.aic = -2 * fit.log_likelihood + 2 * parameters;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  fit.covariance = Eigen::MatrixXd::Constant(p, p, nan);
  for (Eigen::Index a = 0; a < rank; ++a) {
    for (Eigen::Index b = 0; b < rank; ++b)
      fit.covariance(kept[static_cast<size_t>(a)], kept[static_cast<size_t>(b)]) =
          irls.covariance(a, b);
  }
  PPRL_ASSIGN_OR_RETURN(double z, NormalQuantile(0.975));
  size_t next_kept = 0;
  for (Eigen::Index j = 0; j < p; ++j) {
    NbCoefficient c;
    c.term = terms[static_cast<size_t>(j)];
    if (next_kept >= kept.size() || kept[next_kept] != j) {
      c.aliased = true;
      c.b = c.se = c.ci_low = c.ci_high = c.wald_chi2 = c.p = c.irr = nan;
      fit.coefficients.push_back(c);
      continue;
    }
    c.b = irls.beta[static_cast<Eigen::Index>(next_kept)];
    double var =
        irls.covariance(static_cast<Eigen::Index>(next_kept), static_cast<Eigen::Index>(next_kept));
    ++next_kept;
    if (!(var > 0) || !std::isfinite(var)) {
      return absl::FailedPreconditionError(
          Cat("no standard error for ", c.term, " (a degenerate design)"));
    }
    c.se = std::sqrt(var);
    c.ci_low = c.b - z * c.se;
    c.ci_high = c.b + z * c.se;
    c.wald_chi2 = (c.b / c.se) * (c.b / c.se);
    PPRL_ASSIGN_OR_RETURN(c.p, ChiSquaredUpperP(c.wald_chi2, 1));
    c.irr = std::exp(c.b);
    fit.coefficients.push_back(c);
  }
  return fit;
}

absl::StatusOr<WaldTest> WaldTestCoefficients(const NbFit& fit, const std::vector<int>& indices) {
  if (indices.empty()) return absl::InvalidArgumentError("no coefficients to test");
  const int k = static_cast<int>(indices.size());
  Eigen::VectorXd b(k);
  Eigen::MatrixXd v(k, k);
  for (int a = 0; a < k; ++a) {
    if (indices[a] < 0 || indices[a] >= static_cast<int>(fit.coefficients.size())) {
      return absl::InvalidArgumentError("no such coefficient");
    }
    if (fit.coefficients[indices[a]].aliased) {
      return absl::FailedPreconditionError(
          Cat(fit.coefficients[indices[a]].term, " is aliased: no test"));
    }
    b[a] = fit.coefficients[indices[a]].b;
    for (int c = 0; c < k; ++c) v(a, c) = fit.covariance(indices[a], indices[c]);
  }
  Eigen::LDLT<Eigen::MatrixXd> ldlt(v);
  if (ldlt.info() != Eigen::Success) return absl::FailedPreconditionError("singular covariance");
  WaldTest t;
  t.chi2 = b.dot(ldlt.solve(b));
  t.df = k;
  PPRL_ASSIGN_OR_RETURN(t.p, ChiSquaredUpperP(t.chi2, k));
  return t;
}

absl::StatusOr<Eigen::MatrixXd> ClusterRobustCovariance(const NbFit& fit, const Eigen::VectorXd& y,
                                                        const Eigen::MatrixXd& x,
                                                        const std::vector<int64_t>& cluster) {
  const Eigen::Index n = x.rows(), p = x.cols();
  if (y.size() != n || static_cast<Eigen::Index>(cluster.size()) != n ||
      static_cast<Eigen::Index>(fit.coefficients.size()) != p) {
    return absl::InvalidArgumentError("cluster-robust covariance: sizes do not match the fit");
  }
  if (fit.rank != p)
    return absl::FailedPreconditionError("cluster-robust covariance: a term is aliased");
  Eigen::VectorXd b(p);
  for (Eigen::Index j = 0; j < p; ++j) b(j) = fit.coefficients[static_cast<size_t>(j)].b;
  const double alpha = std::isfinite(fit.theta) && fit.theta > 0 ? 1.0 / fit.theta : 0.0;
  Eigen::MatrixXd bread = Eigen::MatrixXd::Zero(p, p);
  std::map<int64_t, Eigen::VectorXd> scores;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double mu = std::exp(x.row(i).dot(b));
    const double w = mu / (1 + alpha * mu);
    bread.selfadjointView<Eigen::Lower>().rankUpdate(x.row(i).transpose(), w);
    auto [it, fresh] =
        scores.try_emplace(cluster[static_cast<size_t>(i)], Eigen::VectorXd::Zero(p));
    it->second += x.row(i).transpose() * ((y(i) - mu) / (1 + alpha * mu));
  }
  const int64_t g = static_cast<int64_t>(scores.size());
  if (g < 2) return absl::FailedPreconditionError("cluster-robust covariance needs two clusters");
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(p, p);
  for (const auto& [id, u] : scores) meat.selfadjointView<Eigen::Lower>().rankUpdate(u, 1.0);
  bread = bread.selfadjointView<Eigen::Lower>();
  meat = meat.selfadjointView<Eigen::Lower>();
  Eigen::LDLT<Eigen::MatrixXd> ldlt(bread);
  if (ldlt.info() != Eigen::Success || !ldlt.isPositive())
    return absl::FailedPreconditionError("cluster-robust covariance: singular information");
  Eigen::MatrixXd inv = ldlt.solve(Eigen::MatrixXd::Identity(p, p));
  return (inv * meat * inv) * (static_cast<double>(g) / static_cast<double>(g - 1));
}

}  // namespace pprl
