#include "core/study_analysis.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "core/comparison.h"
#include "core/disclosure_budget.h"
#include "core/study_report.h"
#include "core/text.h"

namespace pprl {
namespace {

using nlohmann::json;

// Lists POINTER (now null) with its reason. Entries beneath it (a figure suppressed before its
// whole section was withheld) are dropped: every listed pointer must resolve to a null.
void Suppress(json& r, const std::string& pointer, const std::string& reason) {
  json pointers = json::array(), reasons = json::array();
  for (size_t i = 0; i < r["suppressed"].size(); ++i) {
    if (r["suppressed"][i].get<std::string>().rfind(pointer + "/", 0) == 0) continue;
    pointers.push_back(r["suppressed"][i]);
    reasons.push_back(r["suppressed_reasons"][i]);
  }
  pointers.push_back(pointer);
  reasons.push_back(reason);
  r["suppressed"] = std::move(pointers);
  r["suppressed_reasons"] = std::move(reasons);
}

// The one reason of WithholdLinkedCounts (F3); it names no count.
std::string LinkedCountReason(const Study& study) {
  return Cat(
      "withheld: it would tell how many of the cohort the police or court records hold, "
      "where that number or the rest of the cohort is below ",
      study.min_cell, " (none and all included)");
}

// The linkage figures of the study's own cohort (the analyst's view of the funnel): cases
// selected, subjects, and how many cases linked to police records, with the keys of SPEC
// section 6. Linker-wide figures (all records, ambiguous keys, links per key level) change
// when one case is added anywhere and tell whether one person is known to the police: they
// are the auditor's (`pprl link`), null here.
json CohortLinkage(const Study& study, const std::vector<CohortSubjectIn>& subjects,
                   const std::vector<SubjectVariables>& cohort,
                   std::vector<std::pair<std::string, std::string>>* suppressed) {
  std::map<std::string, const SubjectVariables*> in_cohort;
  for (const SubjectVariables& s : cohort) in_cohort[s.subject_id] = &s;
  int64_t cases = 0, linked_incidents = 0, linked_convictions = 0;
  for (const CohortSubjectIn& s : subjects) {
    auto v = in_cohort.find(s.subject_id);
    if (v == in_cohort.end()) continue;
    for (const CohortCaseIn& c : s.cases) {
      if (!StudySelectsCase(study, c)) continue;
      ++cases;
      // The cohort's flags (RestorePoliceInputs may have set a rerun's back), not the records.
      linked_incidents += v->second->linked_incidents;
      linked_convictions += v->second->linked_convictions;
    }
  }
  json l = {{"scope", "cohort"},
            {"cases", cases},
            {"subjects", static_cast<int64_t>(cohort.size())},
            {"cases_linked_incidents", linked_incidents},
            {"cases_linked_convictions", linked_convictions},
            {"incident_records", nullptr},
            {"conviction_records", nullptr},
            {"ambiguous_keys", nullptr},
            {"by_level", nullptr}};
  for (const char* key : {"incident_records", "conviction_records", "ambiguous_keys", "by_level"})
    suppressed->emplace_back(Cat("/linkage/", key),
                             "linker-wide: in the auditor's linkage report only");
  // A count below min_cell, or one that leaves fewer than min_cell beside it (cases not
  // linked), is suppressed; none (or all) linked too: "nobody here is known to the police" is a
  // disclosure about every member. (The subjects' linked counts: WithholdLinkedCounts.)
  for (auto [key, value] : {std::pair{"cases_linked_incidents", linked_incidents},
                            {"cases_linked_convictions", linked_convictions}}) {
    const int64_t rest = cases - value;
    if (value < study.min_cell || rest < study.min_cell) {
      l[key] = nullptr;
      suppressed->emplace_back(Cat("/linkage/", key), LinkedCountReason(study));
    }
  }
  return l;
}

// Every figure computed over the incident (conviction) set or giving its size: the set's size,
// the descriptives of its counts, the paired tests, the models using its counts, the comparison
// (its treated subjects are the incident set) or the correlations (over the conviction set), the
// funnel's linked cases.
std::vector<std::string> FiguresOverTheSet(const Study& study, std::string_view source) {
  const bool incidents = source == "incidents";
  std::vector<std::string> out;
  out.push_back(Cat("/cohort/n_", incidents ? "incident" : "conviction", "_set"));
  for (const std::string& v : StudyVariableNames()) {
    if (v.rfind(Cat(source, "_"), 0) == 0) out.push_back(Cat("/descriptives/", v));
  }
  for (const char* window : {"quarter", "year"})
    out.push_back(Cat("/paired_tests/", source, "_", window));
  std::vector<std::string> used = study.predictors;
  used.push_back(study.outcome);
  const bool model_uses = std::any_of(used.begin(), used.end(), [&](const std::string& v) {
    return v.rfind(Cat(source, "_"), 0) == 0;
  });
  if (model_uses) {
    out.push_back("/regression");
    out.push_back("/regression_fixed_alpha");
  }
  // The comparison reads both: its treated subjects are the incident set, and its balance,
  // estimates and trajectories hold conviction counts too (red team 8, F2: with the conviction
  // figures withheld, the comparison's conviction means over the treated were one person's).
  if (study.comparison.enabled) out.push_back("/comparison");
  if (incidents) {
    out.push_back("/linkage/cases_linked_incidents");
  } else {
    // Over the conviction set.
    out.push_back("/correlations/n");
    out.push_back("/correlations/r");
    out.push_back("/correlations/p");
    out.push_back("/linkage/cases_linked_convictions");
  }
  return out;
}

// F3: one rule for every figure that gives how many of the cohort the police (or the courts)
// know. Where that count or the rest of the cohort is below min_cell (none and all included),
// every figure that gives it or lets it be derived is withheld, with one reason, whatever
// else suppressed it before (so the reasons do not tell "few linked" from "few not linked").
// In "exclude" mode the incident (conviction) set is the linked subjects, so that is: the set's
// size, every figure computed over it (descriptives: mean x n is a whole number, so a mean
// gives n; paired tests: df = n - 1; correlations and their n; the regressions using its
// counts: n, residual df, standard errors) and the comparison (its treated subjects are the
// incident set). In "zero" mode the sets are the cohort, but a figure over it is one over its
// linked subjects (the others count 0): the same rule on the linked count withholds the same
// figures; when it passes, only the funnel's linked cases may still be withheld by difference.
//
// `by_difference`: the sources whose linked count, with those released before, would give a
// group's (CheckLinkedCounts); withheld alike, with the same reason, so the analyst cannot tell
// which rule withheld it. With unlinked counted as zero that is the funnel's linked cases only.
//
// `by_difference` maps each such source to the rules (CheckLinkedCounts', or the police inputs'
// of a rerun changed for a few: red team 8, F3) and their auditor's details;
// `audit` (pointer -> rule and detail) receives, for the release's audit entry, which rule
// withheld each pointer (the analyst reads one reason for both).
void WithholdLinkedCounts(const Study& study, const std::vector<SubjectVariables>& cohort,
                          const std::map<std::string, json>& by_difference,
                          const std::set<std::string>& figures_by_difference, json& r,
                          std::map<std::string, json>* audit) {
  const int64_t n = static_cast<int64_t>(cohort.size());
  std::vector<std::string> withhold;
  for (const char* source : {"incidents", "convictions"}) {
    const bool incidents = std::string_view(source) == "incidents";
    const auto diff = by_difference.find(source);
    // The auditor's note for every pointer this source withholds.
    auto note = [&](const json& own) {
      json rules = json::array();
      if (!own.is_null()) rules.push_back({{"rule", "linked_count"}, {"detail", own}});
      if (diff != by_difference.end())
        for (const json& rule : diff->second) rules.push_back(rule);
      return rules;
    };
    const size_t first = withhold.size();
    json own = nullptr;
    int64_t linked = 0;
    for (const SubjectVariables& s : cohort)
      linked += incidents ? s.linked_incidents : s.linked_convictions;
    // In "zero" mode every subject the police do not know counts 0, so a figure over the
    // cohort is a figure over its linked subjects: with one linked person among fictional
    // fillers, mean x n was that person's count (red team 7b, H1 and H3). The same rule as in
    // "exclude" mode on the linked count, over the same figures. Only a few linked matters
    // here: the figures over the cohort do not give how many are not linked (n is the case
    // file's), and a cohort the police know whole is the usual case.
    // And by difference (red team 7c): two zero-mode cohorts ten apart of which one person is
    // linked gave that person's counts (mean x n of one minus the other's), so a group the
    // release creates or splits with fewer than min_cell linked (`figures_by_difference`)
    // withholds every figure over the counts; a group with few not linked withholds only the
    // funnel's linked cases, which give the linked count itself.
    if (study.unlinked_as_zero && linked >= study.min_cell &&
        !figures_by_difference.contains(source)) {
      if (diff != by_difference.end()) {
        withhold.push_back(Cat("/linkage/cases_linked_", source));
        (*audit)[withhold.back()] = note(nullptr);
      }
      continue;
    }
    if (linked >= study.min_cell && n - linked >= study.min_cell && diff == by_difference.end())
      continue;
    if (linked < study.min_cell || n - linked < study.min_cell)
      own = Cat(source, ": ", linked, " of the cohort's ", n, " linked");
    for (const std::string& p : FiguresOverTheSet(study, source)) withhold.push_back(p);
    for (size_t i = first; i < withhold.size(); ++i) {
      json& entry = (*audit)[withhold[i]];
      if (!entry.is_array()) entry = json::array();
      for (const json& rule : note(own)) entry.push_back(rule);
    }
  }
  if (withhold.empty()) return;
  std::sort(withhold.begin(), withhold.end());
  withhold.erase(std::unique(withhold.begin(), withhold.end()), withhold.end());
  auto under = [&](const std::string& pointer) {
    for (const std::string& w : withhold) {
      if (pointer == w || pointer.rfind(w + "/", 0) == 0) return true;
    }
    return false;
  };
  json pointers = json::array(), reasons = json::array();
  for (size_t i = 0; i < r["suppressed"].size(); ++i) {
    if (under(r["suppressed"][i].get<std::string>())) continue;
    pointers.push_back(r["suppressed"][i]);
    reasons.push_back(r["suppressed_reasons"][i]);
  }
  r["suppressed"] = pointers;
  r["suppressed_reasons"] = reasons;
  for (const std::string& w : withhold) {
    json::json_pointer p(w);
    if (r.contains(p)) r[p] = nullptr;
    Suppress(r, w, LinkedCountReason(study));
  }
}

// Counts in the comparison section that would sit beside a suppressed one: the cohort
// subjects in the comparison are the incident set, and how they split (matched, unmatched,
// fewer than k, withheld) adds up to it; when the incident set is suppressed, all of it is.
// (Otherwise the split is shown: a count of subjects for whom matching found no control is a
// property of the matching, and the number matched is needed to read the estimates.)
void GuardComparisonCounts(const Study& study, json& r) {
  json& c = r["comparison"];
  if (!c.is_object()) return;
  const char* keys[] = {"cohort_subjects", "matched", "unmatched", "fewer_than_k",
                        "withheld_for_disclosure"};
  const bool hide = r["cohort"]["n_incident_set"].is_null();
  if (!hide) return;
  for (const char* k : keys) {
    c[k] = nullptr;
    Suppress(r, Cat("/comparison/", k),
             Cat("beside /cohort/n_incident_set, suppressed (fewer than ", study.min_cell, ")"));
  }
  if (c["estimates"].is_array()) {
    for (size_t i = 0; i < c["estimates"].size(); ++i) {
      c["estimates"][i]["n_matched"] = nullptr;
      Suppress(r, Cat("/comparison/estimates/", i, "/n_matched"), "as /comparison/matched");
    }
  }
}

// The study section gives the analyst's range; /cohort/notes says what the police data's
// coverage left out (StudyWithinCoverage): the covered stretches of months and how many of the
// study's cases fell outside. The cases counted are the analyst's own (kader and range): the
// case file and the coverage's months give them, nothing about any one person.
void AddCoverageNote(const Study& as_given, const Study& within, const PoliceCoverage& coverage,
                     const std::vector<CohortSubjectIn>& subjects, json& r) {
  const std::optional<std::vector<MonthStretch>> stretches = CoveredStretches(coverage);
  if (!stretches) return;
  auto as_given_range = [&](const char* key, const std::optional<Date>& d) {
    if (d) {
      r["study"][key] = FormatIsoDate(*d);
    } else {
      r["study"].erase(key);
    }
  };
  as_given_range("first_discussed_from", as_given.first_discussed_from);
  as_given_range("first_discussed_to", as_given.first_discussed_to);
  int64_t left_out = 0;
  for (const CohortSubjectIn& s : subjects) {
    for (const CohortCaseIn& c : s.cases)
      left_out += StudySelectsCase(as_given, c) && !StudySelectsCase(within, c);
  }
  // "a, b and c": the items of a list in prose, `last` before the last one.
  auto prose = [](const std::vector<std::string>& items, const char* last) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
      out += Cat(i == 0 ? "" : i + 1 == items.size() ? last : ", ", items[i]);
    return out;
  };
  auto month = [](int32_t m) { return FormatIsoDate(MonthStart(m)).substr(0, 7); };
  std::vector<std::string> stretch_texts;
  for (const MonthStretch& s : *stretches)
    stretch_texts.push_back(Cat(month(s.first), " to ", month(s.last)));
  const std::string covered = prose(stretch_texts, " and ");
  std::vector<std::string> range_texts;
  const std::vector<std::pair<Date, Date>> allowed = AllowedReferenceDays(*stretches);
  for (const auto& [from, to] : allowed)
    range_texts.push_back(Cat("from ", FormatIsoDate(from), " to ", FormatIsoDate(to)));
  const std::string used = prose(range_texts, " or ");
  r["cohort"]["notes"] = json::array(
      {Cat(stretches->empty() ? std::string("the police data cover no month of both kinds")
                              : Cat("the police data cover ", covered),
           " (whole months; a kind's run of at most ", kBridgedEmptyMonths,
           " months without records between months with records counts as covered); ", left_out,
           " of the study's cases were left out because their year before or year after runs "
           "past that (",
           allowed.empty() ? std::string("no case can be used")
                           : Cat("only cases first discussed ", used, " are used"),
           ")")});
}

}  // namespace

