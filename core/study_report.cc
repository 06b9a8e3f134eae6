#include "core/study_report.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <queue>
#include <set>
#include <tuple>

#include "absl/strings/cord.h"
#include "core/basic_statistics.h"
#include "core/hmac.h"
#include "core/hmac_key.h"
#include "core/negative_binomial.h"
#include "core/text.h"

namespace pprl {
namespace {

using nlohmann::json;

class Suppressions {
 public:
  explicit Suppressions(int min_cell) : min_cell_(min_cell) {}
  void Add(const std::string& pointer, const std::string& reason) {
    pointers_.push_back(pointer);
    reasons_.push_back(reason);
  }
  // Whether none or a few: not told apart (how many of a cohort the police know is not the
  // analyst's to learn from a reason).
  std::string TooFew(int64_t) const { return Cat("fewer than ", min_cell_, " subjects"); }
  int min_cell() const { return min_cell_; }
  json pointers() const { return pointers_; }
  json reasons() const { return reasons_; }

 private:
  int min_cell_;
  std::vector<std::string> pointers_;
  std::vector<std::string> reasons_;
};

bool IncidentVariable(const std::string& v) { return v.rfind("incidents_", 0) == 0; }
bool ConvictionVariable(const std::string& v) { return v.rfind("convictions_", 0) == 0; }

bool InSetFor(const SubjectVariables& s, const std::string& variable) {
  if (IncidentVariable(variable)) return s.in_incident_set;
  if (ConvictionVariable(variable)) return s.in_conviction_set;
  return true;
}

std::vector<double> Values(const std::vector<SubjectVariables>& cohort,
                           const std::string& variable) {
  std::vector<double> out;
  for (const SubjectVariables& s : cohort) {
    if (!InSetFor(s, variable)) continue;
    auto it = s.values.find(variable);
    if (it != s.values.end()) out.push_back(it->second);
  }
  return out;
}

// Dominance (ACRO's n, k rule): the n largest of non-negative counts holding more than k of
// their total give those few people's counts away, near enough.
bool Dominated(std::vector<double> v, int n, double k) {
  double total = 0;
  for (double x : v) {
    if (x < 0) return false;
    total += x;
  }
  if (total <= 0 || n <= 0) return false;
  const size_t top = std::min(v.size(), static_cast<size_t>(n));
  std::partial_sort(v.begin(), v.begin() + static_cast<ptrdiff_t>(top), v.end(),
                    std::greater<double>());
  double largest = 0;
  for (size_t i = 0; i < top; ++i) largest += v[i];
  return largest > k * total;
}

json DescriptivesFor(const std::vector<double>& v, const std::string& pointer, Suppressions& sup,
                     const Study* dominance = nullptr) {
  if (static_cast<int>(v.size()) < sup.min_cell()) {
    sup.Add(pointer, sup.TooFew(static_cast<int64_t>(v.size())));
    return nullptr;
  }
  if (dominance != nullptr && FewDiffer(v, sup.min_cell())) {
    sup.Add(pointer, FewDifferReason("count", sup.min_cell()));
    return nullptr;
  }
  if (dominance != nullptr && Dominated(v, dominance->dominance_n, dominance->dominance_k)) {
    sup.Add(pointer, Cat("dominated: ", dominance->dominance_n, " subjects hold more than ",
                         static_cast<int>(dominance->dominance_k * 100), "% of the total"));
    return nullptr;
  }
  absl::StatusOr<Descriptives> d = Describe(v);
  if (!d.ok()) {
    sup.Add(pointer, std::string(d.status().message()));
    return nullptr;
  }
  json j = {{"n", d->n}, {"mean", d->mean}, {"sd", d->sd}, {"min", d->min}, {"max", d->max}};
  for (const char* which : {"min", "max"}) {
    double value = std::string(which) == "min" ? d->min : d->max;
    int64_t sharing = std::count(v.begin(), v.end(), value);
    if (sharing < sup.min_cell()) {
      j[which] = nullptr;
      sup.Add(pointer + "/" + which, Cat("held by fewer than ", sup.min_cell(), " subjects"));
    }
  }
  return j;
}

}  // namespace

int64_t Differing(const std::vector<double>& v) {
  std::map<double, int64_t> held;
  for (double x : v) ++held[x];
  int64_t most = 0;
  for (const auto& [value, count] : held) most = std::max(most, count);
  return static_cast<int64_t>(v.size()) - most;
}

bool FewDiffer(const std::vector<double>& v, int min_cell) {
  return static_cast<double>(Differing(v)) < min_cell / 4.0;
}

std::string FewHoldAnotherCountReason(int min_cell) {
  return Cat("fewer than ", min_cell,
             " of the set hold another count of a police count than its most common, none "
             "counted as too few: with the figures' equations those few counts could be solved "
             "for");
}

std::string FewDifferReason(const std::string& what, int min_cell) {
  return Cat("fewer than a quarter of min_cell (", min_cell, ") of the set hold another ", what,
             " than its most common, none counted as too few: the figures would give each "
             "one's count");
}

std::vector<const SubjectVariables*> AnalysisSubjects(const std::vector<SubjectVariables>& cohort,
                                                      const std::vector<std::string>& variables) {
  std::vector<std::string> counts, attributes;
  for (const std::string& v : variables)
    (PoliceCountVariable(v) ? counts : attributes).push_back(v);
  std::vector<const SubjectVariables*> set;
  for (const SubjectVariables& s : cohort) {
    bool in = true;
    for (const std::string& v : counts) in = in && InSetFor(s, v) && s.values.contains(v);
    if (in) set.push_back(&s);
  }
  // Case attributes the case file lacks are filled (SubjectVariables::filled); one nobody in the
  // cohort has leaves everyone out.
  std::vector<const SubjectVariables*> out;
  for (const SubjectVariables* s : set) {
    bool known = true;
    for (const std::string& a : attributes)
      known = known && (s->values.contains(a) || s->filled.contains(a));
    if (known) out.push_back(s);
  }
  return out;
}

namespace {

// A rank-revealing QR of `x` at R's lm.fit / glm.fit tolerance.
Eigen::ColPivHouseholderQR<Eigen::MatrixXd> RankQr(const Eigen::MatrixXd& x) {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  qr.setThreshold(1e-7);
  return qr;
}

// Unit-weight leverage of each row of `x` over its column space (the hat matrix's diagonal).
Eigen::VectorXd DesignLeverage(const Eigen::MatrixXd& x) {
  if (x.rows() == 0 || x.cols() == 0) return Eigen::VectorXd::Zero(x.rows());
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr = RankQr(x);
  const Eigen::Index rank = qr.rank();
  Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(x.rows(), rank);
  return q.rowwise().squaredNorm();
}

// The columns of `x` that are constant or a combination of the columns before them (in order,
// as R's glm drops terms).
std::vector<bool> AliasedColumns(const Eigen::MatrixXd& x) {
  std::vector<bool> aliased(static_cast<size_t>(x.cols()), false);
  std::vector<Eigen::Index> kept;
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    Eigen::MatrixXd trial(x.rows(), static_cast<Eigen::Index>(kept.size()) + 1);
    for (size_t j = 0; j < kept.size(); ++j)
      trial.col(static_cast<Eigen::Index>(j)) = x.col(kept[j]);
    trial.col(trial.cols() - 1) = x.col(k);
    if (RankQr(trial).rank() == trial.cols()) {
      kept.push_back(k);
    } else {
      aliased[static_cast<size_t>(k)] = true;
    }
  }
  return aliased;
}

// The part of column `j` of `x` the other columns do not explain: its residual on them.
Eigen::VectorXd Unexplained(const Eigen::MatrixXd& x, Eigen::Index j) {
  Eigen::MatrixXd others(x.rows(), x.cols() - 1);
  for (Eigen::Index c = 0, o = 0; c < x.cols(); ++c) {
    if (c != j) others.col(o++) = x.col(c);
  }
  return x.col(j) - others * RankQr(others).solve(x.col(j));
}

// How many rows a residual lies on: 1 / the sum of the squared shares of its squares (the
// participation ratio); 0 when it is zero.
double ParticipationRatio(const Eigen::VectorXd& residual) {
  const double total = residual.squaredNorm();
  if (!(total > 0)) return 0;
  return 1 / (residual.array().square() / total).square().sum();
}

// Whether removing at most `cap` rows leaves column `j` of `x` a combination of the columns
// before it, by concentration steps (least trimmed squares' C-steps): fit on the rows, keep all
// but the `cap` rows with the largest residuals, refit on them, until they settle (at most four
// times). A large group of alike carriers pulls a full fit toward itself, so that removing one
// of them at a time gains little (masking: red team 21's BIG, 22 carriers of which 21 alike, and
// 35 of 214 alike here); a fit on the majority leaves them all with large residuals at once.
bool AliasedOnAllButAFew(const Eigen::MatrixXd& x, Eigen::Index j, int cap) {
  const Eigen::Index keep = x.rows() - cap;
  if (cap <= 0 || keep <= j) return false;
  std::vector<Eigen::Index> rows(static_cast<size_t>(x.rows()));
  std::iota(rows.begin(), rows.end(), 0);
  Eigen::VectorXd beta = RankQr(x.leftCols(j)).solve(x.col(j));
  std::vector<Eigen::Index> previous;
  for (int step = 0; step < 4; ++step) {
    const Eigen::VectorXd e = (x.col(j) - x.leftCols(j) * beta).cwiseAbs();
    std::nth_element(rows.begin(), rows.begin() + keep, rows.end(),
                     [&](Eigen::Index a, Eigen::Index b) { return e[a] < e[b]; });
    std::vector<Eigen::Index> kept(rows.begin(), rows.begin() + keep);
    std::sort(kept.begin(), kept.end());
    if (kept == previous) break;
    Eigen::MatrixXd xk(keep, j + 1);
    for (Eigen::Index r = 0; r < keep; ++r)
      xk.row(r) = x.row(kept[static_cast<size_t>(r)]).head(j + 1);
    if (RankQr(xk).rank() == RankQr(xk.leftCols(j)).rank()) return true;
    beta = RankQr(xk.leftCols(j)).solve(xk.col(j));
    previous = std::move(kept);
  }
  return false;
}

// Whether removing at most `cap` rows leaves column `j` of `x` a combination of the columns
// before it (aliased, as R's glm decides it): a term that differs from the others on so few
// rows. Found greedily, each step removing the row whose removal lowers the residual sum of
// squares most (its squared residual over one minus its leverage). Each removal updates the fit
// in place (Sherman-Morrison on the earlier columns' orthonormal basis Q: over the kept rows the
// fit is Q M Q'y with M = (Q_kept' Q_kept)^-1), so a step costs a pass over the rows, not a
// factorisation; an aliasing the residual sum of squares suggests is confirmed by RankQr on the
// kept rows. Where it finds no group, the concentration steps (AliasedOnAllButAFew) have the
// last word.
bool AliasedWithoutAFew(const Eigen::MatrixXd& x, Eigen::Index j, int cap) {
  const Eigen::VectorXd y = x.col(j);
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr = RankQr(x.leftCols(j));
  const Eigen::Index rank = qr.rank();
  // The basis row by row (each row's coordinates contiguous).
  const Eigen::MatrixXd qt =
      (qr.householderQ() * Eigen::MatrixXd::Identity(x.rows(), rank)).transpose();
  Eigen::MatrixXd m = Eigen::MatrixXd::Identity(rank, rank);
  Eigen::VectorXd b = qt * y;
  std::vector<bool> kept(static_cast<size_t>(x.rows()), true);
  double yy = y.squaredNorm();
  int removed = 0;
  Eigen::VectorXd u(rank);
  for (;;) {
    const Eigen::VectorXd c = m * b;
    // The largest gains the steps left could take, kept in a min-heap.
    std::priority_queue<double, std::vector<double>, std::greater<double>> top;
    const size_t left = static_cast<size_t>(cap - removed);
    double rss = 0, most = -1;
    Eigen::Index worst = -1;
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      if (!kept[static_cast<size_t>(r)]) continue;
      const auto t = qt.col(r);
      u.noalias() = m * t;
      const double h = t.dot(u);
      const double e = y[r] - t.dot(c);
      rss += e * e;
      const double gain = 1 - h > 1e-9 ? e * e / (1 - h) : 0;
      if (gain > most) {
        most = gain;
        worst = r;
      }
      if (top.size() < left) {
        top.push(gain);
      } else if (left > 0 && gain > top.top()) {
        top.pop();
        top.push(gain);
      }
    }
    if (rss <= 1e-10 * yy || removed == cap || worst < 0) {
      // Confirmed on the kept rows (or not: then no small group carries the term).
      Eigen::MatrixXd xk(x.rows() - removed, j + 1);
      for (Eigen::Index r = 0, n = 0; r < x.rows(); ++r) {
        if (kept[static_cast<size_t>(r)]) xk.row(n++) = x.row(r).head(j + 1);
      }
      if (RankQr(xk).rank() == RankQr(xk.leftCols(j)).rank()) return true;
      // The residual lies on a few, but one at a time they did not come out: alike carriers
      // masking each other.
      if (removed == cap || worst < 0) return AliasedOnAllButAFew(x, j, cap);
    }
    // Out of reach: the steps left, each at most the largest gains now (four times over, for
    // rows that lever the fit more once others are gone), cannot take the residual to zero.
    double reach = 0;
    for (; !top.empty(); top.pop()) reach += top.top();
    if (4 * reach < rss) return AliasedOnAllButAFew(x, j, cap);  // spread, or alike carriers
    const auto t = qt.col(worst);
    u.noalias() = m * t;
    const double h = t.dot(u);
    m += u * u.transpose() / (1 - h);
    b -= t * y[worst];
    yy -= y[worst] * y[worst];
    kept[static_cast<size_t>(worst)] = false;
    ++removed;
  }
}

