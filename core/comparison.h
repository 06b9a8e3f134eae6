// A matched comparison group and difference-in-differences (beyond the reference study).
//
// People are referred because their offending just rose, so their counts fall afterwards even
// if the discussion did nothing (regression to the mean). For each cohort subject the analysis
// draws k subjects with police records only (never discussed), with the same 5-year birth band
// and gender (where both have one) and the closest prior-quarter and prior-year counts at a pseudo
// reference date equal to the cohort subject's, with replacement. It reports the balance, the two
// groups' before/after means and trajectories, and difference-in-differences with a seeded
// cluster bootstrap over matched sets and a negative binomial group x period model with
// cluster-robust standard errors.
//
// Pure and deterministic for a given seed; pseudonymous histories in, aggregates out.
#ifndef PPRL_CORE_COMPARISON_H_
#define PPRL_CORE_COMPARISON_H_

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cohort_variables.h"
#include "core/study.h"
#include "core/study_report.h"

namespace pprl {

// One subject's police history as a study counts it (incidents filtered by category and role).
struct PersonHistory {
  std::string subject_id;
  char gender = 'o';
  int birth_band = 0;                // 0: unknown
  std::vector<int32_t> incidents;    // days, sorted
  std::vector<int32_t> convictions;  // days, sorted
};

// The history of `subject` under `study`'s incident filter. The gender and birth band come
// from the police records; when those lack them, from the subject's first case (gender, and
// the band of the birth year its age implies).
PersonHistory HistoryOf(const CohortSubjectIn& subject, const Study& study,
                        const CaseAttributes* first_case = nullptr, int32_t reference_day = 0);

// The four matching counts at a reference day: incidents and convictions in the quarter and
// the year before (half-open calendar-month windows, as CountWindows).
struct PriorCounts {
  int incidents_quarter = 0, incidents_year = 0, convictions_quarter = 0, convictions_year = 0;
};
PriorCounts PriorCountsAt(const PersonHistory& h, int32_t reference_day);

struct MatchedSet {
  size_t treated = 0;            // index into the treated list
  std::vector<size_t> controls;  // indices into the pool, nearest first
};
struct Matching {
  std::vector<MatchedSet> sets;  // one per treated subject with at least one control
  int64_t unmatched = 0;         // treated subjects with no candidate within the calipers
  int64_t fewer_than_k = 0;      // matched with fewer than k controls
};

struct Treated {
  PersonHistory history;
  int32_t reference_day = 0;
};

// Exact on birth band, and on gender where both the cohort subject and the pool subject have
// one (police exports may carry no gender); within the calipers on all four prior counts;
// nearest by the sum of the four absolute differences, each divided by that count's standard
// deviation among the treated (at least 0.5); ties broken by a keyed hash of the seed and the
// subject ids, so the result does not depend on input order.
Matching MatchComparison(const std::vector<Treated>& treated,
                         const std::vector<PersonHistory>& pool, const ComparisonSettings& s);

// Standardised mean difference: (mean_a - mean_b) / sqrt((var_a + var_b) / 2), with weights
// for b. NaN when both variances are zero and the means differ; 0 when they are equal.
double StandardisedMeanDifference(const std::vector<double>& a, const std::vector<double>& b,
                                  const std::vector<double>& b_weights);

// The `comparison` section of report.json, disclosure-controlled with study.min_cell; every
// suppressed figure is null and its pointer and reason are appended to `suppressed`.
// `matched_ids` receives the matched cohort subjects and `control_ids` the distinct controls
// (sorted), for the differencing check.
struct ComparisonOutput {
  nlohmann::json section;
  std::vector<std::pair<std::string, std::string>> suppressed;  // pointer, reason
  std::vector<std::string> matched_ids;
  std::vector<std::string> control_ids;
};
// When CheckDifferencing refuses the matched subjects (family "incident_set") against
// `released` (typically when a few found no match, so the matched subjects are the incident
// set but for a few), further matched subjects drawn by the seed are withheld until it does
// not; their number is reported. `released` is the report's own sets (AnalyzeStudy): the
// number withheld then follows from this cohort's data alone, never from which linked sets were
// released before (issue 12); those are the release budget's statistic differencing.
// `cohort_without_gender`: a case of the cohort, linked or not, records no gender (the note
// on missing genders is then given whoever is linked).
ComparisonOutput BuildComparison(const Study& study, const std::vector<Treated>& treated,
                                 const std::vector<PersonHistory>& pool,
                                 const std::vector<SubjectSet>& released = {},
                                 bool cohort_without_gender = false);

// Adds report["comparison"] (null when the study turns it off) for the cohort subjects in the
// incident set, with `pool` (subjects never discussed) to draw from, and appends its
// suppressions to report["suppressed"] / ["suppressed_reasons"]. `subjects` is what the cohort
// was built from. Matched subjects are withheld as BuildComparison says; when the distinct
// controls differ from a set in `released` (the report's own sets, AnalyzeStudy) by 1 to
// min_cell - 1 subjects, the whole section is null (differencing). Returns
// the subject sets the section releases figures about (none when it is null).
std::vector<SubjectSet> AddComparisonToReport(const Study& study,
                                              const std::vector<SubjectVariables>& cohort,
                                              const std::vector<CohortSubjectIn>& subjects,
                                              const std::vector<CohortSubjectIn>& pool,
                                              const std::vector<SubjectSet>& released,
                                              nlohmann::json* report);

// One matched set's changes (after - before) of one outcome, with the matching counts
// (PriorCounts, in order) of the treated subject and of each control at the reference date.
struct SetChanges {
  double treated_change = 0;
  std::array<double, 4> treated_x{};
  std::vector<double> control_change;
  std::vector<std::array<double, 4>> control_x;
};

// Bias-corrected difference-in-differences (as Abadie and Imbens correct matching estimators):
// the mean over sets of the treated change minus the mean of the controls' changes, each
// control's change adjusted by b'(x_treated - x_control), where b comes from least squares of
// the controls' changes on their matching counts (each set weighing one, shared among its
// controls). Matching is never exact on counts; the correction removes what the remaining
// differences in prior counts would add through regression to the mean. `multiplicity` says
// how often each set counts (a bootstrap draw); empty: once each.
double BiasCorrectedDid(const std::vector<SetChanges>& sets,
                        const std::vector<int>& multiplicity = {});

struct Interval {
  double low = 0, high = 0;
};
// Percentile interval of BiasCorrectedDid over `replicates` cluster bootstrap draws of whole
// matched sets (the correction refitted in each draw); seeded, so reproducible.
Interval BootstrapDid(const std::vector<SetChanges>& sets, int replicates, uint64_t seed);

}  // namespace pprl

#endif  // PPRL_CORE_COMPARISON_H_
