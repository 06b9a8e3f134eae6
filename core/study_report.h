// The analysis of a study and its report (SPEC sections 5 and 6), behind disclosure control:
// no figure about fewer than min_cell subjects; a min or max only where at least min_cell
// subjects share it; a cohort that differs from an earlier released one by 1 to min_cell - 1
// subjects is refused. Everything suppressed is null in the report, with its JSON Pointer in
// "suppressed" and the reason beside it in "suppressed_reasons".
//
// Aggregates only leave here; the input is pseudonymous. Pure, thread-safe.
#ifndef PPRL_CORE_STUDY_REPORT_H_
#define PPRL_CORE_STUDY_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cohort_variables.h"
#include "core/study.h"

namespace pprl {

// Refuses `candidate` (sorted subject ids) when it differs from a released set by 1 to
// min_cell - 1 subjects; the same set again is allowed.
[[nodiscard]] absl::Status CheckDifferencing(const std::vector<std::string>& candidate,
                                             const std::vector<std::vector<std::string>>& released,
                                             int min_cell);

// The subject sets a report releases figures about (cohort, incident set, conviction set),
// each sorted: what CheckDifferencing compares.
std::vector<std::vector<std::string>> ReleasedSets(const std::vector<SubjectVariables>& cohort);

// The whole report.json. `linkage` is the linker's report (counts). Refuses a cohort smaller
// than min_cell.
[[nodiscard]] absl::StatusOr<nlohmann::json> BuildStudyReport(
    const Study& study, const std::vector<SubjectVariables>& cohort, const nlohmann::json& linkage);

}  // namespace pprl

#endif  // PPRL_CORE_STUDY_REPORT_H_
