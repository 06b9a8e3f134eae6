// The cohort and its variables (SPEC section 5): which subjects are in the cohort, their
// reference date, event counts in calendar-month windows, and case attributes.
//
// Windows are half-open: quarter before [t-3m, t), year before [t-12m, t), quarter after
// [t, t+3m), year after [t, t+12m); month arithmetic clamps to the month's end. PSEUDONYMS only
// (subject ids, dates of events, attributes). Pure, thread-safe.
#ifndef PPRL_CORE_COHORT_VARIABLES_H_
#define PPRL_CORE_COHORT_VARIABLES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/pseudonymous_record.h"
#include "core/study.h"

namespace pprl {

struct CohortEventIn {
  int32_t day = 0;
  std::string category;  // incidents only
  std::string role;      // incidents only
};
struct CohortCaseIn {
  int32_t first_discussed_day = 0;
  CaseAttributes attributes;
};
struct CohortSubjectIn {
  std::string subject_id;
  char gender = 'o';   // from the police records; 'o' unknown
  int birth_band = 0;  // likewise (PersonAttributes); 0 unknown
  std::vector<CohortCaseIn> cases;
  std::vector<CohortEventIn> incidents;
  std::vector<CohortEventIn> convictions;
};

// Whether `study` counts incident `e` (its category is not excluded, its role is selected).
bool StudyCountsIncident(const Study& study, const CohortEventIn& e);

struct WindowCounts {
  int quarter_before = 0, year_before = 0, quarter_after = 0, year_after = 0;
};
// Counts of `days` in the four windows around `reference`.
WindowCounts CountWindows(const std::vector<int32_t>& days, Date reference);

struct SubjectVariables {
  std::string subject_id;
  int32_t reference_day = 0;
  char gender = 'o';
  bool in_incident_set = false;
  bool in_conviction_set = false;
  // By variable name (StudyVariableNames()); absent when missing for this subject.
  std::map<std::string, double> values;
};

// The police data's coverage (the linker's, over every stored record): per kind the first and
// last event day, both inclusive; absent when the kind has no records.
struct DayRange {
  int32_t first = 0, last = 0;
};
struct PoliceCoverage {
  std::optional<DayRange> incidents, convictions;
};
// The whole calendar months that both kinds cover (a kind without records sets no limit):
// the later first day rounded up to a month's first, the earlier last day rounded down to a
// month's end. `last` < `first` when no whole month is covered; nullopt without coverage.
struct CoveredMonths {
  Date first, last;
};
std::optional<CoveredMonths> CoveredWholeMonths(const PoliceCoverage& coverage);
// `study` with its first_discussed range narrowed so that every window of SPEC section 5
// ([t-12m, t+12m) and those inside it) lies within `months`: t-12m >= first and
// t+12m <= last + 1 day (month arithmetic as CountWindows). An empty range is possible.
Study StudyWithinCoverage(const Study& study, const CoveredMonths& months);
// The same with the coverage itself; `study` unchanged without coverage.
Study StudyWithinCoverage(const Study& study, const PoliceCoverage& coverage);

// The cohort of `study` among `subjects`, in the input order.
std::vector<SubjectVariables> BuildCohort(const std::vector<CohortSubjectIn>& subjects,
                                          const Study& study);

}  // namespace pprl

#endif  // PPRL_CORE_COHORT_VARIABLES_H_
