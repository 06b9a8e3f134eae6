// The release budget: the model-output channel closed as a class (issue 12).
//
// Every released statistic that depends on subjects' police counts (a mean, a standard
// deviation, a correlation, each regression coefficient through its score equation
// sum_i x_ik (y_i - mu_i) / (1 + mu_i / theta) = 0, theta, a log-likelihood, a comparison
// estimate, ...) is one equation in the unknown counts of the subjects it is computed over.
// An analyst who knows the covariates (the case file) and collects enough such equations
// about a group can solve them for each person's count. The budget counts the equations:
//
//   For the incident counts and, separately, the conviction counts, every group of releases
//   must leave at least `min_residual_df` degrees of freedom: for every collection J of
//   released statistic groups (a group: the statistics released about one exact subject set),
//   the number of distinct statistics in J is at most |subjects J covers| - min_residual_df.
//
// Why this suffices: stack the released equations as rows of a matrix A over the subjects'
// unknown counts; a subject's count is determined exactly when its unit vector lies in A's
// row space. For equations whose weights are in general position (regression scores,
// correlations), that happens only when every maximum matching of equations to subjects
// (each equation to a subject of its set) uses that subject; the condition above is Hall's
// condition with a surplus of min_residual_df, under which every subject can be left out of
// some complete matching, so no subject is determined and at least min_residual_df
// directions of the count vector stay free. Plain sums over sets (means), whose weights are
// not in general position, are in addition checked by CheckDifferencing (atoms of set
// membership). A statistic released again about the same set with the same definition is the
// same equation and costs nothing: an identical study can be rerun for ever.
//
// The check runs as max-flows (Hall's condition with surplus r holds iff, for every group g,
// the flow network with g's capacity raised by r saturates), on atoms of set membership, and
// only for the groups a candidate release changes (the history passed it before).
// Pure, thread-safe.
#ifndef PPRL_CORE_DISCLOSURE_BUDGET_H_
#define PPRL_CORE_DISCLOSURE_BUDGET_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/cohort_variables.h"
#include "core/study.h"
#include "core/study_report.h"

namespace pprl {

// The sources of unknowns: a statistic key starts with one of them and '|'.
inline constexpr const char* kBudgetSources[] = {"incidents", "convictions"};

// Refuses (FailedPrecondition) when `candidate` (sets with statistics) together with
// `released` would break the budget for a source. The message says how many statistics
// about how many subjects.
[[nodiscard]] absl::Status CheckReleaseBudget(const std::vector<SubjectSet>& candidate,
                                              const std::vector<SubjectSet>& released,
                                              int min_residual_df);

// Refuses (FailedPrecondition) when a group of `candidate` holding a model or correlation
// (its coefficients' weights are smooth functions of a few covariates, so models over two
// sets that differ by a few subjects combine, nearly exactly, into equations about those few)
// differs by 1 to min_cell - 1 subjects from another such group, released before or in the
// candidate, about the same counts. (Found by the attack test: models of a cohort with and
// without its three subjects lacking case attributes gave those three a leverage of 0.9999.)
[[nodiscard]] absl::Status CheckModelSets(const std::vector<SubjectSet>& candidate,
                                          const std::vector<SubjectSet>& released, int min_cell);

// The statistics `report` (after disclosure control: null figures release nothing) releases
// about police counts, as sets of family "ledger" keyed by the exact subjects each group is
// computed over. `matched_ids` / `control_ids` / `pool_ids`: the comparison's subject sets
// (empty when its figures are withheld).
std::vector<SubjectSet> ReleasedStatistics(const Study& study,
                                           const std::vector<SubjectVariables>& cohort,
                                           const nlohmann::json& report,
                                           const std::vector<std::string>& matched_ids,
                                           const std::vector<std::string>& control_ids,
                                           const std::vector<std::string>& pool_ids);

}  // namespace pprl

#endif  // PPRL_CORE_DISCLOSURE_BUDGET_H_