// Whether column `column` of `m` takes exactly two values, one held by fewer than `min_cell`
// rows (ONS/ESSnet: its score equation would be about those few).
bool TwoValuedWithFew(const Eigen::MatrixXd& m, Eigen::Index column, int min_cell) {
  std::map<double, int64_t> values;
  for (Eigen::Index i = 0; i < m.rows() && values.size() <= 2; ++i) ++values[m(i, column)];
  return values.size() == 2 && std::any_of(values.begin(), values.end(),
                                           [&](const auto& v) { return v.second < min_cell; });
}

// What is decided about a study's model design over the whole cohort (both models share it).
struct CohortDesign {
  std::vector<Eigen::Index> attribute_terms;  // the terms of case attributes, intercept first
  std::vector<bool> two_valued_with_few;      // of each of them, over the cohort
  std::vector<bool> aliased;                  // of each of them, over the cohort
  std::string withheld;                       // the reason both models are withheld, if any
};

CohortDesign CohortDesignOf(const Study& study, const std::vector<SubjectVariables>& cohort) {
  // The terms of case attributes alone over the whole cohort (filled where the case file lacks
  // them), the intercept included: what is decided about the model's design is decided there,
  // on the case file alone. Decided over the set's subjects (the linked ones, in "exclude"
  // mode), a term aliased, two-valued or carried by one person told whether that person is in
  // the set (red team 18: A1, a case recording 9 life domains made life_domains_capped
  // "aliased" exactly when they were not in the incident or conviction set, 40 of 40 and 40 of
  // 40 read right; T1, a third value of a term held by one person, 63 of 63).
  std::vector<std::vector<std::string>> parts = {{}};  // each term's variables
  for (const std::string& v : study.predictors) parts.push_back({v});
  for (const auto& [a, b] : study.interactions) parts.push_back({a, b});
  CohortDesign design;
  std::vector<Eigen::Index>& attribute_terms = design.attribute_terms;
  std::vector<std::string> attribute_variables;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (std::any_of(parts[k].begin(), parts[k].end(), PoliceCountVariable)) continue;
    attribute_terms.push_back(static_cast<Eigen::Index>(k));
    attribute_variables.insert(attribute_variables.end(), parts[k].begin(), parts[k].end());
  }
  const std::vector<const SubjectVariables*> everyone =
      AnalysisSubjects(cohort, attribute_variables);
  Eigen::MatrixXd xc(static_cast<Eigen::Index>(everyone.size()),
                     static_cast<Eigen::Index>(attribute_terms.size()));
  for (Eigen::Index i = 0; i < xc.rows(); ++i) {
    for (Eigen::Index j = 0; j < xc.cols(); ++j) {
      double value = 1;
      for (const std::string& v :
           parts[static_cast<size_t>(attribute_terms[static_cast<size_t>(j)])])
        value *= AnalysisValue(*everyone[static_cast<size_t>(i)], v);
      xc(i, j) = value;
    }
  }
  // The two-valued rule's verdict for each term of case attributes, over the cohort.
  for (Eigen::Index j = 0; j < xc.cols(); ++j)
    design.two_valued_with_few.push_back(TwoValuedWithFew(xc, j, study.min_cell));
  // One person's case attributes carrying a term (their leverage over the design of the whole
  // cohort at the policy's bound): withheld whether or not they are in the set.
  if (xc.rows() > 0 && DesignLeverage(xc).maxCoeff() >= study.max_leverage) {
    design.withheld =
        "one subject's case attributes carry a term of the model (their leverage over the "
        "design of the whole cohort reaches the policy's bound), whether or not they are in "
        "the set";
    return design;
  }
  design.aliased = AliasedColumns(xc);
  // A term that few of the cohort carry (its part the other terms do not explain lies on few
  // rows: fewer than half of min_cell by the participation ratio 1 / sum of squared shares) is
  // withheld too: three carriers, two of them cases the case file shows can never link, made
  // the model withheld for aliasing over the set exactly when the third was not in it (red
  // team 19, G3: 16 of 16 and 12 of 12). Half, not min_cell itself: in a cohort of 20 an
  // ordinary attribute's ratio is 7 to 13 (outside case 21: plan 7.2), and its model stays.
  for (Eigen::Index j = 1; j < xc.cols(); ++j) {
    if (design.aliased[static_cast<size_t>(j)]) continue;
    const Eigen::VectorXd residual = Unexplained(xc, j);
    if (ParticipationRatio(residual) < study.min_cell / 2.0 && residual.squaredNorm() > 0) {
      design.withheld =
          "a term of case attributes is carried by too few subjects of the cohort (by its "
          "participation ratio, fewer than half of min_cell), whether or not they are in the set";
      return design;
    }
    // A term that differs from a combination of the others on a few of the cohort only (up to
    // five times min_cell: life_domains_capped beside life_domains differs on those with 9 to
    // 11 life domains) has a score equation about those few alone, whatever its participation
    // ratio: with the released coefficients and their case attributes it is one equation in
    // their few small counts, and red team 20 solved it (D: 37 of 37 memberships and exact
    // counts, no case added). Over the set a count of them (0, 1 or 2 withheld, once) was not
    // enough. Withheld whoever is linked.
    // "Few" is also at most a quarter of the cohort: in a cohort of 60 a term of four values
    // is constant once the 38 holding the other three are removed, and that equation is about
    // most of the cohort.
    const int few = std::min<int>(5 * study.min_cell, static_cast<int>(xc.rows() / 4));
    if (AliasedWithoutAFew(xc, j, few)) {
      design.withheld =
          "a term of case attributes differs from a combination of the others on few subjects "
          "of the cohort (at most five times min_cell and a quarter of the cohort), so its "
          "equation would be about them, whether or not they are in the set";
      return design;
    }
  }
  return design;
}