absl::StatusOr<StudyResult> AnalyzeStudy(const Study& as_given,
                                         const std::vector<CohortSubjectIn>& subjects,
                                         const std::vector<CohortSubjectIn>& pool,
                                         const std::vector<SubjectSet>& released,
                                         std::string_view inputs_key,
                                         const PoliceCoverage& coverage) {
  // Follow-up the police data do not cover is not zero (red team 6, F1): the study runs as if
  // its first_discussed range excluded the cases whose windows run past the coverage.
  const Study study = StudyWithinCoverage(as_given, coverage);
  std::vector<SubjectVariables> cohort = BuildCohort(subjects, study);
  StudyResult result;
  result.cohort_n = static_cast<int64_t>(cohort.size());
  result.released_sets = ReleasedSets(cohort);
  // F2: the differencing DECISION is taken on the cohort, which the case file determines (the
  // analyst knows it), never on the incident or conviction set (the linked subjects): a
  // cohort 1 to min_cell - 1 subjects from a released one is refused whatever their linkage,
  // and one min_cell or more apart is not refused because of its linked subsets. (The sets
  // are still recorded: the comparison checks its matched subjects against them.)
  absl::Status d = CheckDifferencing(result.released_sets[0], released, study.min_cell);
  if (!d.ok()) return d;
  // F4: the same people with changed data are other members of the "inputs" families. A rerun
  // whose case-file inputs (reference day, case variables) changed for 1 to min_cell - 1 of them is
  // refused like a cohort differing by so many: the case file decides it. One whose police
  // inputs (the window counts it reads) changed for so few is released with every figure over
  // the counts withheld (below, as the linked-count rule withholds them): a refusal there said,
  // with fictional fillers beside one person, whether that person's records had changed or held
  // an incident of a category (red team 8, F3).
  std::vector<SubjectSet> inputs = InputsSets(study, subjects, cohort, inputs_key);
  d = CheckDifferencing(inputs[0], released, study.min_cell);
  if (!d.ok()) return d;
  // Case-file changes (min_cell or more people: fewer were refused above) are decided on the
  // case file alone (red team 13). Until session 10 the people whose case-file inputs changed,
  // and those whose reference day moved, were groups under the linked-count rule (at least
  // min_cell linked and min_cell not, and for the moved at least min_cell with other counts),
  // decided on their police data. The case-file officer picks such a group and pads it with
  // people of known status: fictional cases are certainly unlinked, renamed people known to the
  // police certainly change, people moved to a day released before certainly keep their
  // counts. The threshold then asked about one person: whether they are known to the police
  // (T5, T1: 30 of 30 and 20 of 20), whether an update changed their counts (T2), the dates of
  // their incidents (T3: one person's only incident to the day). Now:
  //  - people whose reference day moved or whose identity changed since a release of them have
  //    other police counts for a reason the case file gave: every figure over the police
  //    counts is withheld while there are any, whatever their data;
  //  - a change of case variables alone leaves everyone's counts as they were (the counts'
  //    figures stand, and the budget counts the models on the new data as new equations: F4),
  //    but with unlinked subjects left out, whether a model over the linked changed at all
  //    said whether the changed people are linked (nine fictional cases beside one person): the
  //    models and correlations are withheld while anyone's case variables differ from a
  //    release of them. With unlinked counted as zero everyone is in them, linked or not.
  std::set<std::string> recounted;  // identity changed or reference day moved (or refiltered)
  bool case_variables_changed = false;
  for (const SubjectSet& r : released) {
    for (const SubjectSet* mine : {&inputs[2], &inputs[3]}) {
      if (r.family != mine->family) continue;
      for (std::string& person : ChangedPeople(*mine, r)) recounted.insert(std::move(person));
    }
    if (r.family == inputs[0].family && !ChangedPeople(inputs[0], r).empty())
      case_variables_changed = true;
  }
  // People whose counts a release gave under another incident filter: this filter's counts
  // beside those are equations in the incidents the two count differently. A decision on the
  // number whose counts differ (the police-update rule below: 1 to min_cell - 1 withheld) was
  // one person's when the others had been certified by a release under both filters without
  // them (red team 15, F1: whether one person holds an incident of a rare category, 11 of 11).
  // Decided on the release record and the study alone, like the case file's moves: every
  // figure over the counts is withheld while any such person is in the cohort.
  const size_t moved = recounted.size();
  const std::set<std::string> refiltered = ReleasedUnderAnotherFilter(study, released, cohort);
  recounted.insert(refiltered.begin(), refiltered.end());
  // A police update that changed the police inputs of 1 to min_cell - 1 of the same people as
  // a release that remembers them: those people's inputs are that release's again, so nothing
  // below (figures, withholding, differencing) differs from a rerun where nothing changed.
  // Not when the case file moved people's counts: every figure over the counts is withheld
  // below whatever they are, and a restore decided on their police data (renamed people known
  // to the police changed, unknown ones did not) would show in the auditor's entries only
  // (red team 14, L1). The linked-count and police-update rules are skipped then for the same
  // reason.
  if (recounted.empty())
    result.police_inputs_restored = RestorePoliceInputs(study, inputs[1], released, &cohort);
  if (result.police_inputs_restored > 0) {
    inputs[1] = InputsSets(study, subjects, cohort, inputs_key)[1];
    result.released_sets = ReleasedSets(cohort);  // the incident and conviction sets too
  }
  const std::vector<SubjectSet> linked_sets = LinkedSets(cohort);
  std::vector<std::tuple<std::string, std::string, std::string>> changed_groups;  // source,
                                                                                  // rule, detail
  for (const char* source : kBudgetSources) {
    if (moved > 0) {
      changed_groups.emplace_back(
          source, "case_file_moved_counts",
          Cat(moved,
              " people whose reference day or identity the case file changed since a release"));
    }
    if (!refiltered.empty()) {
      changed_groups.emplace_back(
          source, "incident_filter_changed",
          Cat(refiltered.size(),
              " people whose counts a release gave under another incident filter"));
    }
  }
  const absl::Status police_changed = CheckDifferencing(inputs[1], released, study.min_cell);
  result.released_sets.push_back(std::move(inputs[0]));
  result.released_sets.push_back(std::move(inputs[2]));
  result.released_sets.push_back(std::move(inputs[3]));
  // Police inputs whose figures are withheld whatever they are are not released.
  if (police_changed.ok() && recounted.empty())
    result.released_sets.push_back(std::move(inputs[1]));
  std::vector<std::pair<std::string, std::string>> linkage_suppressed;
  const json linkage = CohortLinkage(study, subjects, cohort, &linkage_suppressed);
  absl::StatusOr<nlohmann::json> report = BuildStudyReport(study, cohort, linkage);
  if (!report.ok()) return report.status();
  result.report = std::move(*report);
  json& r = result.report;
  for (const auto& [pointer, reason] : linkage_suppressed) Suppress(r, pointer, reason);
  AddCoverageNote(as_given, study, coverage, subjects, r);
  // Issue 12 (the comparison decided on this cohort alone): the matched subjects are kept
  // min_cell or more from this report's own incident and conviction sets, which its other
  // figures are computed over; never against sets released before, whose linked members are
  // police data (the count withheld was a probe of them). Earlier releases are the statistic
  // differencing's (CheckStatisticSets, in the budget below): data-dependent, each part it
  // withholds named with the budget's reason, the cohort recorded as released.
  const std::vector<SubjectSet> own = result.released_sets;
  std::vector<std::string> matched_ids, control_ids, pool_ids;
  for (SubjectSet& set : AddComparisonToReport(study, cohort, subjects, pool, own, &r)) {
    if (set.family == "incident_set") matched_ids = set.ids;
    if (set.family == "comparison") control_ids = set.ids;
    result.released_sets.push_back(std::move(set));
  }
  GuardComparisonCounts(study, r);
  // Linked counts in differencing: this cohort's linked counts beside those released before
  // must not give a group's (B minus A all known to the police, or none).
  std::map<std::string, json> by_difference;  // source -> the rules and their details
  // pointer -> the rules (and the auditor's details) that withheld it, for the audit entry.
  std::map<std::string, json> audit;
  // With unlinked counted as zero, the sources where a group has fewer than min_cell linked.
  std::set<std::string> figures_by_difference;
  for (size_t k = 0; k < linked_sets.size() && recounted.empty(); ++k) {
    const absl::Status s = CheckLinkedCounts(linked_sets[k], released, study.min_cell);
    if (!s.ok()) {
      by_difference[kBudgetSources[k]].push_back(
          {{"rule", "linked_counts_in_differencing"}, {"detail", RefusalDetail(s)}});
    }
    if (study.unlinked_as_zero && !s.ok() &&
        !CheckLinkedCounts(linked_sets[k], released, study.min_cell, true).ok())
      figures_by_difference.insert(kBudgetSources[k]);
    if (!police_changed.ok()) {
      by_difference[kBudgetSources[k]].push_back(
          {{"rule", "police_inputs_changed"}, {"detail", RefusalDetail(police_changed)}});
      figures_by_difference.insert(kBudgetSources[k]);
    }
  }
  for (const auto& [source, rule, detail] : changed_groups) {
    by_difference[source].push_back({{"rule", rule}, {"detail", detail}});
    figures_by_difference.insert(source);
  }
  WithholdLinkedCounts(study, cohort, by_difference, figures_by_difference, r, &audit);
  if (case_variables_changed && !study.unlinked_as_zero) {
    for (const char* pointer : {"/regression", "/regression_fixed_alpha", "/correlations/n",
                                "/correlations/p", "/correlations/r"}) {
      json::json_pointer p(pointer);
      if (!r.contains(p) || r[p].is_null()) continue;
      r[p] = nullptr;
      Suppress(r, pointer,
               "withheld: the case file changed what this study reads of some of these people "
               "since an earlier release of them, and with unlinked subjects left out, whether "
               "a model over the linked changed would tell whether those people are linked");
      audit[pointer] = json::array({{{"rule", "case_variables_changed"}}});
    }
  }
  // Figures about the whole pool (its size, its means before matching) change when one
  // person moves from the pool into a case file: they are released only when the pool passes
  // the differencing check like any other set, and it joins the released sets. Issue 12 (the
  // comparison decided on the case file): that check alone told, after the analyst had one
  // case added, whether its person was in the police files (the pool shrank by one, or not).
  // So first the case file itself (every subject holding a case, family "case_subjects"):
  // when it differs by 1 to min_cell - 1 from its state at an earlier pool release the pool's
  // figures are withheld, with the same text, whoever the new cases' people are.
  json& c = r["comparison"];
  if (c.is_object()) {
    for (const CohortSubjectIn& p : pool) pool_ids.push_back(p.subject_id);
    std::sort(pool_ids.begin(), pool_ids.end());
    SubjectSet case_subjects{"case_subjects", {}, {}};
    // Each with who the case file says they are (their cases' identity digests): a case whose
    // identifying fields changed under the same case id split the person's police records off
    // into the pool exactly when the police knew them (red team 12, S5); as a case-file change
    // it withholds the comparison whoever the person is.
    for (const CohortSubjectIn& s : subjects) {
      std::string member = s.subject_id;
      for (const std::string& identity : CaseIdentities(s)) member += Cat(":", identity);
      case_subjects.ids.push_back(std::move(member));
    }
    std::sort(case_subjects.ids.begin(), case_subjects.ids.end());
    const absl::Status case_file = CheckDifferencing(case_subjects, released, study.min_cell);
    // When min_cell or more cases were added or removed since a release of the comparison, the
    // pool changed by those of their people known to the police: its figures (its size, its
    // means before matching) beside the earlier ones gave how many (red team 5, A1), and a
    // person who had been a matched control left the pool and changed the matched figures.
    // Until session 10 those people were a group under the linked-count rule (at least min_cell
    // known and min_cell not, else the section withheld): a decision on police data over a
    // group the case file chose, which certified decoys and fictional cases turned into whether
    // one person is known to the police (red team 13, T6: 11 of 11, the target in no cohort).
    // Now the comparison is withheld whenever the case holders differ from those of a release
    // of it, whoever they are (a simulatable decision: the case file's alone).
    bool holders_changed = false;
    for (const SubjectSet& earlier : released) {
      holders_changed = holders_changed || (earlier.family == case_subjects.family &&
                                            earlier.ids != case_subjects.ids);
    }
    const absl::Status d = case_file.ok()
                               ? CheckDifferencing({"pool", pool_ids, {}}, released, study.min_cell)
                               : case_file;
    if (!case_file.ok()) {
      // The matched controls come from the pool too: whether the new case's person was one of
      // them (so known to the police) showed in the matched counts, the estimates and the
      // budget's withholding of them (red team 5, A1). The whole section goes, with one text.
      pool_ids.clear();
      r["comparison"] = nullptr;
      Suppress(r, "/comparison", Cat("the comparison pool: ", d.message()));
      audit["/comparison"] =
          json::array({{{"rule", "case_file_differencing"}, {"detail", RefusalDetail(d)}}});
    } else if (holders_changed) {
      pool_ids.clear();
      r["comparison"] = nullptr;
      Suppress(r, "/comparison",
               "withheld: the case file changed who holds a case since an earlier release of the "
               "comparison, and the pool is everyone else the police know, so its figures and "
               "the matched controls drawn from it beside the earlier ones would tell about "
               "those people");
      audit["/comparison"] = json::array({{{"rule", "case_holders_changed"}}});
      result.released_sets.push_back(std::move(case_subjects));
    } else if (!d.ok()) {
      // The pool alone changed by a few (police data the analyst does not control): its own
      // figures go; the matched sets face the budget's differencing like any other.
      pool_ids.clear();
      c["pool_subjects"] = nullptr;
      Suppress(r, "/comparison/pool_subjects", Cat("the comparison pool: ", d.message()));
      audit["/comparison/pool_subjects"] =
          json::array({{{"rule", "pool_differencing"}, {"detail", RefusalDetail(d)}}});
      if (c["balance"].is_array()) {
        for (size_t i = 0; i < c["balance"].size(); ++i) {
          for (const char* f : {"pool_mean", "smd_before"}) {
            c["balance"][i][f] = nullptr;
            Suppress(r, Cat("/comparison/balance/", i, "/", f), "as /comparison/pool_subjects");
          }
        }
      }
    } else {
      result.released_sets.push_back({"pool", pool_ids, {}});
      result.released_sets.push_back(std::move(case_subjects));
    }
  }
  // The budget: every statistic about police counts is an equation in them. When the report
  // would overdraw it, the most equation-hungry parts are withheld in this order (each with
  // its reason); when even the descriptives would, the study is refused.
  struct Withhold {
    const char* pointer;
    std::function<bool(json&)> apply;  // false: nothing to withhold there
  };
  auto null_at = [](const char* pointer) {
    return [pointer](json& report) {
      json::json_pointer p(pointer);
      if (!report.contains(p) || report[p].is_null()) return false;
      report[p] = nullptr;
      return true;
    };
  };
  std::vector<Withhold> order = {
      {"/correlations/r",
       [](json& report) {
         if (report["correlations"]["r"].is_null()) return false;
         report["correlations"]["r"] = nullptr;
         report["correlations"]["p"] = nullptr;
         Suppress(report, "/correlations/p", "the release budget (as /correlations/r)");
         return true;
       }},
      {"/regression_fixed_alpha", null_at("/regression_fixed_alpha")},
      {"/regression", null_at("/regression")},
      {"/comparison/trajectories", null_at("/comparison/trajectories")},
      {"/comparison/balance", null_at("/comparison/balance")},
      {"/comparison/estimates", null_at("/comparison/estimates")},
      {"/paired_tests/incidents_quarter", null_at("/paired_tests/incidents_quarter")},
      {"/paired_tests/convictions_quarter", null_at("/paired_tests/convictions_quarter")},
      {"/paired_tests/incidents_year", null_at("/paired_tests/incidents_year")},
      {"/paired_tests/convictions_year", null_at("/paired_tests/convictions_year")},
  };
  // A model whose weights the analyst knows costs many subjects an equation (KnownWeightsCost):
  // it goes before the correlations, which cost one each. The fixed-alpha fit (theta 1) is
  // never Poisson; the ML fit may be. Order: [fixed-alpha, ML,] correlations[, ML].
  const bool fixed_known = study.lattice_margin > 0 && ModelWeightsKnown(study, false);
  const bool ml_known = fixed_known && r["regression"].is_object() &&
                        ModelWeightsKnown(study, IsPoissonFit(r["regression"]));
  if (ml_known)
    std::rotate(order.begin(), order.begin() + 1, order.begin() + 3);
  else if (fixed_known)
    std::swap(order[0], order[1]);
  // Statistics released before cost nothing again: withholding them would not help.
  std::map<std::vector<std::string>, std::set<std::string>> known_keys;
  for (const SubjectSet& set : released) {
    if (!set.statistics.empty() && set.family != kCohortRowsFamily)
      known_keys[set.ids].insert(set.statistics.begin(), set.statistics.end());
  }
  auto new_keys = [&](const std::vector<SubjectSet>& ledger) {
    int64_t count = 0;
    for (const SubjectSet& set : ledger) {
      auto it = known_keys.find(set.ids);
      for (const std::string& key : set.statistics)
        count += it == known_keys.end() || !it->second.contains(key);
    }
    return count;
  };
  std::vector<SubjectSet> ledger =
      ReleasedStatistics(study, cohort, r, matched_ids, control_ids, pool_ids);
  // The leverage bound is decided over each set's subjects, which in "exclude" mode are the
  // linked: for a person with outlying case attributes and terms picked to single them out, a
  // released model said they were not in the conviction set, since their leverage over the
  // whole cohort (a lower bound for any set holding them) was above the bound (red team 16,
  // V1: 7 of 7 "never convicted"). So the report's equations are first bounded over the whole
  // cohort as if everyone were in every set (their rows need only case attributes and the
  // published coefficients): whether that fires does not depend on who is linked. Each
  // release's equations over its cohort are kept (family kCohortRowsFamily) and count in later
  // studies' bound over theirs.
  std::vector<SubjectVariables> everyone = cohort;
  for (SubjectVariables& v : everyone) {
    v.in_incident_set = v.in_conviction_set = true;
    for (const std::string& name : StudyVariableNames()) {
      if (PoliceCountVariable(name)) v.values.try_emplace(name, 0.0);
    }
  }
  // Earlier releases' equations over their cohorts: two studies each under the bound alone
  // gave an outlier's leverage over the cohort above it together (red team 17, W1: the same
  // design over all kaders and over all but one is a model over that one).
  std::vector<SubjectSet> cohort_rows_before;
  for (const SubjectSet& set : released) {
    if (set.family != kCohortRowsFamily) continue;
    cohort_rows_before.push_back(set);
    cohort_rows_before.back().family = "ledger";
  }
  // The report's equations over the cohort as last checked: recorded with the release.
  std::vector<SubjectSet> cohort_rows;
  auto check = [&](const std::vector<SubjectSet>& candidate) {
    absl::Status s = CheckReleaseBudget(candidate, released, study.min_residual_df);
    if (s.ok()) s = CheckStatisticSets(candidate, released, study.min_cell);
    if (s.ok()) s = CheckLeverage(candidate, released, study.max_leverage);
    if (s.ok() && !study.unlinked_as_zero && !everyone.empty()) {
      // A set holding a share f of the cohort gives a person whose leverage over the whole
      // cohort is h about h / (h + f (1 - h)) (one row: their weight against the others' f), so
      // the bound over the cohort is the policy's at that point: h <= m f / (1 - m + m f).
      // With the policy's m itself, a released model still gave the red team's estimate over
      // random sets of the released size 0.553 for the outlier (right: never convicted).
      // f is the smaller set's share; the sets' sizes are released beside the models.
      int64_t smallest = static_cast<int64_t>(everyone.size());
      for (const char* set : {"n_incident_set", "n_conviction_set"}) {
        if (r["cohort"][set].is_number_integer())
          smallest = std::min(smallest, r["cohort"][set].get<int64_t>());
      }
      const double f = static_cast<double>(std::max<int64_t>(smallest, 1)) /
                       static_cast<double>(everyone.size());
      const double m = study.max_leverage;
      cohort_rows = ReleasedStatistics(study, everyone, r, {}, {}, {});
      s = CheckLeverage(cohort_rows, cohort_rows_before, m * f / (1 - m + m * f));
    }
    return s;
  };
  absl::Status budget = check(ledger);
  for (size_t next = 0; !budget.ok() && next < order.size(); ++next) {
    json saved = r;
    if (!order[next].apply(r)) continue;
    std::vector<SubjectSet> trial =
        ReleasedStatistics(study, cohort, r, matched_ids, control_ids, pool_ids);
    if (new_keys(trial) >= new_keys(ledger)) {
      r = std::move(saved);
      continue;
    }
    Suppress(r, order[next].pointer,
             Cat("the release budget: ", std::string(budget.message()).substr(9)));
    audit[order[next].pointer] =
        json::array({{{"rule", "release_budget"}, {"detail", RefusalDetail(budget)}}});
    ledger = std::move(trial);
    budget = check(ledger);
  }
  // Limit (issue 12): what is left is the descriptives. A police update that moves a few of the
  // cohort into or out of the incident (conviction) set puts them over a set a few apart from
  // the released one (the statistic differencing): rather than refusing the whole study, every
  // figure over that set goes (FiguresOverTheSet), the other source's and the case file's stay.
  // Like the parts above, a data-dependent decision fixed by the release recording the cohort;
  // it tells no more than the refusal did (that the set changed by a few), except which set.
  for (const char* source : kBudgetSources) {
    if (budget.ok()) break;
    json saved = r;
    std::vector<std::string> nulled;
    for (const std::string& pointer : FiguresOverTheSet(study, source)) {
      json::json_pointer p(pointer);
      if (!r.contains(p) || r[p].is_null()) continue;
      r[p] = nullptr;
      nulled.push_back(pointer);
    }
    std::vector<SubjectSet> trial =
        ReleasedStatistics(study, cohort, r, matched_ids, control_ids, pool_ids);
    if (nulled.empty() || new_keys(trial) >= new_keys(ledger)) {
      r = std::move(saved);
      continue;
    }
    for (const std::string& pointer : nulled) {
      Suppress(r, pointer, Cat("the release budget: ", std::string(budget.message()).substr(9)));
      audit[pointer] =
          json::array({{{"rule", "release_budget"}, {"detail", RefusalDetail(budget)}}});
    }
    if (std::find(nulled.begin(), nulled.end(), "/comparison") != nulled.end()) {
      matched_ids.clear();
      control_ids.clear();
      pool_ids.clear();
      trial = ReleasedStatistics(study, cohort, r, matched_ids, control_ids, pool_ids);
    }
    ledger = std::move(trial);
    budget = check(ledger);
  }
  if (!budget.ok()) return budget;
  for (SubjectSet& set : ledger) result.released_sets.push_back(std::move(set));
  // The last check passed on the report as it stands, so cohort_rows are its equations.
  for (SubjectSet& set : cohort_rows) {
    set.family = kCohortRowsFamily;
    result.released_sets.push_back(std::move(set));
  }
  // Every withheld figure for the audit entry: its reason, and the rule that withheld it with
  // the auditor's detail where the decision depends on data (a pointer without a note was
  // withheld by a rule of the report itself: too few, dominance, the model output rules).
  for (size_t i = 0; i < r["suppressed"].size(); ++i) {
    const std::string pointer = r["suppressed"][i];
    json entry = {{"pointer", pointer}, {"reason", r["suppressed_reasons"][i]}};
    if (auto it = audit.find(pointer); it != audit.end()) entry["rules"] = it->second;
    result.withheld.push_back(std::move(entry));
  }
  // The linked counts the report gives, for CheckLinkedCounts of later releases.
  for (size_t k = 0; k < linked_sets.size(); ++k) {
    const std::string source = kBudgetSources[k];
    bool shown = !r["cohort"][Cat("n_", source == "incidents" ? "incident" : "conviction", "_set")]
                      .is_null();
    // With unlinked counted as zero every figure over the counts is one over the linked
    // subjects: any of them released records the linked set (red team 7c).
    if (study.unlinked_as_zero) {
      shown = false;
      for (const std::string& p : FiguresOverTheSet(study, source)) {
        const json::json_pointer ptr(p);
        shown = shown || (r.contains(ptr) && !r[ptr].is_null());
      }
    }
    if (shown) result.released_sets.push_back(linked_sets[k]);
  }
  // BuildStudyReport rounded its own figures (the ledger's rows above read its published b);
  // the comparison and the notes added here since are rounded now.
  RoundFigures(result.report);
  return result;
}

}  // namespace pprl
