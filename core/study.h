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
  ComparisonSettings comparison;
};

// The variables a study may use as outcome or predictor.
const std::vector<std::string>& StudyVariableNames();

// Parses and validates; errors name the key and, for syntax, the line.
[[nodiscard]] absl::StatusOr<Study> ParseStudy(std::string_view toml_text);

}  // namespace pprl

#endif  // PPRL_CORE_STUDY_H_
