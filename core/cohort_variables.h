// The cohort and its variables (SPEC section 5): which subjects are in the cohort, their
// reference date, event counts in calendar-month windows, and case attributes.
//
// Windows are half-open: quarter before [t-3m, t), year before [t-12m, t), quarter after
// [t, t+3m), year after [t, t+12m); month arithmetic clamps to the month's end. PSEUDONYMS only
// (subject ids, dates of events, attributes). Pure, thread-safe.
#ifndef PPRL_CORE_COHORT_VARIABLES_H_
#define PPRL_CORE_COHORT_VARIABLES_H_

#include <array>
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
  // The linker's digest of the case record's keyed identity (LinkageSnapshot::case_identity):
  // changed when the case file changed the person's identifying fields.
  std::string identity = {};
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
  // Any record of the kind (in "exclude" mode the same as the set membership; in "zero" mode
  // every subject is in the sets, and these say who the police or the courts know).
  bool linked_incidents = false;
  bool linked_convictions = false;
  // By variable name (StudyVariableNames()); absent when missing for this subject.
  std::map<std::string, double> values;
  // The case attributes `values` lacks, filled with the median of the cohort's known values
  // (BuildCohort), for models and correlations only (AnalysisValue): leaving such a subject out
  // of a model over its set made the model's n beside the set's tell whether that one person
  // is linked (red team 15, A1). Descriptives read `values` alone.
  std::map<std::string, double> filled;
  // What the study reads from police data, whole: the counted events (incidents under the
  // study's filter; convictions) in each quarter from a year before the reference day to a year
  // after, [t + 3(q - 4) months, t + 3(q - 3) months) for q = 0..7; zero for a kind without a
  // linked record. The window counts in `values` are sums of these (SetPoliceCounts), and the
  // comparison's treated histories are read from them, so a release's police inputs can be
  // remembered and given again whole (the analyzer's police-update rule, core/study_analysis.cc).
  std::array<int32_t, 8> incident_quarters{}, conviction_quarters{};
};

// `variable` of `s` for a model or the correlations: its value, or the cohort's median when the
// case file lacks it (SubjectVariables::filled). Only for variables AnalysisSubjects kept `s` for.
double AnalysisValue(const SubjectVariables& s, const std::string& variable);

// Sets `v`'s police part: the linked flags, the set memberships (`study`'s mode), the quarters
// and the eight window counts derived from them (present for a kind in the person's set).
void SetPoliceCounts(SubjectVariables& v, bool linked_incidents, bool linked_convictions,
                     const std::array<int32_t, 8>& incident_quarters,
                     const std::array<int32_t, 8>& conviction_quarters, const Study& study);
// The counts of `days` in the eight quarters around `reference` (SubjectVariables).
std::array<int32_t, 8> CountQuarters(const std::vector<int32_t>& days, Date reference);

// The police data's coverage (the linker's, over every stored record), per kind: the first
// and last event day, both inclusive, and the months holding at least one record (MonthIndex,
// ascending, each once; empty from a linker older than the months). A kind without records
// has neither.
struct DayRange {
  int32_t first = 0, last = 0;
};
struct PoliceCoverage {
  std::optional<DayRange> incidents, convictions;
  std::vector<int32_t> incident_months, conviction_months;
};
// A month as one number: year * 12 + month - 1.
int32_t MonthIndex(const Date& d);
inline int32_t MonthIndexOfDay(int32_t day) { return MonthIndex(DateFromDays(day)); }
// The first day of month `month` (MonthIndex).
Date MonthStart(int32_t month);
// A stretch of whole covered months, first and last inclusive (MonthIndex).
struct MonthStretch {
  int32_t first = 0, last = 0;
  bool operator==(const MonthStretch&) const = default;
};
// A run of at most this many consecutive months without records between months with records
// of a kind is taken as covered (a small site can have a month without convictions).
inline constexpr int kBridgedEmptyMonths = 2;
// One kind's covered stretches from its months with records (ascending, each once): runs of
// at most kBridgedEmptyMonths empty months are bridged; the first and last month of each
// stretch count whole.
std::vector<MonthStretch> StretchesOfMonths(const std::vector<int32_t>& months);
// The stretches of months both kinds cover (a kind without records sets no limit); nullopt
// when neither kind has records. A kind without months (an older linker) covers the whole
// months inside its first and last day (a first day that is not the 1st moves to the next
// month, a last day that is not the month's end to the previous month).
std::optional<std::vector<MonthStretch>> CoveredStretches(const PoliceCoverage& coverage);
// The reference days whose windows of SPEC section 5 ([t-12m, t+12m) and those inside it)
// touch only months of one stretch: for a stretch [m1, m2], t from the 1st of month m1 + 12
// to the 1st of month m2 - 11, both inclusive (month arithmetic as CountWindows). A stretch of
// fewer than 24 months gives none.
std::vector<std::pair<Date, Date>> AllowedReferenceDays(const std::vector<MonthStretch>& stretches);
// `study` with its cases limited to those whose first discussion lies in
// AllowedReferenceDays (Study::covered_first_discussed); its own range is kept.
Study StudyWithinCoverage(const Study& study, const std::vector<MonthStretch>& stretches);
// The same with the coverage itself; `study` unchanged without coverage.
Study StudyWithinCoverage(const Study& study, const PoliceCoverage& coverage);
// Whether `study` selects case `c`: its kader, the study's first_discussed range and the
// coverage's ranges (covered_first_discussed).
bool StudySelectsCase(const Study& study, const CohortCaseIn& c);

// The cohort of `study` among `subjects`, in the input order.
std::vector<SubjectVariables> BuildCohort(const std::vector<CohortSubjectIn>& subjects,
                                          const Study& study);

}  // namespace pprl

#endif  // PPRL_CORE_COHORT_VARIABLES_H_
