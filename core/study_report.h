// The analysis of a study and its report (SPEC sections 5 and 6), behind disclosure control:
// no figure about fewer than min_cell subjects; a min or max only where at least min_cell
// subjects share it; a cohort that differs from an earlier released one by 1 to min_cell - 1
// subjects, or that would let released sets be combined to single out fewer than min_cell,
// is refused. Everything suppressed is null in the report, with its JSON Pointer in
// "suppressed" and the reason beside it in "suppressed_reasons".
//
// Aggregates only leave here; the input is pseudonymous. Pure, thread-safe.
#ifndef PPRL_CORE_STUDY_REPORT_H_
#define PPRL_CORE_STUDY_REPORT_H_

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cohort_variables.h"
#include "core/study.h"

namespace pprl {

// A set of subjects a report releases figures about, with the family of figures: "cohort"
// (attributes), "incident_set" (incident counts: the incident set, the matched subjects),
// "conviction_set", "comparison" (the comparison group). Ids sorted.
// `statistics`: for the release budget (core/disclosure_budget.h), the statistics released
// about these subjects' police counts, one key each ("source|context|statistic").
struct SubjectSet {
  std::string family;
  std::vector<std::string> ids;
  std::vector<std::string> statistics;
  // ledger: for a statistic whose equation is not a plain sum over `ids`, its row: one weight
  // per subject of `ids` (same order), scaled to a largest |weight| of 1 (core/
  // disclosure_budget.h, the leverage bound). Statistics without a row here are sums
  // (indicator rows) or not linear in the counts.
  std::map<std::string, std::vector<float>> rows = {};
};

// Differencing control. Refuses `candidate` when
//  - it differs from a released set of its family by 1 to min_cell - 1 subjects (two
//    releases compared; sets of other families carry other figures);
//  - or, together with the released sets of its family (each of min_cell or more; smaller
//    ones have their figures suppressed), some combination of sums over the sets would give
//    the total of 1 to min_cell - 1 subjects that no combination gave before. With
//    A = X + Y + {p}, B = X and C = Y, A - B - C is one person although every pair differs
//    by min_cell or more. The check is for sums (hence means and variances): it splits the
//    sets into atoms (subjects in exactly the same sets) and refuses when the candidate adds
//    to the combinations of small atoms' totals (vectors supported on atoms of fewer than
//    min_cell subjects in the row space of the set-by-atom membership matrix). That is safe
//    for any number of releases, and errs on refusing when only a combination of several
//    small atoms (together min_cell or more) would become known.
// The same set again is allowed; a candidate of fewer than min_cell subjects (whose figures
// are suppressed anyway) is checked pairwise only.
// Families "inputs" and "police_inputs" hold versioned ids ("subject:tag", InputsSets): a
// person whose data changed between two releases is two members, so a rerun of a set whose
// inputs changed for 1 to min_cell - 1 of its people differs from the released one by so many.
// The refusal the analyst reads names no count and no set (RefusalDetail: the auditor's).
[[nodiscard]] absl::Status CheckDifferencing(const SubjectSet& candidate,
                                             const std::vector<SubjectSet>& released, int min_cell);

// The subject sets a report releases figures about (cohort, incident set, conviction set),
// each sorted: what CheckDifferencing compares.
std::vector<SubjectSet> ReleasedSets(const std::vector<SubjectVariables>& cohort);

// Refusals: the message (the analyst's) carries no number or set name derived from police data;
// `detail` (the audit entry's, the auditor's) may. `data_dependent`: the decision itself
// depends on police data (not only on the case file the analyst knows): the analyzer then
// records the refused cohort as if released, so a neighbouring probe is refused by the
// (case-determined) cohort differencing and the decision cannot be stepped through.
[[nodiscard]] absl::Status Refusal(std::string_view message, std::string_view detail,
                                   bool data_dependent);
// The auditor's detail of a refusal (its message when it has none).
std::string RefusalDetail(const absl::Status& status);
bool RefusalDependsOnData(const absl::Status& status);

// The cohort's people by subject id (a linked subject keeps its id across link runs), each with a
// tag keyed by `key` (the analyzer's secret: the linker stores these sets, and a per-person digest
// of small counts and known covariates must not be open to a dictionary), in four families:
// - "inputs": what the study reads from the case file, the reference day and the case
//   variables. A rerun where they changed for 1 to min_cell - 1 people is refused
//   (CheckDifferencing), a decision the analyst could have made from the case file.
// - "police_inputs": the figures the study reads from police data (the window counts under its
//   incident filter; counts of a source the person has no record of left out). A police update
//   or another incident filter that changes them for 1 to min_cell - 1 people is NOT refused
//   (red team 8, F3: with fictional fillers beside one person, the refusal said whether that
//   person's records had changed, or held an incident of a category): every figure over the
//   police counts is withheld with the linked-count rule's reason (AnalyzeStudy), which the
//   same people with few linked get anyway.
// - "reference_days": the reference day alone, and
// - "case_identities": who the case file says the person is (the linker's identity digests).
//   The people whose reference day moved or whose identity changed since a release of them are
//   the ones a case-file change can give other police counts: while there are any, every
//   figure over the police counts is withheld (AnalyzeStudy), a decision on the case file alone.
// All sorted.
std::vector<SubjectSet> InputsSets(const Study& study, const std::vector<CohortSubjectIn>& subjects,
                                   const std::vector<SubjectVariables>& cohort,
                                   std::string_view key);

// Who the case file says `subject` is: the linker's digests of their cases' keyed identities
// (CohortCaseIn::identity), each once (an exact copy of a case adds none).
std::set<std::string> CaseIdentities(const CohortSubjectIn& subject);

// Police updates (red team 9, R1, the part left in session 8): the "police_inputs" set carries,
// besides each person's tag, their police inputs themselves (rows named RememberedRows(), one
// value per id: the two linked flags, the reference day, then the eight incident and eight
// conviction quarters of SubjectVariables), named after `study`'s count definition (its incident
// filter). The linker stores them with the release; it holds the records they are counted from
// anyway, and the analyst never reads them.
std::vector<std::string> RememberedRows(const Study& study);

// A rerun whose people's police inputs differ, for 1 to min_cell - 1 of them, from the last
// release that remembers each of them under the same count definition (a police update): those
// people's police part of `cohort` is set back to what that release read (SetPoliceCounts), so
// the rerun's figures are what they would be had nothing changed. Withholding them instead told
// an analyst who believes the others' records stable whether one person's had changed (red
// team 9, R1). Once min_cell or more have changed, everyone's are read fresh (and two releases
// differ by the changes of min_cell or more people). Each person's baseline is chosen on what
// was released, never on their data. A person whose reference day moved is not counted or set
// back (the quarters are counted around it: the case file changed, under its own rules).
// Returns how many were set back; the caller recomputes the tags.
int RestorePoliceInputs(const Study& study, const SubjectSet& candidate,
                        const std::vector<SubjectSet>& released,
                        std::vector<SubjectVariables>* cohort);

// What of a release's `sets` the release record (`released`, in the order stored) lacks: a
// set stored before is not stored again, only its statistics not stored before (the comparison
// pool, the same each time, is large); empty sets are not stored. A police inputs set whose
// people's last remembered inputs (RestorePoliceInputs) are not all its own is stored again
// whole, so that "the last release that held them" is the last released.
std::vector<SubjectSet> NotYetRecorded(const Study& study, const std::vector<SubjectSet>& sets,
                                       const std::vector<SubjectSet>& released);

// The people (subject ids, the part of a versioned id before its last ':') in both `candidate`
// and `released` (one family) whose tags differ: those whose data changed between the two.
std::vector<std::string> ChangedPeople(const SubjectSet& candidate, const SubjectSet& released);

// The people of `cohort` whose police inputs a release recorded under another incident filter
// (excluded categories or roles) than `study`'s: their counts under this one beside those are
// equations in the incidents the two filters count differently (red team 15, F1). Decided on
// the release record and the study definition alone.
std::set<std::string> ReleasedUnderAnotherFilter(const Study& study,
                                                 const std::vector<SubjectSet>& released,
                                                 const std::vector<SubjectVariables>& cohort);

// Families "linked_incidents" and "linked_convictions" (issue 12, linked counts in
// differencing): the cohort's people, each as "subject:1" (known to the police, or with
// convictions: any linked record) or "subject:0", by subject id (kept across link runs and case
// file resubmissions for linked and unlinked subjects alike). A release whose figures give how
// many of its cohort are linked (the incident or conviction set's size and every figure over
// it, or, with unlinked counted as zero, the funnel's linked cases) records them, so later
// releases can be checked against the numbers the analyst already holds. Sorted. The linker
// already holds who is linked; these sets add nothing it does not know. (Until session 9 people
// were keyed by their first case; sets recorded then do not compare with these.)
std::vector<SubjectSet> LinkedSets(const std::vector<SubjectVariables>& cohort);

// Linked counts in differencing. Each released linked count is a count over its cohort, and
// two or more of them give the linked counts of differences (B minus A) and of every other
// combination of the cohorts (atoms: subjects in exactly the same of them). Refuses
// (FailedPrecondition, data-dependent) `candidate` (a LinkedSets set) when, with the released
// sets of its family, an atom it creates or splits of min_cell or more subjects would hold fewer
// than min_cell linked or fewer than min_cell not linked (none and all included): the rule each
// report's own linked count follows, applied to every group the counts could be combined into.
// Atoms below min_cell need no rule here: the cohort differencing (CheckDifferencing) never lets
// any combination of them be derived, and with every larger atom holding min_cell of each kind
// no combination of the counts can pin any atom to none or all. The same cohort with the same
// members again is allowed.
// `linked_only`: only a group with fewer than min_cell linked is refused (with unlinked counted
// as zero, a group's figures are its linked members' sums; they do not give the rest).
[[nodiscard]] absl::Status CheckLinkedCounts(const SubjectSet& candidate,
                                             const std::vector<SubjectSet>& released, int min_cell,
                                             bool linked_only = false);

// Whether fewer than a quarter of `min_cell` of `v` hold another value than its most common,
// none included: figures of police counts over such a set give each one's count (all the same:
// a mean of 0 or an sd of 0 says what every one of them had; ACRO: zeros are disclosive), or
// all but one or two of theirs.
bool FewDiffer(const std::vector<double>& v, int min_cell);

// How many of `v` hold another value than its most common.
int64_t Differing(const std::vector<double>& v);

// The reason a model or a correlation of a police count is withheld when fewer than min_cell
// hold another count than the most common (Differing).
std::string FewHoldAnotherCountReason(int min_cell);

// The reason a figure of police counts is withheld for FewDiffer; `what` names the counts.
std::string FewDifferReason(const std::string& what, int min_cell);

// The subjects a model or the correlations over `variables` are computed over: every member of
// the counts' sets (those with every count among the variables). A case attribute the case file
// lacks is the cohort's median there (SubjectVariables::filled, AnalysisValue), so nobody of a
// set is left out of a model over it for a missing attribute. Until session 11 they were, and
// 1 to min_cell - 1 so left out were padded to min_cell by a digest of the subject ids: the
// model's n beside the set's then told whether anyone lacking an attribute was in the set, and
// with one case added without attributes, whether the police know that person or the courts
// convicted them (red team 15, A1: 45 of 45). An attribute nobody in the cohort has leaves
// everyone out. In the cohort's order.
std::vector<const SubjectVariables*> AnalysisSubjects(const std::vector<SubjectVariables>& cohort,
                                                      const std::vector<std::string>& variables);

// Every figure of `report` that is not a whole number, rounded to 6 significant digits: the
// precision the contract asks agreement with R to (SPEC section 5), and no more. A model's
// published coefficients are equations in the subjects' counts whose weights the analyst can
// compute from the case file; at full double precision a few of them over a small set have one
// whole-number solution (lattice reduction finds it). Six digits bound what each carries,
// which the release budget's cost of such an equation rests on (core/disclosure_budget.h).
void RoundFigures(nlohmann::json& report);

// The whole report.json. `linkage` is the linker's report (counts). Refuses a cohort smaller
// than min_cell.
[[nodiscard]] absl::StatusOr<nlohmann::json> BuildStudyReport(
    const Study& study, const std::vector<SubjectVariables>& cohort, const nlohmann::json& linkage);

}  // namespace pprl

#endif  // PPRL_CORE_STUDY_REPORT_H_
