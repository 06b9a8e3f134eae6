#include "core/study_analysis.h"

#include "core/comparison.h"
#include "core/study_report.h"

namespace pprl {

absl::StatusOr<StudyResult> AnalyzeStudy(const Study& study,
                                         const std::vector<CohortSubjectIn>& subjects,
                                         const std::vector<CohortSubjectIn>& pool,
                                         const nlohmann::json& linkage,
                                         const std::vector<SubjectSet>& released) {
  const std::vector<SubjectVariables> cohort = BuildCohort(subjects, study);
  StudyResult result;
  result.cohort_n = static_cast<int64_t>(cohort.size());
  result.released_sets = ReleasedSets(cohort);
  for (const SubjectSet& set : result.released_sets) {
    absl::Status d = CheckDifferencing(set, released, study.min_cell);
    if (!d.ok()) return d;
  }
  absl::StatusOr<nlohmann::json> report = BuildStudyReport(study, cohort, linkage);
  if (!report.ok()) return report.status();
  result.report = std::move(*report);
  std::vector<SubjectSet> known = released;
  known.insert(known.end(), result.released_sets.begin(), result.released_sets.end());
  for (SubjectSet& set :
       AddComparisonToReport(study, cohort, subjects, pool, known, &result.report)) {
    result.released_sets.push_back(std::move(set));
  }
  return result;
}

}  // namespace pprl