json RegressionFor(const Study& study, const std::vector<SubjectVariables>& cohort,
                   const CohortDesign& design, Dispersion dispersion, const std::string& pointer,
                   Suppressions& sup) {
  // Complete cases of the outcome's set (where the outcome is defined), min_cell or none from
  // it (AnalysisSubjects).
  std::vector<std::string> used = study.predictors;
  used.push_back(study.outcome);
  const std::vector<const SubjectVariables*> rows = AnalysisSubjects(cohort, used);
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  if (n < study.min_cell) {
    sup.Add(pointer, sup.TooFew(n));
    return nullptr;
  }
  std::vector<std::string> terms = {"(Intercept)"};
  for (const std::string& p : study.predictors) terms.push_back(p);
  for (const auto& [a, b] : study.interactions) terms.push_back(a + ":" + b);
  Eigen::MatrixXd x(n, static_cast<Eigen::Index>(terms.size()));
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const SubjectVariables& v = *rows[static_cast<size_t>(i)];
    y[i] = AnalysisValue(v, study.outcome);
    x(i, 0) = 1;
    Eigen::Index c = 1;
    for (const std::string& p : study.predictors) x(i, c++) = AnalysisValue(v, p);
    for (const auto& [a, b] : study.interactions)
      x(i, c++) = AnalysisValue(v, a) * AnalysisValue(v, b);
  }
  // An outcome or a term of police counts that few of the set hold another value of than the
  // most common (constant included: an outcome of 1 for everyone gives an intercept of log 1)
  // would give each one's count: one reason, none or a few, before the rules below can tell
  // the two apart.
  std::vector<bool> attribute_term(static_cast<size_t>(x.cols()), false);
  for (Eigen::Index k : design.attribute_terms) attribute_term[static_cast<size_t>(k)] = true;
  // An outcome fewer than min_cell hold another count of (a window with three convictions
  // among 30, say): with the model's equations beside the descriptives' sum and sum of squares
  // the few counts have one solution in whole numbers, and red team 21 (SP) read every
  // member's exact count from zero-mode windows of 30 (the ACRO threshold, on the cell of those
  // who differ).
  if (Differing(std::vector<double>(y.data(), y.data() + y.size())) < study.min_cell) {
    sup.Add(pointer, FewHoldAnotherCountReason(study.min_cell));
    return nullptr;
  }
  // A term of police counts few of the set differ in (the outcome's stricter rule is above).
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    if (attribute_term[static_cast<size_t>(k)]) continue;
    if (FewDiffer(std::vector<double>(x.col(k).data(), x.col(k).data() + n), study.min_cell)) {
      sup.Add(pointer, FewDifferReason("count of a term", study.min_cell));
      return nullptr;
    }
  }
  // ONS/ESSnet output rules for models: enough residual degrees of freedom (no saturated or
  // near-saturated model), and no category of a two-valued term held by fewer than min_cell
  // (its score equation would be about those few): over the cohort for a term of case
  // attributes, over the set for one of police counts.
  const Eigen::Index p = x.cols() + (dispersion == Dispersion::kMaximumLikelihood ? 1 : 0);
  if (n - p < study.min_residual_df) {
    // n is how many are linked: the reason carries no count.
    sup.Add(pointer, Cat("fewer than ", study.min_residual_df,
                         " residual degrees of freedom (subjects minus parameters)"));
    return nullptr;
  }
  const std::vector<Eigen::Index>& attribute_terms = design.attribute_terms;
  for (Eigen::Index k = 1; k < x.cols(); ++k) {
    const auto at = std::find(attribute_terms.begin(), attribute_terms.end(), k);
    const bool few =
        at == attribute_terms.end()
            ? TwoValuedWithFew(x, k, study.min_cell)
            : design.two_valued_with_few[static_cast<size_t>(at - attribute_terms.begin())];
    if (few) {
      sup.Add(pointer, Cat("a value of the two-valued term ", terms[static_cast<size_t>(k)],
                           " is held by fewer than ", study.min_cell, " subjects"));
      return nullptr;
    }
  }
  if (!design.withheld.empty()) {
    sup.Add(pointer, design.withheld);
    return nullptr;
  }
  NbOptions options;
  options.dispersion = dispersion;
  options.fixed_alpha = 1;
  // No over-dispersion: the ML theta is infinite and the Poisson fit is the answer.
  options.poisson_without_overdispersion = true;
  absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms, options);
  if (!fit.ok()) {
    // The fit's own message, where it carries no figure.
    const std::string why(fit.status().message());
    const bool figures =
        std::any_of(why.begin(), why.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    sup.Add(pointer, Cat("not estimable", figures ? std::string() : Cat(": ", why)));
    return nullptr;
  }
  // A term of case attributes aliased over the set but not over the cohort: more than five
  // times min_cell carry it (the cohort's rules above withhold fewer), all outside the set.
  for (size_t j = 0; j < attribute_terms.size(); ++j) {
    const NbCoefficient& c = fit->coefficients[static_cast<size_t>(attribute_terms[j])];
    if (c.aliased && !design.aliased[j]) {
      sup.Add(pointer,
              "a term of case attributes is a combination of the others over the set's subjects "
              "but not over the cohort's");
      return nullptr;
    }
  }
  // An aliased term (constant, or a combination of the terms before it) is dropped as R's glm
  // drops it: its row stays, "aliased": true, its figures null (R: NA).
  json coefficients = json::array();
  json aliased = json::array();
  for (const NbCoefficient& c : fit->coefficients) {
    if (c.aliased) {
      const std::string row = Cat(pointer, "/coefficients/", coefficients.size());
      for (const char* figure : {"b", "se", "ci_low", "ci_high", "wald_chi2", "p", "irr"}) {
        sup.Add(Cat(row, "/", figure),
                Cat("aliased: ", c.term,
                    " is constant or a linear combination of the terms before it; dropped from "
                    "the model as R's glm drops it (NA)"));
      }
      coefficients.push_back({{"term", c.term},
                              {"b", nullptr},
                              {"se", nullptr},
                              {"ci_low", nullptr},
                              {"ci_high", nullptr},
                              {"wald_chi2", nullptr},
                              {"df", c.df},
                              {"p", nullptr},
                              {"irr", nullptr},
                              {"aliased", true}});
      aliased.push_back(c.term);
      continue;
    }
    coefficients.push_back({{"term", c.term},
                            {"b", c.b},
                            {"se", c.se},
                            {"ci_low", c.ci_low},
                            {"ci_high", c.ci_high},
                            {"wald_chi2", c.wald_chi2},
                            {"df", c.df},
                            {"p", c.p},
                            {"irr", c.irr},
                            {"aliased", false}});
  }
  const bool poisson = fit->dispersion == Dispersion::kPoisson;
  json j = {{"outcome", study.outcome},
            {"n", fit->n},
            {"dispersion", poisson                                        ? "poisson"
                           : dispersion == Dispersion::kMaximumLikelihood ? "ml"
                                                                          : "fixed"},
            {"theta", poisson ? json(nullptr) : json(fit->theta)},
            {"alpha", fit->alpha},
            {"log_likelihood", fit->log_likelihood},
            {"aic", fit->aic},
            {"coefficients", coefficients},
            {"aliased", aliased}};
  if (poisson) {
    sup.Add(pointer + "/theta",
            "infinite: the counts show no over-dispersion, so the Poisson fit (alpha 0) is "
            "reported, as R's glm(family = poisson)");
  }
  if (!study.interactions.empty()) {
    // Type III Wald tests: one per term (every term here is a single numeric column).
    json type3 = json::array();
    for (size_t k = 1; k < terms.size(); ++k) {
      if (fit->coefficients[k].aliased) continue;
      absl::StatusOr<WaldTest> w = WaldTestCoefficients(*fit, {static_cast<int>(k)});
      if (w.ok())
        type3.push_back({{"term", terms[k]}, {"wald_chi2", w->chi2}, {"df", w->df}, {"p", w->p}});
    }
    j["type3"] = type3;
  }
  return j;
}

}  // namespace

