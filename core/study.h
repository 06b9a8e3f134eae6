// A study definition (SPEC section 5): which cases form the cohort, which events count, how
// unlinked subjects are treated, the regression and the disclosure threshold. Parsed from
// TOML by a pure function; the defaults reproduce the reference study.
//
//   name = "reference"
//   [cohort]
//   kaders = ["risicoburger", "jeugd", "hic"]
//   first_discussed_from = "2013-01-01"     # optional, inclusive
//   first_discussed_to = "2013-12-31"       # optional, inclusive
//   unlinked = "exclude"                    # or "zero"
//   [incidents]
//   excluded_categories = ["verkeer", "administratief"]
//   roles = []                              # empty: every role
//   [regression]
//   outcome = "convictions_year_after"
//   predictors = ["convictions_year_before", "age", "times_discussed", "plan",
//   "life_domains_capped"] interactions = [["convictions_year_before", "plan"]] [disclosure]
//   min_cell = 10
//   [comparison]
//   enabled = true
//   k = 3
//   caliper_quarter = 2
//   caliper_year = 4
//   seed = 2015
//   bootstrap_replicates = 1000
#ifndef PPRL_CORE_STUDY_H_
#define PPRL_CORE_STUDY_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dates.h"

namespace pprl {

// [comparison]: a matched comparison group of subjects never discussed (core/comparison.h).
struct ComparisonSettings {
  bool enabled = true;
  int k = 3;                // controls per cohort subject, drawn with replacement
  int caliper_quarter = 2;  // largest difference in prior-quarter incidents / convictions
  int caliper_year = 4;     // largest difference in prior-year incidents / convictions
  uint64_t seed = 2015;     // tie-breaking and the bootstrap
  int bootstrap_replicates = 1000;
};

struct Study {
  std::string name = "reference";
  std::vector<std::string> kaders = {"risicoburger", "jeugd", "hic"};
  std::optional<Date> first_discussed_from;
  std::optional<Date> first_discussed_to;
  bool unlinked_as_zero = false;
  std::vector<std::string> excluded_categories = {"verkeer", "administratief"};
  std::vector<std::string> roles;  // empty: every role
  std::string outcome = "convictions_year_after";
  std::vector<std::string> predictors = {"convictions_year_before", "age", "times_discussed",
                                         "plan", "life_domains_capped"};
  std::vector<std::pair<std::string, std::string>> interactions;
  int min_cell = 10;
  int min_residual_df = 10;   // a regression needs n - p at least this (else suppressed)
  int dominance_n = 2;        // a mean or sd of counts is suppressed when the n largest ...
  double dominance_k = 0.9;   // ... hold more than this share of the total (the policy's)
  double max_leverage = 0.5;  // no subject's leverage over released equations above this
  int lattice_margin = 2;     // the policy's (core/disclosure_budget.h, KnownWeightsCost)
  // What the study file asked for ([disclosure]); 0: nothing (the analyzer's policy applies).
  int requested_min_cell = 0;
  int requested_min_residual_df = 0;
  double requested_max_leverage = 0;
  ComparisonSettings comparison;
  // Not from the study file: set by the analyzer from the police data's coverage
  // (StudyWithinCoverage). When present, a case is selected only if its first_discussed day
  // also lies in one of these inclusive ranges (none when empty); the analyst's range above
  // still applies.
  std::optional<std::vector<std::pair<Date, Date>>> covered_first_discussed;
};

// The analyzer's disclosure policy and the limits it puts on a study file. The thresholds are
// the server's: a study may raise them, never lower them (ApplyDisclosurePolicy). Defaults
// follow ACRO's (threshold 10, 10 residual degrees of freedom, dominance n = 2, k = 90%).
struct DisclosurePolicy {
  int min_cell = 10;
  int min_residual_df = 10;
  int dominance_n = 2;       // the n largest contributions ...
  double dominance_k = 0.9;  // ... may hold at most this share of a released total
  // The leverage bound (core/disclosure_budget.h): no subject's leverage over the released
  // equations about their counts above this. 0.5: Huber's (1981) line between risky and
  // to-be-avoided design points; above it a subject's own count outweighs everyone else's in
  // their fitted value (ONS/ESSnet: no near-saturated models).
  double max_leverage = 0.5;
  // Whole-number solving: how far below the Gaussian heuristic's threshold the equations of
  // models with known weights are kept (core/disclosure_budget.h, KnownWeightsCost).
  int lattice_margin = 2;
  // Caps on what one study may ask for (issue 12 item 6).
  int max_name_length = 120;
  int max_list_items = 20;   // kaders, excluded categories, roles
  int max_item_length = 64;  // each of those strings
  int max_predictors = 8;
  int max_interactions = 3;
  int max_bootstrap_replicates = 2000;
  int max_study_bytes = 16384;  // the study file itself
};

// Raises the study's thresholds to the policy's where the file said nothing; refuses
// (InvalidArgument, naming the setting and both values) a study that asks for a lower
// threshold or more than a cap allows.
[[nodiscard]] absl::Status ApplyDisclosurePolicy(const DisclosurePolicy& policy, Study* study);

// The policy as JSON (recorded with every release and refusal in the audit log).
nlohmann::json DisclosurePolicyJson(const DisclosurePolicy& policy);

// The normalised study definition (every setting, defaults filled in, thresholds after the
// policy) and its SHA-256: two study files with the same digest ask for the same analysis.
nlohmann::json NormalisedStudy(const Study& study);
std::string StudyDigest(const Study& study);

// The variables a study may use as outcome or predictor.
const std::vector<std::string>& StudyVariableNames();
// A window count of incidents or convictions (police data); the other variables are case
// attributes (the case file's).
bool PoliceCountVariable(std::string_view name);

// Parses and validates; errors name the key and, for syntax, the line.
[[nodiscard]] absl::StatusOr<Study> ParseStudy(std::string_view toml_text);

}  // namespace pprl

#endif  // PPRL_CORE_STUDY_H_
