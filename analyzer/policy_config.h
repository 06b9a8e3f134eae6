// The analyzer's disclosure policy from its config file ([disclosure], every key optional):
//
//   [disclosure]
//   min_cell = 10                 # no figure about fewer subjects; a study may only raise it
//   min_residual_df = 10          # regressions: n - p at least this; the release budget's margin
//   dominance_n = 2               # a mean of counts is suppressed when the n largest ...
//   dominance_k = 0.9             # ... hold more than this share of the total
//   max_leverage = 0.5            # no subject's leverage over released equations above this
//   lattice_margin = 2            # models with known weights: half the lattice threshold
//   max_name_length = 120         # caps on what a study file may ask for
//   max_list_items = 20
//   max_item_length = 64
//   max_predictors = 8
//   max_interactions = 3
//   max_bootstrap_replicates = 2000
//   max_study_bytes = 16384
#ifndef PPRL_ANALYZER_POLICY_CONFIG_H_
#define PPRL_ANALYZER_POLICY_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "core/study.h"

namespace pprl {

// Reads [disclosure] of the TOML file at `path` into *policy (keys absent keep their values).
// Errors name the file, the key and the allowed range; an unknown key is an error.
[[nodiscard]] absl::Status LoadDisclosurePolicy(const std::string& path, DisclosurePolicy* policy);

// Checks the values' ranges (for flags too); `origin` names where they came from.
[[nodiscard]] absl::Status ValidateDisclosurePolicy(const DisclosurePolicy& policy,
                                                    const std::string& origin);

}  // namespace pprl

#endif  // PPRL_ANALYZER_POLICY_CONFIG_H_