absl::Status CheckDifferencing(const SubjectSet& candidate, const std::vector<SubjectSet>& released,
                               int min_cell) {
  for (const SubjectSet& r : released) {
    // Figures of different families (attributes, incident counts, conviction counts) do not
    // combine: a cohort next to an incident set a few smaller reveals nothing.
    if (r.family != candidate.family) continue;
    std::vector<std::string> diff;
    std::set_symmetric_difference(candidate.ids.begin(), candidate.ids.end(), r.ids.begin(),
                                  r.ids.end(), std::back_inserter(diff));
    if (!diff.empty() && static_cast<int>(diff.size()) < min_cell) {
      const std::string detail = Cat(candidate.family, " differs from a released one by ",
                                     diff.size(), " (fewer than ", min_cell, ")");
      if (candidate.family == "inputs") {
        return Refusal(Cat("refused: the case file's data of this selection changed since an "
                           "earlier release (a revised case file, or a definition that takes "
                           "another case as a person's reference) for fewer than ",
                           min_cell,
                           " of its subjects, so comparing the two would single "
                           "people out"),
                       detail, false);
      }
      return Refusal(Cat("refused: this selection differs from an earlier released one by "
                         "fewer than ",
                         min_cell, " subjects, so comparing the two would single people out"),
                     detail, candidate.family != "cohort");
    }
  }
  if (static_cast<int>(candidate.ids.size()) < min_cell) return absl::OkStatus();
  // Sums over released sets can be added and subtracted. Split the family's released sets
  // (each of min_cell or more; smaller ones have their figures suppressed) and the candidate
  // into atoms: groups of subjects that belong to exactly the same sets. A combination of
  // releases reveals the total of a set T of atoms exactly when some vector supported on T
  // lies in the row space of the set-by-atom membership matrix. Refuse when the candidate
  // makes that true for atoms holding together 1 to min_cell - 1 subjects.
  std::vector<const SubjectSet*> sets;
  for (const SubjectSet& r : released) {
    if (r.family == candidate.family && static_cast<int>(r.ids.size()) >= min_cell)
      sets.push_back(&r);
  }
  if (sets.empty()) return absl::OkStatus();
  sets.push_back(&candidate);
  std::map<std::string, std::string> signature;  // subject -> one char per set
  for (size_t k = 0; k < sets.size(); ++k) {
    for (const std::string& id : sets[k]->ids) {
      std::string& sig = signature[id];
      sig.resize(sets.size(), '0');
      sig[k] = '1';
    }
  }
  std::map<std::string, int64_t> atom_size;
  for (auto& [id, sig] : signature) {
    sig.resize(sets.size(), '0');
    ++atom_size[sig];
  }
  const Eigen::Index n_sets = static_cast<Eigen::Index>(sets.size());
  const Eigen::Index n_atoms = static_cast<Eigen::Index>(atom_size.size());
  Eigen::MatrixXd membership(n_sets, n_atoms);
  std::vector<Eigen::Index> large;  // atoms of min_cell or more subjects
  int64_t smallest = min_cell;      // the smallest of the others
  Eigen::Index column = 0;
  for (const auto& [sig, size] : atom_size) {
    for (Eigen::Index k = 0; k < n_sets; ++k) membership(k, column) = sig[k] == '1' ? 1.0 : 0.0;
    if (size >= min_cell) {
      large.push_back(column);
    } else {
      smallest = std::min(smallest, size);
    }
    ++column;
  }
  if (smallest == min_cell) return absl::OkStatus();  // no small atom
  auto rank = [](const Eigen::MatrixXd& m) {
    Eigen::FullPivLU<Eigen::MatrixXd> lu(m);
    lu.setThreshold(1e-9);
    return lu.rank();
  };
  // The dimension of (row space of m) intersected with span{e_a : a small}: how many
  // independent combinations of small atoms' totals the releases give away. A combination
  // y'm lies there when y' zeroes every other column, so the dimension is
  // rank(m) - rank(m without the small columns).
  auto small_combinations = [&](const Eigen::MatrixXd& m) {
    Eigen::MatrixXd rest(m.rows(), static_cast<Eigen::Index>(large.size()));
    for (size_t i = 0; i < large.size(); ++i)
      rest.col(static_cast<Eigen::Index>(i)) = m.col(large[i]);
    return rank(m) - (large.empty() ? 0 : rank(rest));
  };
  if (small_combinations(membership) > small_combinations(membership.topRows(n_sets - 1))) {
    if (candidate.family == "inputs") {
      return Refusal(Cat("refused: its case file's data changed since an earlier release (a "
                         "revised case file, or another reference case) for so few subjects "
                         "that, with the selections released before, it would reveal figures "
                         "of a group of fewer than ",
                         min_cell, " subjects"),
                     Cat("inputs: the smallest group it separates holds ", smallest), false);
    }
    return Refusal(Cat("refused: combined with the selections released before, this one would "
                       "reveal figures of a group of fewer than ",
                       min_cell, " subjects"),
                   Cat(candidate.family, ": the smallest group it separates holds ", smallest),
                   candidate.family != "cohort");
  }
  return absl::OkStatus();
}

