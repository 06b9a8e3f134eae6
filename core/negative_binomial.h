// Negative binomial regression with a log link, fitted by iteratively reweighted least
// squares (Eigen), as R fits it:
//  - dispersion by maximum likelihood, alternating the mean model with a Newton step for theta
//    (as MASS::glm.nb, converged tightly);
//  - or alpha = 1/theta fixed (as SPSS GENLIN's default, alpha = 1, scale 1);
//  - or Poisson (theta infinite).
// Wald standard errors from the converged fit (dispersion 1), 95% Wald CIs, Wald chi-square,
// p, IRR, log-likelihood and AIC; Wald tests of coefficient sets for Type III effects.
// A term that is constant or a linear combination of earlier terms is aliased, as R's glm
// reports it (its pivoting QR keeps columns in order and drops one whose remainder after the
// earlier kept columns is below 1e-11 of its norm): its coefficient is NaN and `aliased`, and
// the rest is estimated without it (AIC counts the estimated coefficients only).
// Degenerate data (too few rows, no over-dispersion for an ML theta, no convergence) is an
// error status naming the problem. Pure, thread-safe; pseudonymous counts.
#ifndef PPRL_CORE_NEGATIVE_BINOMIAL_H_
#define PPRL_CORE_NEGATIVE_BINOMIAL_H_

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

enum class Dispersion { kMaximumLikelihood, kFixedAlpha, kPoisson };

struct NbOptions {
  Dispersion dispersion = Dispersion::kMaximumLikelihood;
  double fixed_alpha = 1.0;  // for kFixedAlpha
  int max_iterations = 200;
  double tolerance = 1e-12;
  // For kMaximumLikelihood: when theta grows without bound (no over-dispersion in the counts),
  // return the Poisson fit (dispersion kPoisson, theta infinite) instead of an error.
  bool poisson_without_overdispersion = false;
};

struct NbCoefficient {
  std::string term;
  double b = 0, se = 0, ci_low = 0, ci_high = 0, wald_chi2 = 0, p = 0, irr = 0;
  int df = 1;
  bool aliased = false;  // dropped as R drops it (NA): every figure above is NaN
};

struct NbFit {
  int64_t n = 0;
  // As asked, or kPoisson when poisson_without_overdispersion applied.
  Dispersion dispersion = Dispersion::kMaximumLikelihood;
  int rank = 0;      // coefficients estimated (not aliased)
  double theta = 0;  // infinity for Poisson
  double alpha = 0;  // 1/theta
  double log_likelihood = 0;
  double aic = 0;
  int iterations = 0;
  std::vector<NbCoefficient> coefficients;  // one per term, aliased ones included
  Eigen::MatrixXd covariance;               // p x p; NaN in the rows and columns of aliased terms
};

// `x` holds one column per term (the caller adds the intercept column); `terms` names them.
[[nodiscard]] absl::StatusOr<NbFit> FitNegativeBinomial(const Eigen::VectorXd& y,
                                                        const Eigen::MatrixXd& x,
                                                        const std::vector<std::string>& terms,
                                                        const NbOptions& options = {});

struct WaldTest {
  double chi2 = 0;
  int df = 0;
  double p = 0;
};
// The joint Wald test that the coefficients at `indices` are zero (a Type III effect); an
// aliased coefficient among them is an error.
[[nodiscard]] absl::StatusOr<WaldTest> WaldTestCoefficients(const NbFit& fit,
                                                            const std::vector<int>& indices);

// The cluster-robust (sandwich) covariance of a fit's coefficients, theta held at its
// estimate: G/(G-1) * B^-1 M B^-1 with B = X'WX, W = mu / (1 + mu/theta), and M the sum over
// clusters of the outer products of the summed scores x (y - mu) / (1 + mu/theta). This is
// R's sandwich::vcovCL(fit, cluster, type = "HC0") for glm.nb and glm(poisson).
// `cluster` holds one id per row. A fit with an aliased coefficient is an error.
[[nodiscard]] absl::StatusOr<Eigen::MatrixXd> ClusterRobustCovariance(
    const NbFit& fit, const Eigen::VectorXd& y, const Eigen::MatrixXd& x,
    const std::vector<int64_t>& cluster);

}  // namespace pprl

#endif  // PPRL_CORE_NEGATIVE_BINOMIAL_H_
