// The whole analysis of a study, as the analyzer runs it: the cohort (SPEC section 5), the
// differencing check, the report (SPEC section 6), the matched comparison and the release
// budget (core/disclosure_budget.h). Pure: the analyzer adds the wire, the audit log and the
// memory of released sets around it.
#ifndef PPRL_CORE_STUDY_ANALYSIS_H_
#define PPRL_CORE_STUDY_ANALYSIS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cohort_variables.h"
#include "core/study.h"
#include "core/study_report.h"

namespace pprl {

struct StudyResult {
  nlohmann::json report;
  int64_t cohort_n = 0;
  // The subject sets the report releases figures about (sorted ids), and the statistics it
  // releases about them (sets of family "ledger"): to be remembered.
  std::vector<SubjectSet> released_sets;
  // For the release's audit entry (the auditor's, issue 12: every refusal and withholding is in
  // the audit log with its reason): one object per withheld figure of the report, {"pointer",
  // "reason" (the text the analyst reads), "rule"} and, where the decision depends on police
  // data, "detail" (the counts behind it, as RefusalDetail; never in the report).
  nlohmann::json withheld = nlohmann::json::array();
  // How many people's police inputs were those of an earlier release (RestorePoliceInputs):
  // the auditor's, never the analyst's (that it happened is what it must not tell).
  int police_inputs_restored = 0;
};

// `subjects`: those holding a case; `pool`: those never discussed (may be empty when the
// study has no comparison); `released`: sets released before. The report's `linkage` section
// is about the study's cohort only (linker-wide figures are the auditor's), under disclosure
// control. `inputs_key`: the analyzer's secret for the per-subject input tags (InputsSets).
// Refuses (FailedPrecondition) a cohort below min_cell, one differing from a
// released set by 1 to min_cell - 1 subjects, and a release that would break the budget.
// `coverage`: the police data's (the linker's); cases whose windows touch a month it does not
// cover are left out (StudyWithinCoverage: the reference days allowed are a union of ranges),
// with a note in /cohort/notes.
[[nodiscard]] absl::StatusOr<StudyResult> AnalyzeStudy(const Study& study,
                                                       const std::vector<CohortSubjectIn>& subjects,
                                                       const std::vector<CohortSubjectIn>& pool,
                                                       const std::vector<SubjectSet>& released,
                                                       std::string_view inputs_key = "",
                                                       const PoliceCoverage& coverage = {});

}  // namespace pprl

#endif  // PPRL_CORE_STUDY_ANALYSIS_H_