namespace {
constexpr char kDetailPayload[] = "type.pprl/refusal-detail";
constexpr char kDataPayload[] = "type.pprl/refusal-data-dependent";
}  // namespace

absl::Status Refusal(std::string_view message, std::string_view detail, bool data_dependent) {
  absl::Status s = absl::FailedPreconditionError(std::string(message));
  s.SetPayload(kDetailPayload, absl::Cord(std::string(detail)));
  if (data_dependent) s.SetPayload(kDataPayload, absl::Cord(std::string("1")));
  return s;
}

std::string RefusalDetail(const absl::Status& status) {
  auto d = status.GetPayload(kDetailPayload);
  if (!d) return std::string(status.message());
  return Cat(status.message(), " [", std::string(*d), "]");
}

bool RefusalDependsOnData(const absl::Status& status) {
  return status.GetPayload(kDataPayload).has_value();
}

namespace {

// The first 8 bytes of the keyed digest of `text`, in hex: a per-person tag of the release
// record (never a value: the key is the analyzer's secret).
std::string KeyedTag(PrecomputedHmac& mac, const std::string& text) {
  const Sha256Digest d = mac.Compute(text);
  return ToHex(std::span<const uint8_t>(d.data(), 8));
}
}  // namespace

namespace {
// The order of RememberedRows (and of the values InputsSets stores under them).
enum RememberedRow : size_t {
  kLinkedIncidents,
  kLinkedConvictions,
  kReferenceDay,
  kIncidentQuarters,                            // eight rows
  kConvictionQuarters = kIncidentQuarters + 8,  // eight rows
};
}  // namespace

std::set<std::string> CaseIdentities(const CohortSubjectIn& subject) {
  std::set<std::string> out;
  for (const CohortCaseIn& c : subject.cases) out.insert(c.identity);
  return out;
}

std::vector<SubjectSet> InputsSets(const Study& study, const std::vector<CohortSubjectIn>& subjects,
                                   const std::vector<SubjectVariables>& cohort,
                                   std::string_view key) {
  PrecomputedHmac mac(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  // Each person by their subject id: a subject keeps it when extracts are added or withdrawn
  // (stable subject ids, issue 13), linked or not (a case file withdrawn and submitted again
  // keeps its unlinked subjects' ids too since ids9: linker/linker_core.cc names members by
  // site). Not by their first case as the case file shows it
  // (LinkedSets): a case-file officer's copy of every case on its own day in another kader made
  // that first case another for everyone, in the order the link run listed the cases, so every
  // tag differed from the released ones and one person's moved reference day passed the case
  // file's rule (red team 9, R1, rerun).
  std::map<std::string, const CohortSubjectIn*> by_id;
  for (const CohortSubjectIn& subject : subjects) by_id[subject.subject_id] = &subject;
  SubjectSet case_file{"inputs", {}, {}}, police{"police_inputs", {}, {}},
      reference{"reference_days", {}, {}}, identities{"case_identities", {}, {}};
  for (const SubjectVariables& v : cohort) {
    auto found = by_id.find(v.subject_id);
    if (found == by_id.end()) continue;
    const CohortSubjectIn& s = *found->second;
    // What the study reads from the case file: the reference day (session 6, the reference
    // shift: a window starting just after someone's first case moved their reference to their
    // later case, and means over the same set differed by that person's change alone) and the
    // case variables. Not the kader or the cases the study does not read (red team 9, R1: copies
    // of every person's case in a new kader, one of them on another day, changed everyone's
    // tag, and the one person's changed window counts then decided the withholding).
    // What it reads from police data: the window counts under its incident filter (nothing
    // outside the windows: red team 8, F3a, a witness incident outside every window changed the
    // tag). The counts of a source the person has no record of are left out: zero (unlinked
    // counted as zero) or absent alike, so the two modes agree.
    std::vector<std::string> read = {Cat("reference:", v.reference_day)};
    // Who the case file says the person is (the linker's digests of their cases' keyed
    // identities, each once: an exact copy adds none). Changed under the same case id, the
    // person's police records may stop linking: a change of the case file, decided on it
    // (red team 12, S1 to S5), not one the analyzer could only see through the police data.
    const std::string identity = Cat("identity:", json(CaseIdentities(s)).dump());
    read.push_back(identity);
    identities.ids.push_back(Cat(v.subject_id, ":", KeyedTag(mac, identity)));
    for (const auto& [name, value] : v.values) {
      if (!PoliceCountVariable(name)) read.push_back(Cat(name, "=", value));
    }
    // One half per kind ("incidents.convictions"), so that the people whose counts of one kind
    // changed can be told apart (AnalyzeStudy, the moved reference days).
    const std::string incidents =
        v.linked_incidents ? Cat("incidents:", json(v.incident_quarters).dump()) : "incidents:-";
    const std::string convictions = v.linked_convictions
                                        ? Cat("convictions:", json(v.conviction_quarters).dump())
                                        : "convictions:-";
    case_file.ids.push_back(Cat(v.subject_id, ":", KeyedTag(mac, nlohmann::json(read).dump())));
    reference.ids.push_back(
        Cat(v.subject_id, ":", KeyedTag(mac, Cat("reference:", v.reference_day))));
    police.ids.push_back(
        Cat(v.subject_id, ":", KeyedTag(mac, incidents), ".", KeyedTag(mac, convictions)));
  }
  std::sort(case_file.ids.begin(), case_file.ids.end());
  std::sort(police.ids.begin(), police.ids.end());
  std::sort(reference.ids.begin(), reference.ids.end());
  std::sort(identities.ids.begin(), identities.ids.end());
  // The police inputs themselves, one row per remembered figure (RememberedRows), in the order
  // of the sorted ids: what RestorePoliceInputs gives again.
  std::map<std::string_view, const SubjectVariables*> of;
  for (const SubjectVariables& v : cohort) of[v.subject_id] = &v;
  const std::vector<std::string> rows = RememberedRows(study);
  for (const std::string& row : rows) police.statistics.push_back(row);
  for (const std::string& id : police.ids) {
    const SubjectVariables& v = *of.at(std::string_view(id).substr(0, id.rfind(':')));
    // In RememberedRow order. Day numbers (about 20,000) and counts are exact in a float.
    std::vector<float> values = {v.linked_incidents ? 1.0f : 0.0f,
                                 v.linked_convictions ? 1.0f : 0.0f,
                                 static_cast<float>(v.reference_day)};
    for (int32_t c : v.incident_quarters) values.push_back(static_cast<float>(c));
    for (int32_t c : v.conviction_quarters) values.push_back(static_cast<float>(c));
    for (size_t k = 0; k < rows.size(); ++k) police.rows[rows[k]].push_back(values[k]);
  }
  return {std::move(case_file), std::move(police), std::move(reference), std::move(identities)};
}

std::vector<std::string> RememberedRows(const Study& study) {
  // The count definition: the incident filter (the windows are fixed, the reference day is the
  // case file's). Remembered counts are given again only under the same one.
  std::vector<std::string> excluded = study.excluded_categories, roles = study.roles;
  std::sort(excluded.begin(), excluded.end());
  std::sort(roles.begin(), roles.end());
  const std::string prefix =
      Cat("remembered[", json({{"excluded", excluded}, {"roles", roles}}).dump(), "]:");
  std::vector<std::string> rows = {Cat(prefix, "linked_incidents"),
                                   Cat(prefix, "linked_convictions")};
  rows.push_back(Cat(prefix, "reference_day"));  // what the quarters are counted around
  for (const char* kind : {"incidents", "convictions"}) {
    for (int q = 0; q < 8; ++q) rows.push_back(Cat(prefix, kind, "_q", q));
  }
  return rows;
}

namespace {

std::string_view PersonOf(const std::string& id) {
  return std::string_view(id).substr(0, id.rfind(':'));
}

// Each person's last remembered police inputs under `rows` (RememberedRows of a count
// definition): the last released set of `family` holding them with every row whole, and
// their place in it. Chosen on what was released, never on their data.
std::map<std::string_view, std::pair<const SubjectSet*, size_t>> LastRemembered(
    const std::string& family, const std::vector<std::string>& rows,
    const std::vector<SubjectSet>& released) {
  std::map<std::string_view, std::pair<const SubjectSet*, size_t>> last;
  for (const SubjectSet& r : released) {
    if (r.family != family) continue;
    bool whole = true;
    for (const std::string& row : rows) {
      auto it = r.rows.find(row);
      whole = whole && it != r.rows.end() && it->second.size() == r.ids.size();
    }
    if (!whole) continue;
    for (size_t i = 0; i < r.ids.size(); ++i) last[PersonOf(r.ids[i])] = {&r, i};
  }
  return last;
}

}  // namespace

int RestorePoliceInputs(const Study& study, const SubjectSet& candidate,
                        const std::vector<SubjectSet>& released,
                        std::vector<SubjectVariables>* cohort) {
  const std::vector<std::string> rows = RememberedRows(study);
  // Each person's last remembered inputs under this filter, from any release that held them
  // (from a release of the same people only, a rerun over a cohort no release had, such as hic
  // and risicoburger after hic, hic and jeugd, and all three, set back nobody, and the police
  // inputs' withholding said whether one person's had changed: red team 11, P1).
  const auto last = LastRemembered(candidate.family, rows, released);
  std::map<std::string_view, SubjectVariables*> of;
  for (SubjectVariables& v : *cohort) of[v.subject_id] = &v;
  auto value = [&](const std::pair<const SubjectSet*, size_t>& at, size_t k) {
    return at.first->rows.at(rows[k])[at.second];
  };
  // The people whose inputs differ from their last remembered ones. The quarters are counted
  // around the reference day: a person whose reference day moved (the case file's change, under
  // its own rules: AnalyzeStudy's moved reference days) has other inputs, not changed ones, and
  // is neither counted nor set back here.
  std::vector<std::pair<SubjectVariables*, std::pair<const SubjectSet*, size_t>>> restore;
  for (const std::string& id : candidate.ids) {
    const std::string_view person = PersonOf(id);
    auto at = last.find(person);
    auto v = of.find(person);
    if (at == last.end() || v == of.end() || at->second.first->ids[at->second.second] == id)
      continue;
    if (static_cast<int32_t>(value(at->second, kReferenceDay)) != v->second->reference_day)
      continue;
    restore.emplace_back(v->second, at->second);
  }
  if (restore.empty() || static_cast<int>(restore.size()) >= study.min_cell) return 0;
  for (const auto& [v, at] : restore) {
    std::array<int32_t, 8> incidents{}, convictions{};
    for (size_t q = 0; q < 8; ++q) {
      incidents[q] = static_cast<int32_t>(value(at, kIncidentQuarters + q));
      convictions[q] = static_cast<int32_t>(value(at, kConvictionQuarters + q));
    }
    SetPoliceCounts(*v, value(at, kLinkedIncidents) != 0, value(at, kLinkedConvictions) != 0,
                    incidents, convictions, study);
  }
  return static_cast<int>(restore.size());
}

std::vector<SubjectSet> NotYetRecorded(const Study& study, const std::vector<SubjectSet>& sets,
                                       const std::vector<SubjectSet>& released) {
  std::map<std::pair<std::string, std::vector<std::string>>, std::set<std::string>> stored;
  for (const SubjectSet& set : released)
    stored[{set.family, set.ids}].insert(set.statistics.begin(), set.statistics.end());
  const std::vector<std::string> rows = RememberedRows(study);
  std::vector<SubjectSet> out;
  for (const SubjectSet& set : sets) {
    if (set.ids.empty()) continue;
    // Police inputs whose people's last remembered ones are another release's (the police data
    // went back to a state released before: B after A, then A again) are stored again whole,
    // so that the restore's baseline is the last release, not the last stored. Else the next
    // update of one person, against B's inputs of ten or more others, read fresh, and differed
    // from the release just before by that one person's counts.
    bool again = false;
    if (set.rows.contains(rows[0])) {
      const auto last = LastRemembered(set.family, rows, released);
      for (size_t i = 0; i < set.ids.size() && !again; ++i) {
        auto at = last.find(PersonOf(set.ids[i]));
        again = at == last.end() || at->second.first->ids[at->second.second] != set.ids[i] ||
                at->second.first->rows.at(rows[kReferenceDay])[at->second.second] !=
                    set.rows.at(rows[kReferenceDay])[i];
      }
    }
    auto known = stored.find({set.family, set.ids});
    SubjectSet fresh{set.family, set.ids, {}};
    for (const std::string& key : set.statistics) {
      if (!again && known != stored.end() && known->second.contains(key)) continue;
      fresh.statistics.push_back(key);
      if (auto row = set.rows.find(key); row != set.rows.end()) fresh.rows[key] = row->second;
    }
    if (known != stored.end() && fresh.statistics.empty()) continue;
    out.push_back(std::move(fresh));
  }
  return out;
}

std::set<std::string> ReleasedUnderAnotherFilter(const Study& study,
                                                 const std::vector<SubjectSet>& released,
                                                 const std::vector<SubjectVariables>& cohort) {
  const std::string mine = RememberedRows(study)[0];
  std::set<std::string_view> people;
  for (const SubjectSet& r : released) {
    if (r.family != "police_inputs" || r.rows.empty() || r.rows.contains(mine)) continue;
    for (const std::string& id : r.ids) people.insert(PersonOf(id));
  }
  std::set<std::string> out;
  for (const SubjectVariables& v : cohort) {
    if (people.contains(v.subject_id)) out.insert(v.subject_id);
  }
  return out;
}

std::vector<std::string> ChangedPeople(const SubjectSet& candidate, const SubjectSet& released) {
  auto split = [](const SubjectSet& set) {
    std::map<std::string_view, std::string_view> tags;
    for (const std::string& id : set.ids) {
      const size_t colon = id.rfind(':');
      if (colon == std::string::npos) continue;
      tags[std::string_view(id).substr(0, colon)] = std::string_view(id).substr(colon + 1);
    }
    return tags;
  };
  const auto before = split(released);
  std::vector<std::string> out;
  for (const auto& [person, tag] : split(candidate)) {
    auto it = before.find(person);
    if (it != before.end() && it->second != tag) out.emplace_back(person);
  }
  return out;
}

std::vector<SubjectSet> LinkedSets(const std::vector<SubjectVariables>& cohort) {
  // Each person by subject id, which the linker keeps across link runs, for linked and
  // unlinked subjects alike, also when a case file is withdrawn and submitted again
  // (tests/linker/linker_service_test.cc, LinkerCore.ACaseFileWithdrawn*). Keyed by their
  // first case as the case file showed it (until session 9), a same-day copy of every case in
  // another kader, listed first by the link run, gave everyone a new key, and a cohort of the
  // released people plus ten fictional fillers published its linked count beside the earlier
  // one (red team 10, O1). The flags are the cohort's (RestorePoliceInputs may have set them).
  std::vector<SubjectSet> out = {{"linked_incidents", {}, {}}, {"linked_convictions", {}, {}}};
  for (const SubjectVariables& v : cohort) {
    out[0].ids.push_back(Cat(v.subject_id, v.linked_incidents ? ":1" : ":0"));
    out[1].ids.push_back(Cat(v.subject_id, v.linked_convictions ? ":1" : ":0"));
  }
  for (SubjectSet& s : out) std::sort(s.ids.begin(), s.ids.end());
  return out;
}

absl::Status CheckLinkedCounts(const SubjectSet& candidate, const std::vector<SubjectSet>& released,
                               int min_cell, bool linked_only) {
  std::vector<const std::vector<std::string>*> sets;
  std::set<std::vector<std::string>> seen;
  for (const SubjectSet& r : released) {
    if (r.family != candidate.family || !seen.insert(r.ids).second) continue;
    sets.push_back(&r.ids);
  }
  if (seen.contains(candidate.ids)) return absl::OkStatus();
  const size_t c = sets.size();  // the candidate's index
  sets.push_back(&candidate.ids);
  // A member is "subject:flag": a subject whose linkage changed between releases is two members.
  std::map<std::string, std::vector<size_t>> signature;
  for (size_t k = 0; k < sets.size(); ++k) {
    for (const std::string& id : *sets[k]) signature[id].push_back(k);
  }
  struct Atom {
    int64_t size = 0, linked = 0;
    bool touched = false;  // holds candidate members, or was split by the candidate
  };
  std::map<std::vector<size_t>, Atom> atoms;
  std::map<std::vector<size_t>, int64_t> in_candidate;  // per old signature
  for (const auto& [id, sig] : signature) {
    Atom& a = atoms[sig];
    ++a.size;
    a.linked += id.size() >= 2 && id.compare(id.size() - 2, 2, ":1") == 0;
    if (!sig.empty() && sig.back() == c) {
      a.touched = true;
      std::vector<size_t> old(sig.begin(), sig.end() - 1);
      if (!old.empty()) ++in_candidate[old];
    }
  }
  for (auto& [sig, a] : atoms) {
    if (!a.touched && in_candidate.contains(sig)) a.touched = true;  // split: its rest is new
    if (!a.touched || a.size < min_cell) continue;
    if (a.linked >= min_cell && (linked_only || a.size - a.linked >= min_cell)) continue;
    return Refusal(
        Cat("withheld: with the linked counts released before, it would tell how many of a "
            "group of the cohort the police or court records hold, where that number or the "
            "rest of the group is below ",
            min_cell, " (none and all included)"),
        Cat(candidate.family, ": a group of ", a.size, " with ", a.linked, " linked"), true);
  }
  return absl::OkStatus();
}

std::vector<SubjectSet> ReleasedSets(const std::vector<SubjectVariables>& cohort) {
  std::vector<SubjectSet> sets = {
      {"cohort", {}, {}}, {"incident_set", {}, {}}, {"conviction_set", {}, {}}};
  for (const SubjectVariables& s : cohort) {
    sets[0].ids.push_back(s.subject_id);
    if (s.in_incident_set) sets[1].ids.push_back(s.subject_id);
    if (s.in_conviction_set) sets[2].ids.push_back(s.subject_id);
  }
  for (auto& s : sets) std::sort(s.ids.begin(), s.ids.end());
  return sets;
}

void RoundFigures(json& report) {
  if (report.is_structured()) {
    for (json& v : report) RoundFigures(v);
  } else if (report.is_number_float()) {
    const double v = report.get<double>();
    if (!std::isfinite(v) || v == std::floor(v)) return;
    char text[32];
    std::snprintf(text, sizeof text, "%.5e", v);
    report = std::strtod(text, nullptr);
  }
}

absl::StatusOr<json> BuildStudyReport(const Study& study,
                                      const std::vector<SubjectVariables>& cohort,
                                      const json& linkage) {
  const int64_t n = static_cast<int64_t>(cohort.size());
  if (n < study.min_cell) {
    return Refusal(Cat("refused: the cohort has fewer than ", study.min_cell,
                       " subjects; no figure about it can be released"),
                   Cat("cohort of ", n), false);
  }
  Suppressions sup(study.min_cell);
  json r;
  r["schema"] = "pprl.report.v1";
  json study_json = {{"name", study.name},
                     {"kaders", study.kaders},
                     {"unlinked", study.unlinked_as_zero ? "zero" : "exclude"},
                     {"excluded_categories", study.excluded_categories},
                     {"roles", study.roles},
                     {"outcome", study.outcome},
                     {"predictors", study.predictors},
                     {"min_cell", study.min_cell},
                     {"min_residual_df", study.min_residual_df}};
  if (study.first_discussed_from)
    study_json["first_discussed_from"] = FormatIsoDate(*study.first_discussed_from);
  if (study.first_discussed_to)
    study_json["first_discussed_to"] = FormatIsoDate(*study.first_discussed_to);
  json interactions = json::array();
  for (const auto& [a, b] : study.interactions) interactions.push_back({a, b});
  study_json["interactions"] = interactions;
  r["study"] = study_json;
  r["linkage"] = linkage;

  int64_t n_inc = 0, n_conv = 0;
  for (const SubjectVariables& s : cohort) {
    n_inc += s.in_incident_set;
    n_conv += s.in_conviction_set;
  }
  r["cohort"] = {{"n", n}, {"n_incident_set", n_inc}, {"n_conviction_set", n_conv}};
  for (auto [key, value] : {std::pair{"n_incident_set", n_inc}, {"n_conviction_set", n_conv}}) {
    if (value > 0 && value < study.min_cell) {
      r["cohort"][key] = nullptr;
      sup.Add(Cat("/cohort/", key), sup.TooFew(value));
    }
  }

  json descriptives = json::object();
  for (const std::string& v : StudyVariableNames()) {
    const bool count = IncidentVariable(v) || ConvictionVariable(v);
    descriptives[v] =
        DescriptivesFor(Values(cohort, v), "/descriptives/" + v, sup, count ? &study : nullptr);
  }
  // Gender shares; small cells suppressed, and a second one when one alone could be derived.
  std::map<std::string, int64_t> genders = {{"m", 0}, {"v", 0}, {"o", 0}};
  for (const SubjectVariables& s : cohort) ++genders[std::string(1, s.gender)];
  json gender = json::object();
  std::vector<std::string> small;
  for (const auto& [code, count] : genders) {
    gender[code] = static_cast<double>(count) / static_cast<double>(n);
    if (count > 0 && count < study.min_cell) small.push_back(code);
  }
  if (small.size() == 1) {
    std::string next;
    for (const auto& [code, count] : genders) {
      if (code != small[0] && count > 0 && (next.empty() || count < genders[next])) next = code;
    }
    if (!next.empty()) small.push_back(next);
  }
  for (const std::string& code : small) {
    gender[code] = nullptr;
    sup.Add("/descriptives/gender/" + code, small.size() > 1 && genders[code] >= study.min_cell
                                                ? "would reveal a suppressed cell"
                                                : sup.TooFew(genders[code]));
  }
  descriptives["gender"] = gender;
  r["descriptives"] = descriptives;

  json paired = json::object();
  for (const char* source : {"incidents", "convictions"}) {
    for (const char* window : {"quarter", "year"}) {
      std::string name = Cat(source, "_", window);
      std::string pointer = "/paired_tests/" + name;
      std::vector<double> before, after;
      for (const SubjectVariables& s : cohort) {
        if (!InSetFor(s, name)) continue;
        auto b = s.values.find(Cat(name, "_before"));
        auto a = s.values.find(Cat(name, "_after"));
        if (b != s.values.end() && a != s.values.end()) {
          before.push_back(b->second);
          after.push_back(a->second);
        }
      }
      if (static_cast<int>(before.size()) < study.min_cell) {
        paired[name] = nullptr;
        sup.Add(pointer, sup.TooFew(static_cast<int64_t>(before.size())));
        continue;
      }
      std::vector<double> differences(before.size());
      for (size_t i = 0; i < before.size(); ++i) differences[i] = before[i] - after[i];
      if (FewDiffer(before, study.min_cell) || FewDiffer(after, study.min_cell) ||
          FewDiffer(differences, study.min_cell)) {
        paired[name] = nullptr;
        sup.Add(pointer, FewDifferReason("count before, after or difference", study.min_cell));
        continue;
      }
      absl::StatusOr<PairedTest> t = PairedTTest(before, after);
      if (!t.ok()) {
        paired[name] = nullptr;
        sup.Add(pointer, Cat("not computable: ", t.status().message()));
        continue;
      }
      paired[name] = {{"n", t->n},
                      {"mean_before", t->mean_before},
                      {"sd_before", t->sd_before},
                      {"mean_after", t->mean_after},
                      {"sd_after", t->sd_after},
                      {"mean_diff", t->mean_diff},
                      {"t", t->t},
                      {"df", t->df},
                      {"p", t->p},
                      {"ci_low", t->ci_low},
                      {"ci_high", t->ci_high},
                      {"wilcoxon_p", t->wilcoxon_p},
                      {"wilcoxon_exact", t->wilcoxon_exact}};
      if (!t->t_defined) {
        // Only what is undefined is withheld: means, sds, the difference, df stay.
        for (const char* figure : {"t", "p", "ci_low", "ci_high"}) {
          paired[name][figure] = nullptr;
          sup.Add(Cat(pointer, "/", figure),
                  "not computable: every difference is the same (sd of the differences 0), so "
                  "t is undefined (R: data are essentially constant)");
        }
      }
      if (!t->wilcoxon_defined) {
        paired[name]["wilcoxon_p"] = nullptr;
        paired[name]["wilcoxon_exact"] = nullptr;
        sup.Add(pointer + "/wilcoxon_p", "not computable: every difference is zero (R: NaN)");
      }
    }
  }
  r["paired_tests"] = paired;

  // Correlations on the conviction set, complete cases.
  const std::vector<std::string> vars = {"convictions_quarter_after",
                                         "convictions_year_after",
                                         "convictions_quarter_before",
                                         "convictions_year_before",
                                         "age",
                                         "times_discussed",
                                         "plan",
                                         "life_domains_capped"};
  std::vector<std::vector<double>> columns(vars.size());
  for (const SubjectVariables* s : AnalysisSubjects(cohort, vars)) {
    for (size_t k = 0; k < vars.size(); ++k) columns[k].push_back(AnalysisValue(*s, vars[k]));
  }
  json corr = {{"variables", vars}, {"n", columns[0].size()}};
  if (static_cast<int>(columns[0].size()) < study.min_cell) {
    corr["r"] = nullptr;
    corr["p"] = nullptr;
    sup.Add("/correlations/r", sup.TooFew(static_cast<int64_t>(columns[0].size())));
    sup.Add("/correlations/p", sup.TooFew(static_cast<int64_t>(columns[0].size())));
  } else {
    // A constant variable correlates with nothing, itself included (R: NA, sd zero).
    std::vector<bool> constant(vars.size());
    for (size_t a = 0; a < vars.size(); ++a) {
      constant[a] = std::all_of(columns[a].begin(), columns[a].end(),
                                [&](double v) { return v == columns[a][0]; });
    }
    // Red team 18, C1: two case attributes correlated over the conviction set are figures of
    // the case file restricted to that set, under no rule: an added case discussed 16 times
    // moved them by 4 to 5 sd, and 24 of 24 read right whether that person was ever convicted.
    // They are withheld (the case file gives them over the cohort), and an attribute one
    // person's value carries over the cohort (their leverage in [1, attribute] at the policy's
    // bound) is withheld with every count, whether or not they are in the set.
    //
    // An attribute whose variance few of the cohort carry (participation ratio under half of
    // min_cell) is withheld with the counts as for the models. One that few of the set's
    // subjects hold another value of than the set's most common (under a quarter of min_cell),
    // none included, is withheld with one reason: "not computable, constant" over the set but
    // not the cohort told that none of a group with another value was in the set. A count of
    // people: one person moves it by one, outlier or not.
    std::vector<bool> attribute(vars.size()), carried(vars.size(), false),
        few_in_cohort(vars.size(), false), few_in_set(vars.size(), false);
    for (size_t a = 0; a < vars.size(); ++a) {
      attribute[a] = !PoliceCountVariable(vars[a]);
      if (!attribute[a]) {
        // A police count few of the set hold another value of (constant included) would give
        // each one's count: one reason, none or a few.
        few_in_set[a] = Differing(columns[a]) < study.min_cell;
        constant[a] = false;
        continue;
      }
      const std::vector<const SubjectVariables*> all = AnalysisSubjects(cohort, {vars[a]});
      Eigen::MatrixXd xa(static_cast<Eigen::Index>(all.size()), 2);
      for (Eigen::Index i = 0; i < xa.rows(); ++i) {
        xa(i, 0) = 1;
        xa(i, 1) = AnalysisValue(*all[static_cast<size_t>(i)], vars[a]);
      }
      // Constant over the cohort: "not computable" below, decided on the case file alone.
      if ((xa.col(1).array() == xa(0, 1)).all()) continue;
      carried[a] = DesignLeverage(xa).maxCoeff() >= study.max_leverage;
      few_in_cohort[a] = ParticipationRatio(Unexplained(xa, 1)) < study.min_cell / 2.0;
      few_in_set[a] = FewDiffer(columns[a], study.min_cell);
      constant[a] = false;
    }
    json rm = json::array(), pm = json::array();
    for (size_t a = 0; a < vars.size(); ++a) {
      json rr = json::array(), pr = json::array();
      for (size_t b = 0; b < vars.size(); ++b) {
        if (a != b && attribute[a] && attribute[b]) {
          rr.push_back(nullptr);
          pr.push_back(nullptr);
          if (a < b)
            sup.Add(Cat("/correlations/r/", a, "/", b),
                    "two case attributes: over the linked subjects they would tell who is linked "
                    "(the case file gives them over the cohort)");
          continue;
        }
        if (a != b && (carried[a] || carried[b])) {
          rr.push_back(nullptr);
          pr.push_back(nullptr);
          if (a < b)
            sup.Add(Cat("/correlations/r/", a, "/", b),
                    Cat("one subject's ", vars[carried[a] ? a : b],
                        " carries its variance over the cohort (leverage at the policy's "
                        "bound), whether or not they are in the set"));
          continue;
        }
        if (a != b && (few_in_cohort[a] || few_in_cohort[b])) {
          rr.push_back(nullptr);
          pr.push_back(nullptr);
          if (a < b)
            sup.Add(Cat("/correlations/r/", a, "/", b),
                    Cat(vars[few_in_cohort[a] ? a : b],
                        " varies on too few subjects of the cohort (by its participation ratio, "
                        "fewer than half of min_cell), whether or not they are in the set"));
          continue;
        }
        if (few_in_set[a] || few_in_set[b]) {
          rr.push_back(nullptr);
          pr.push_back(nullptr);
          if (a <= b)
            sup.Add(Cat("/correlations/r/", a, "/", b),
                    attribute[few_in_set[a] ? a : b]
                        ? Cat(vars[few_in_set[a] ? a : b],
                              ": too few of the set's subjects hold another value than its most "
                              "common (fewer than a quarter of min_cell; none counts as too few)")
                        : Cat(vars[few_in_set[a] ? a : b], ": ",
                              FewHoldAnotherCountReason(study.min_cell)));
          continue;
        }
        if (constant[a] || constant[b]) {
          rr.push_back(nullptr);
          pr.push_back(nullptr);
          if (a <= b)
            sup.Add(Cat("/correlations/r/", a, "/", b),
                    Cat("not computable: ", vars[constant[a] ? a : b],
                        " is constant (no variance), so r is undefined (R: NA)"));
          continue;
        }
        if (a == b) {
          rr.push_back(1.0);
          pr.push_back(nullptr);
          continue;
        }
        absl::StatusOr<Correlation> c = Pearson(columns[a], columns[b]);
        if (c.ok()) {
          rr.push_back(c->r);
          pr.push_back(c->p);
        } else {
          rr.push_back(nullptr);
          pr.push_back(nullptr);
          if (a < b)
            sup.Add(Cat("/correlations/r/", a, "/", b),
                    Cat("not computable: ", c.status().message()));
        }
      }
      rm.push_back(rr);
      pm.push_back(pr);
    }
    corr["r"] = rm;
    corr["p"] = pm;
  }
  r["correlations"] = corr;
  const CohortDesign design = CohortDesignOf(study, cohort);
  r["regression"] =
      RegressionFor(study, cohort, design, Dispersion::kMaximumLikelihood, "/regression", sup);
  r["regression_fixed_alpha"] =
      RegressionFor(study, cohort, design, Dispersion::kFixedAlpha, "/regression_fixed_alpha", sup);
  r["suppressed"] = sup.pointers();
  r["suppressed_reasons"] = sup.reasons();
  RoundFigures(r);
  return r;
}

}  // namespace pprl
