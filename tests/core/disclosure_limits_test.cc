// The limits the issue 12 work left open, each written as the informed analyst (who knows the
// case file) would try it, at unit level through AnalyzeStudy: the linked count of the
// difference of two released cohorts; a small group's total beside statistics over the rest;
// comparison counts that probed the linked sets released before.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "core/disclosure_budget.h"
#include "core/study.h"
#include "core/study_analysis.h"
#include "core/text.h"
#include "tests/core/synthetic_cohort.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

// The comparison pool: 600 people never discussed, all known to the police.
std::vector<CohortSubjectIn> Pool() {
  std::vector<CohortSubjectIn> pool = Subjects(600, 3, 1000, 0);
  for (CohortSubjectIn& p : pool) p.cases.clear();
  return pool;
}

using nlohmann::json;
using ::pprl::testing::IsOk;
using ::testing::Contains;
using ::testing::HasSubstr;

std::vector<CohortSubjectIn> Without(const std::vector<CohortSubjectIn>& in,
                                     const std::set<int>& drop) {
  std::vector<CohortSubjectIn> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!drop.contains(static_cast<int>(i))) out.push_back(in[i]);
  }
  return out;
}

Study NoComparison() {
  Study s;
  s.comparison.enabled = false;
  return s;
}

std::string ReasonFor(const json& report, const std::string& pointer) {
  for (size_t i = 0; i < report["suppressed"].size(); ++i) {
    if (report["suppressed"][i] == pointer) return report["suppressed_reasons"][i];
  }
  return "";
}

// Limit 1: two released cohorts B and A = B minus D (D twelve people the analyst picked from
// the case file; twelve apart, so the cohort differencing lets A pass). Before: B's incident
// set of 150 beside A's of 138 told that all twelve are known to the police (A's 150: that
// none of them is), and A's incident figures minus B's gave the twelve's totals.
TEST(LinkedCounts, TheDifferenceOfTwoReleasedCohortsIsCountedLikeACohort) {
  const std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 4);  // 3, 7, ...: not linked
  absl::StatusOr<StudyResult> all = AnalyzeStudy(NoComparison(), in, {}, {});
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->report["cohort"]["n_incident_set"], 150);
  const std::vector<SubjectSet> released = all->released_sets;
  std::set<int> linked, unlinked;
  for (int i = 0; linked.size() < 12; ++i)
    if (i % 4 != 3) linked.insert(i);
  for (int i = 0; unlinked.size() < 12; ++i)
    if (i % 4 == 3) unlinked.insert(i);
  std::set<std::string> reasons;
  for (const std::set<int>& d : {linked, unlinked}) {
    absl::StatusOr<StudyResult> r = AnalyzeStudy(NoComparison(), Without(in, d), {}, released);
    ASSERT_THAT(r, IsOk());
    const json& rep = r->report;
    for (const char* p : {"/cohort/n_incident_set", "/descriptives/incidents_year_after",
                          "/paired_tests/incidents_year", "/linkage/cases_linked_incidents"}) {
      EXPECT_TRUE(rep[json::json_pointer(p)].is_null()) << p << " beside the released cohort";
      reasons.insert(ReasonFor(rep, p));
    }
    // The release's audit entry (the auditor's) names each of these withholdings with the rule
    // that made it and the counts behind it (before, only the budget's were named).
    const std::string group = d == linked ? "a group of 12 with 12 linked" : "a group of 12 with 0";
    for (const char* p : {"/cohort/n_incident_set", "/descriptives/incidents_year_after",
                          "/paired_tests/incidents_year", "/linkage/cases_linked_incidents"}) {
      const json* entry = nullptr;
      for (const json& w : r->withheld)
        if (w["pointer"] == p) entry = &w;
      ASSERT_NE(entry, nullptr) << p << " is not in the audit entry";
      EXPECT_EQ((*entry)["reason"], ReasonFor(rep, p));
      ASSERT_TRUE((*entry)["rules"].is_array()) << p;
      EXPECT_EQ((*entry)["rules"].back()["rule"], "linked_counts_in_differencing") << p;
      EXPECT_THAT((*entry)["rules"].back()["detail"].get<std::string>(), HasSubstr(group)) << p;
    }
    EXPECT_EQ(r->withheld.size(), rep["suppressed"].size());
  }
  // One reason for both, and the one a report's own small linked count gets: the analyst
  // cannot tell all linked from none, nor this rule from that one.
  EXPECT_EQ(reasons.size(), 1u);
  EXPECT_THAT(*reasons.begin(), HasSubstr("(none and all included)"));
  // Forty left out, thirty linked and ten not: a difference that may show its count, as a
  // cohort of forty with thirty linked may.
  std::set<int> forty;
  for (int i = 0; i < 40; ++i) forty.insert(i);
  absl::StatusOr<StudyResult> r = AnalyzeStudy(NoComparison(), Without(in, forty), {}, released);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->report["cohort"]["n_incident_set"], 120);
  // People are keyed by subject id, which the linker keeps for linked and unlinked subjects
  // alike when a case file is withdrawn and resubmitted (LinkerCore.ACaseFileWithdrawn*). Were
  // the unlinked subjects' ids new, the cohort's linked people would be a group of their own,
  // all linked, and the counts withheld: the safe side.
  std::vector<CohortSubjectIn> resubmitted = in;
  for (CohortSubjectIn& s : resubmitted)
    if (s.incidents.empty()) s.subject_id = "R" + s.subject_id;
  absl::StatusOr<StudyResult> again = AnalyzeStudy(NoComparison(), resubmitted, {}, released);
  if (again.ok()) EXPECT_TRUE(again->report["cohort"]["n_incident_set"].is_null());
  // Unlinked counted as zero: the funnel's linked cases are the linked count, under the same
  // rule.
  Study zero = NoComparison();
  zero.unlinked_as_zero = true;
  absl::StatusOr<StudyResult> z = AnalyzeStudy(zero, in, {}, {});
  ASSERT_THAT(z, IsOk());
  ASSERT_EQ(z->report["linkage"]["cases_linked_incidents"], 150);
  absl::StatusOr<StudyResult> z12 = AnalyzeStudy(zero, Without(in, linked), {}, z->released_sets);
  ASSERT_THAT(z12, IsOk());
  EXPECT_TRUE(z12->report["linkage"]["cases_linked_incidents"].is_null());
}

// Limit 2: the mean of a count over a cohort beside a model over the cohort minus the k subjects
// lacking a case attribute (known from the case file) gave the k's total: with a Poisson fit
// the intercept's score equation is the plain sum over the rest. And with them left out (and
// padded to min_cell by a digest, until session 11), the model's n beside the set's told whether
// one person lacking an attribute is linked (red team 15, A1: one case added without
// attributes, 45 of 45). A lacking attribute is now the cohort's median: nobody of the set is
// left out, whoever is linked.
TEST(StatisticSets, ASubjectLackingACaseAttributeIsInTheModelsOverTheirSet) {
  std::vector<CohortSubjectIn> in = Subjects(60, 7, 0, 0);
  for (int i : {5, 17, 29}) in[static_cast<size_t>(i)].cases[0].attributes.times_discussed.reset();
  Study study = NoComparison();
  study.lattice_margin = 0;  // the sets' rule alone (the lattice cost: Lattice.*)
  study.unlinked_as_zero = true;
  study.predictors = {"times_discussed"};
  absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
  ASSERT_THAT(r, IsOk());
  // No two groups of statistics about the same counts may be 1 to 9 subjects apart.
  std::vector<const SubjectSet*> groups;
  for (const SubjectSet& s : r->released_sets)
    if (s.family == "ledger") groups.push_back(&s);
  for (size_t a = 0; a < groups.size(); ++a) {
    for (size_t b = a + 1; b < groups.size(); ++b) {
      std::vector<std::string> diff;
      std::set_symmetric_difference(groups[a]->ids.begin(), groups[a]->ids.end(),
                                    groups[b]->ids.begin(), groups[b]->ids.end(),
                                    std::back_inserter(diff));
      EXPECT_TRUE(diff.empty() || diff.size() >= 10)
          << groups[a]->ids.size() << " and " << groups[b]->ids.size() << " subjects";
    }
  }
  // The model and the correlations are over all sixty; the descriptive of the attribute over
  // the fifty-seven who have it.
  EXPECT_FALSE(r->report["descriptives"]["convictions_year_after"].is_null());
  ASSERT_FALSE(r->report["regression"].is_null());
  EXPECT_EQ(r->report["regression"]["n"], 60);
  EXPECT_EQ(r->report["correlations"]["n"], 60);
  EXPECT_EQ(r->report["descriptives"]["times_discussed"]["n"], 57);
  // A1: one person lacking every case attribute, convicted or not (unlinked excluded): the
  // model's and the correlations' n are the set's either way.
  Study exclude = NoComparison();
  exclude.unlinked_as_zero = false;
  std::vector<CohortSubjectIn> lacking = Subjects(60, 7, 0, 0);
  CaseAttributes& a = lacking[5].cases[0].attributes;
  a = CaseAttributes{};
  a.kader = lacking[6].cases[0].attributes.kader;
  ASSERT_FALSE(lacking[5].convictions.empty());
  std::vector<CohortSubjectIn> unconvicted = lacking;
  unconvicted[5].convictions.clear();
  for (const auto* data : {&lacking, &unconvicted}) {
    absl::StatusOr<StudyResult> e = AnalyzeStudy(exclude, *data, {}, {});
    ASSERT_THAT(e, IsOk());
    const json& n_set = e->report["cohort"]["n_conviction_set"];
    ASSERT_TRUE(n_set.is_number()) << e->report["suppressed"];
    ASSERT_FALSE(e->report["regression"].is_null()) << e->report["suppressed"];
    EXPECT_EQ(e->report["regression"]["n"], n_set);
    EXPECT_EQ(e->report["regression_fixed_alpha"]["n"], n_set);
    EXPECT_EQ(e->report["correlations"]["n"], n_set);
  }
  // Across releases: a model over the whole sixty released first (its predictor known for
  // all), then the model with the attribute some lack: over the same sixty.
  Study all = study;
  all.predictors = {"age"};
  absl::StatusOr<StudyResult> first = AnalyzeStudy(all, in, {}, {});
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->report["regression"].is_null());
  EXPECT_EQ(first->report["regression"]["n"], 60);
  absl::StatusOr<StudyResult> next = AnalyzeStudy(study, in, {}, first->released_sets);
  ASSERT_THAT(next, IsOk());
  ASSERT_FALSE(next->report["regression"].is_null());
  EXPECT_EQ(next->report["regression"]["n"], 60);
}

// Limit 3: the matched comparison withheld matched subjects against the linked sets released
// before, and said how many: A released, then B = A plus twelve people of whom eight find no
// comparison subject; how many B withheld told how many of the twelve matched. B's comparison
// counts must be the same whatever was released before.
TEST(Comparison, ItsCountsDoNotDependOnTheLinkedSetsReleasedBefore) {
  std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 0);
  for (int i = 0; i < 8; ++i)  // no pool match: the case's age gives band 1900
    in[static_cast<size_t>(i)].cases[0].attributes.age = 2013 - 1900;
  // The twelve all hold convictions: a group of them with fewer than 10 convicted would withhold
  // the comparison whole (its conviction figures, red team 8 F2), and its counts with it.
  for (int i = 0; i < 12; ++i) {
    CohortSubjectIn& s = in[static_cast<size_t>(i)];
    if (s.convictions.empty()) s.convictions.push_back({s.incidents[0].day + 30, "", ""});
  }
  const std::vector<CohortSubjectIn> pool = Pool();
  Study study;
  study.unlinked_as_zero = true;
  study.kaders = {"hic", "jeugd"};
  std::set<int> twelve;
  for (int i = 0; i < 12; ++i) twelve.insert(i);
  // A: the twelve's cases in a kader the study does not read; B: in its kaders. The case
  // holders are the same (a comparison after they changed is withheld whole: red team 13, T6).
  std::vector<CohortSubjectIn> outside = in;
  for (int i : twelve) outside[static_cast<size_t>(i)].cases[0].attributes.kader = "veelpleger";
  absl::StatusOr<StudyResult> a = AnalyzeStudy(study, outside, pool, {});
  ASSERT_THAT(a, IsOk());
  ASSERT_FALSE(a->report["comparison"].is_null());
  const std::vector<CohortSubjectIn>& b = in;
  absl::StatusOr<StudyResult> alone = AnalyzeStudy(study, b, pool, {});
  absl::StatusOr<StudyResult> after = AnalyzeStudy(study, b, pool, a->released_sets);
  ASSERT_THAT(alone, IsOk());
  ASSERT_THAT(after, IsOk());
  const json& c0 = alone->report["comparison"];
  const json& c1 = after->report["comparison"];
  ASSERT_TRUE(c0.is_object());
  ASSERT_TRUE(c1.is_object());
  for (const char* k :
       {"cohort_subjects", "matched", "unmatched", "fewer_than_k", "withheld_for_disclosure"})
    EXPECT_EQ(c0[k], c1[k]) << k;
  // What the earlier release does change is withheld by the release budget's statistic
  // differencing, with its reason (data-dependent, the cohort recorded as released).
  for (size_t i = 0; i < after->report["suppressed"].size(); ++i) {
    const std::string p = after->report["suppressed"][i];
    if (p.rfind("/comparison", 0) == 0 &&
        std::find(alone->report["suppressed"].begin(), alone->report["suppressed"].end(), p) ==
            alone->report["suppressed"].end()) {
      EXPECT_THAT(after->report["suppressed_reasons"][i].get<std::string>(),
                  HasSubstr("the release budget"))
          << p;
    }
  }
}

// Limit 3, the pool: the analyst has one case added (outside the study) and reruns it. The
// pool shrank by one when that person was in the police files (and the pool's figures were
// withheld as differing by a few), and not otherwise: the figures told which.
TEST(Comparison, PoolFiguresDoNotTellWhetherANewCasesPersonIsKnownToThePolice) {
  const std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 4);
  const std::vector<CohortSubjectIn> pool = Pool();
  Study study;
  study.kaders = {"hic", "jeugd"};
  absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, pool, {});
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->report["comparison"]["pool_subjects"].is_number());
  CohortCaseIn outside;
  outside.first_discussed_day = DaysSinceEpoch({2013, 6, 3});
  outside.attributes.kader = "veelpleger";  // not in the study
  // Known to the police: a pool subject now holds a case.
  std::vector<CohortSubjectIn> known = in;
  std::vector<CohortSubjectIn> known_pool = pool;
  known.push_back(known_pool.back());
  known.back().cases.push_back(outside);
  known_pool.pop_back();
  // Not known: a new subject with the case only.
  std::vector<CohortSubjectIn> unknown = in;
  CohortSubjectIn stranger;
  stranger.subject_id = "S99999";
  stranger.cases.push_back(outside);
  unknown.push_back(stranger);
  absl::StatusOr<StudyResult> k = AnalyzeStudy(study, known, known_pool, first->released_sets);
  absl::StatusOr<StudyResult> u = AnalyzeStudy(study, unknown, pool, first->released_sets);
  ASSERT_THAT(k, IsOk());
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(k->report["comparison"].is_null(), u->report["comparison"].is_null());
  EXPECT_EQ(k->report["comparison"], u->report["comparison"]);
  EXPECT_EQ(ReasonFor(k->report, "/comparison"), ReasonFor(u->report, "/comparison"));
}

// Red team 5, A1: the same probe, when the new case's person was one of the MATCHED CONTROLS
// (drawn from the pool): leaving the pool changed the matched counts and the estimates, or had
// the budget withhold them. The whole comparison section must read the same either way. Each
// of the pool's last 40 people is tried; some of them are controls.
TEST(Comparison, NothingInItTellsWhetherANewCasesPersonWasAMatchedControl) {
  const std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 4);
  const std::vector<CohortSubjectIn> pool = Pool();
  Study study;
  study.kaders = {"hic", "jeugd"};
  study.comparison.bootstrap_replicates = 50;
  absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, pool, {});
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->report["comparison"].is_object());
  CohortCaseIn outside;
  outside.first_discussed_day = DaysSinceEpoch({2013, 6, 3});
  outside.attributes.kader = "veelpleger";  // not in the study
  CohortSubjectIn stranger;
  stranger.subject_id = "S99999";
  stranger.cases.push_back(outside);
  std::vector<CohortSubjectIn> unknown = in;
  unknown.push_back(stranger);
  absl::StatusOr<StudyResult> u = AnalyzeStudy(study, unknown, pool, first->released_sets);
  ASSERT_THAT(u, IsOk());
  for (size_t j = pool.size() - 40; j < pool.size(); ++j) {
    SCOPED_TRACE(j);
    std::vector<CohortSubjectIn> known = in;
    std::vector<CohortSubjectIn> known_pool = pool;
    known.push_back(known_pool[j]);
    known.back().cases.push_back(outside);
    known_pool.erase(known_pool.begin() + static_cast<std::ptrdiff_t>(j));
    absl::StatusOr<StudyResult> k = AnalyzeStudy(study, known, known_pool, first->released_sets);
    ASSERT_THAT(k, IsOk());
    EXPECT_EQ(k->report["comparison"], u->report["comparison"]);
    EXPECT_EQ(k->report["suppressed"], u->report["suppressed"]);
    EXPECT_EQ(k->report["suppressed_reasons"], u->report["suppressed_reasons"]);
    if (::testing::Test::HasFailure()) break;
  }
}

// Limit 3, at group level: ten cases added outside the study, the analyst knowing that nine of
// their people are unknown to the police. Before, when the tenth was known to the police (a
// pool subject now holding a case) the pool shrank by one and its figures were withheld as a
// few apart; when not, they were released unchanged: the tenth's police status. Then (until
// session 10) the added people were a group under the linked-count rule, which fictional cases
// and certified decoys made a one-person question (red team 13, T6). Now the comparison is
// withheld whenever the case holders changed, whoever they are.
TEST(Comparison, CasesAddedByTenDoNotTellHowManyOfTheirPeopleCameFromThePool) {
  const std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 4);
  const std::vector<CohortSubjectIn> pool = Pool();
  Study study;
  study.kaders = {"hic", "jeugd"};
  study.comparison.bootstrap_replicates = 50;
  absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, pool, {}, "key");
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->report["comparison"]["pool_subjects"].is_number());
  // Cases outside the study (another kader): `known` of them of pool people, the rest strangers.
  auto add = [&](int strangers, int known) {
    std::pair<std::vector<CohortSubjectIn>, std::vector<CohortSubjectIn>> out{in, pool};
    for (int i = 0; i < strangers + known; ++i) {
      CohortCaseIn outside;
      outside.first_discussed_day = DaysSinceEpoch({2013, 6, 1 + i % 28});
      outside.attributes.kader = "veelpleger";
      outside.attributes.age = 20 + i;
      if (i < known) {
        out.first.push_back(out.second.back());
        out.second.pop_back();
      } else {
        CohortSubjectIn stranger;
        stranger.subject_id = Cat("S9", 1000 + i);
        out.first.push_back(stranger);
      }
      out.first.back().cases.push_back(outside);
    }
    return out;
  };
  auto run = [&](int strangers, int known) {
    auto [subjects, rest] = add(strangers, known);
    return AnalyzeStudy(study, subjects, rest, first->released_sets, "key");
  };
  absl::StatusOr<StudyResult> none = run(10, 0), one = run(9, 1);
  ASSERT_THAT(none, IsOk());
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(none->report["comparison"], one->report["comparison"]);
  EXPECT_EQ(none->report["suppressed"], one->report["suppressed"]);
  EXPECT_EQ(none->report["suppressed_reasons"], one->report["suppressed_reasons"]);
  EXPECT_TRUE(one->report["comparison"].is_null());
  EXPECT_THAT(ReasonFor(one->report, "/comparison"),
              HasSubstr("the case file changed who holds a case"));
  bool named = false;
  for (const json& w : one->withheld)
    named =
        named || (w["pointer"] == "/comparison" && w["rules"][0]["rule"] == "case_holders_changed");
  EXPECT_TRUE(named);
  // Thirty added, fifteen known: the same.
  absl::StatusOr<StudyResult> thirty = run(15, 15);
  ASSERT_THAT(thirty, IsOk());
  EXPECT_TRUE(thirty->report["comparison"].is_null());
  // A probe one case from a withheld state is withheld by the case file's own rule (the state
  // was recorded as if released), so the decision cannot be stepped person by person.
  std::vector<SubjectSet> history = first->released_sets;
  for (const SubjectSet& set : one->released_sets) history.push_back(set);
  auto [eleven, rest] = add(10, 1);
  absl::StatusOr<StudyResult> next = AnalyzeStudy(study, eleven, rest, history, "key");
  ASSERT_THAT(next, IsOk());
  EXPECT_TRUE(next->report["comparison"].is_null());
  EXPECT_THAT(ReasonFor(next->report, "/comparison"), HasSubstr("differs from an earlier"));
}

// Session 6, a differencing attack the set checks did not see: two studies over the SAME people
// whose definitions differ for one person only. (a) The window starts one day after the first
// case of someone who has a later case (and the only case that day): every person stays in the
// cohort, but that person's reference moves to their later case, and every mean over the same
// set differed by their change alone. (b) An incident category only one person has in their
// windows, excluded: the same. Before session 6 both second studies were released. (a) is
// refused (the case file decides it); (b) since session 8 is released with every figure over
// the police counts withheld: its refusal said whether one person among fictional fillers held
// an incident of the category (red team 8, F3b). Since session 11 any other filter over people
// released under one is (rule incident_filter_changed).
TEST(ReferenceShift, StudiesOverTheSamePeopleDifferingForOneOfThemAreRefused) {
  std::vector<CohortSubjectIn> in = Subjects(120, 7, 0, 4);
  // Subject 0's only case (2013-01-01) is alone on its day; give them a second case in June.
  CohortSubjectIn& p = in[0];
  ASSERT_EQ(p.cases[0].first_discussed_day, DaysSinceEpoch({2013, 1, 1}));
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].cases[0].first_discussed_day == p.cases[0].first_discussed_day)
      in[i].cases[0].first_discussed_day = DaysSinceEpoch({2013, 1, 3});
  }
  CohortCaseIn later = p.cases[0];
  later.first_discussed_day = DaysSinceEpoch({2013, 6, 15});
  p.cases.push_back(later);
  p.incidents.push_back({DaysSinceEpoch({2013, 7, 1}), "overig", "verdachte"});
  std::sort(p.incidents.begin(), p.incidents.end(),
            [](const CohortEventIn& x, const CohortEventIn& y) { return x.day < y.day; });
  Study a = NoComparison();
  a.first_discussed_from = Date{2013, 1, 1};
  absl::StatusOr<StudyResult> first = AnalyzeStudy(a, in, {}, {}, "key");
  ASSERT_THAT(first, IsOk());
  Study b = a;
  b.first_discussed_from = Date{2013, 1, 2};
  ASSERT_EQ(BuildCohort(in, a).size(), BuildCohort(in, b).size());
  absl::StatusOr<StudyResult> shifted = AnalyzeStudy(b, in, {}, first->released_sets, "key");
  ASSERT_FALSE(shifted.ok()) << "released: " << shifted->report["descriptives"].dump();
  EXPECT_THAT(std::string(shifted.status().message()), HasSubstr("another case as a person's"));
  // (b) The category only subject 0 has.
  for (CohortSubjectIn& s : in)
    for (CohortEventIn& e : s.incidents)
      if (&s != &in[0]) e.category = "misdrijf";
  absl::StatusOr<StudyResult> all = AnalyzeStudy(a, in, {}, {}, "key");
  ASSERT_THAT(all, IsOk());
  Study without = a;
  without.excluded_categories = {"verkeer", "administratief", "overig"};
  absl::StatusOr<StudyResult> filtered = AnalyzeStudy(without, in, {}, all->released_sets, "key");
  ASSERT_FALSE(all->report["descriptives"]["incidents_year_after"].is_null());

  ASSERT_THAT(filtered, IsOk());
  EXPECT_TRUE(filtered->report["descriptives"]["incidents_year_after"].is_null());
  EXPECT_TRUE(filtered->report["cohort"]["n_incident_set"].is_null());
  EXPECT_FALSE(filtered->report["descriptives"]["age"].is_null());
  // A filter that changes no one's figures is withheld alike (since session 11): released, it
  // certified that none of these people holds such an incident, and a second cohort of them
  // with one more person then asked about that person (red team 15, F1). The same figures, the
  // same reasons, whatever the people's incidents.
  Study roles = a;
  roles.roles = {"verdachte"};
  absl::StatusOr<StudyResult> same = AnalyzeStudy(roles, in, {}, all->released_sets, "key");
  ASSERT_THAT(same, IsOk());
  EXPECT_TRUE(same->report["descriptives"]["incidents_year_after"].is_null());
  EXPECT_EQ(same->report["suppressed"], filtered->report["suppressed"]);
  EXPECT_EQ(same->report["suppressed_reasons"], filtered->report["suppressed_reasons"]);
  EXPECT_FALSE(same->report["descriptives"]["age"].is_null());
  // The first filter again: released as before.
  absl::StatusOr<StudyResult> again = AnalyzeStudy(a, in, {}, all->released_sets, "key");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->report["descriptives"], all->report["descriptives"]);
}

}  // namespace
// Red team 7b, H1 and H3: with unlinked counted as zero, one person's case among fictional
// fillers the police do not know made every mean x n that person's count, and the dominance
// reason told a zero from a nonzero window. Fewer than min_cell linked in "zero" mode now
// withholds every figure over the counts of that kind, with one reason: the released report
// is the same whatever the person's counts, and whether the police know them at all.
TEST(ZeroMode, OnePersonAmongFillersGivesAwayNothing) {
  Study study;
  study.unlinked_as_zero = true;
  study.comparison.enabled = false;
  auto report = [&](int linked, int incidents) {
    std::vector<CohortSubjectIn> in = Subjects(49, 5, 0, 0);
    for (size_t i = 0; i < in.size(); ++i) {
      if (static_cast<int>(i) < linked) continue;
      in[i].incidents.clear();
      in[i].convictions.clear();
    }
    if (linked > 0) {
      in[0].incidents.resize(static_cast<size_t>(incidents),
                             {in[0].cases[0].first_discussed_day - 10, "misdrijf", "verdachte"});
    }
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, in, {}, {});
    EXPECT_THAT(r, IsOk());
    json out = r->report;
    out.erase("audit");
    return out;
  };
  const json none = report(0, 0);
  for (const json& probe : {report(1, 0), report(1, 3), report(1, 12), report(9, 3)}) {
    EXPECT_EQ(probe["descriptives"], none["descriptives"]);
    EXPECT_EQ(probe["paired_tests"], none["paired_tests"]);
    EXPECT_EQ(probe["suppressed"], none["suppressed"]);
    EXPECT_EQ(probe["suppressed_reasons"], none["suppressed_reasons"]);
  }
  EXPECT_TRUE(none["descriptives"]["incidents_year_before"].is_null());
  EXPECT_TRUE(none["paired_tests"]["incidents_year"].is_null());
  EXPECT_TRUE(none["descriptives"]["convictions_year_after"].is_null());
  // Ten linked: a group's figures, released.
  const json ten = report(10, 3);
  EXPECT_FALSE(ten["descriptives"]["incidents_year_before"].is_null());
  EXPECT_FALSE(ten["paired_tests"]["incidents_year"].is_null());
}

// Red team 7b, H2: a cohort subject's gender and band in the comparison are its case's. A
// case saying "v" whose police records say "m" gave a balance of male 1.0 where a person
// unknown to the police gave a withheld one.
TEST(Comparison, ACohortSubjectsGenderIsItsCasesWhateverThePoliceRecordsSay) {
  std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 4);
  const std::vector<CohortSubjectIn> pool = Pool();
  Study study;
  study.kaders = {"hic", "jeugd"};
  absl::StatusOr<StudyResult> as_is = AnalyzeStudy(study, in, pool, {});
  ASSERT_THAT(as_is, IsOk());
  ASSERT_FALSE(as_is->report["comparison"].is_null());
  // The police records say otherwise for every linked subject: nothing released changes.
  std::vector<CohortSubjectIn> other = in;
  for (CohortSubjectIn& s : other) {
    if (s.incidents.empty() && s.convictions.empty()) continue;
    s.gender = s.gender == 'm' ? 'v' : 'm';
    s.birth_band += 20;
  }
  absl::StatusOr<StudyResult> flipped = AnalyzeStudy(study, other, pool, {});
  ASSERT_THAT(flipped, IsOk());
  EXPECT_EQ(flipped->report["comparison"], as_is->report["comparison"]);
}

// Red team 7c: with unlinked counted as zero, two cohorts ten apart (the target and nine
// fictional fillers) gave the target's counts as mean x n of one minus the other's: the ten
// hold one linked person. The second release, in either order, withholds every figure over
// the counts; a difference holding ten linked people is released.
TEST(ZeroMode, TwoCohortsTenApartWithOneLinkedPersonBetweenThemGiveNothing) {
  auto cohort = [](int linked_in_k1) {
    std::vector<CohortSubjectIn> in = Subjects(40, 5, 0, 0);
    for (CohortSubjectIn& s : in) s.cases[0].attributes.kader = "k2";
    std::vector<CohortSubjectIn> k1 = Subjects(10, 9, 500, 0);
    for (size_t i = 0; i < k1.size(); ++i) {
      k1[i].cases[0].attributes.kader = "k1";
      if (static_cast<int>(i) >= linked_in_k1) {
        k1[i].incidents.clear();
        k1[i].convictions.clear();
      }
    }
    in.insert(in.end(), k1.begin(), k1.end());
    return in;
  };
  Study small, large;
  small.unlinked_as_zero = large.unlinked_as_zero = true;
  small.comparison.enabled = large.comparison.enabled = false;
  small.kaders = {"k2"};
  large.kaders = {"k1", "k2"};
  const std::vector<CohortSubjectIn> one = cohort(1);
  for (bool small_first : {true, false}) {
    SCOPED_TRACE(small_first);
    const Study& first = small_first ? small : large;
    const Study& second = small_first ? large : small;
    absl::StatusOr<StudyResult> a = AnalyzeStudy(first, one, {}, {});
    ASSERT_THAT(a, IsOk());
    ASSERT_FALSE(a->report["descriptives"]["incidents_year_before"].is_null())
        << a->report["suppressed"].dump() << a->report["suppressed_reasons"].dump();
    absl::StatusOr<StudyResult> b = AnalyzeStudy(second, one, {}, a->released_sets);
    ASSERT_THAT(b, IsOk());
    for (const char* v :
         {"incidents_year_before", "incidents_quarter_after", "convictions_year_before"})
      EXPECT_TRUE(b->report["descriptives"][v].is_null()) << v;
    EXPECT_TRUE(b->report["paired_tests"]["incidents_year"].is_null());
  }
  // Ten linked people between them: a group's figures.
  const std::vector<CohortSubjectIn> ten = cohort(10);
  absl::StatusOr<StudyResult> a = AnalyzeStudy(small, ten, {}, {});
  ASSERT_THAT(a, IsOk());
  absl::StatusOr<StudyResult> b = AnalyzeStudy(large, ten, {}, a->released_sets);
  ASSERT_THAT(b, IsOk());
  EXPECT_FALSE(b->report["descriptives"]["incidents_year_before"].is_null());
}

}  // namespace pprl

namespace pprl {
namespace {

// The analyst's view of a report: everything but the audit reference.
json AnalystView(const absl::StatusOr<StudyResult>& r) {
  if (!r.ok()) return json{{"refused", std::string(r.status().message())}};
  json out = r->report;
  out.erase("audit");
  return out;
}

// Red team 8, F3: one person T among 12 fictional fillers (cases the police do not know). The
// refusal of a rerun whose inputs changed for 1 to 9 people was a one-bit answer about T alone:
// whether the police registered anything new about them (a witness incident outside every
// window did it), whether they held an incident of a category and role in the windows (the
// filter switched on the same cohort), and by moving the reference day, its date. Now the
// analyst's view is the same whatever T's data, in both modes.
TEST(Fillers, OnePersonsRecordsDoNotDecideTheOutcomeOfARerun) {
  for (const bool zero : {false, true}) {
    std::vector<CohortSubjectIn> in = Subjects(13, 11, 0, 0);
    for (size_t i = 1; i < in.size(); ++i) {
      in[i].incidents.clear();
      in[i].convictions.clear();
    }
    const int32_t t = in[0].cases[0].first_discussed_day;
    Study study = NoComparison();
    study.unlinked_as_zero = zero;
    absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, {}, {}, "key");
    ASSERT_THAT(first, IsOk());
    const std::vector<SubjectSet> released = first->released_sets;
    const json unchanged = AnalystView(AnalyzeStudy(study, in, {}, released, "key"));
    ASSERT_FALSE(unchanged.contains("refused"));
    // A police update: a witness incident long after every window; an incident in the year after.
    std::vector<CohortSubjectIn> witness = in, suspect = in;
    witness[0].incidents.push_back({t + 2000, "misdrijf", "getuige"});
    suspect[0].incidents.push_back({t + 100, "misdrijf", "verdachte"});
    std::sort(suspect[0].incidents.begin(), suspect[0].incidents.end(),
              [](const CohortEventIn& a, const CohortEventIn& b) { return a.day < b.day; });
    EXPECT_EQ(AnalystView(AnalyzeStudy(study, witness, {}, released, "key")), unchanged) << zero;
    EXPECT_EQ(AnalystView(AnalyzeStudy(study, suspect, {}, released, "key")), unchanged) << zero;
    // The filter switched on the same cohort: counting only a category T has in the windows,
    // or only one T has not.
    std::vector<CohortSubjectIn> categories = in;
    for (CohortEventIn& e : categories[0].incidents) e.category = "verkeer";
    absl::StatusOr<StudyResult> all = AnalyzeStudy(study, categories, {}, {}, "key");
    ASSERT_THAT(all, IsOk());
    Study only_verkeer = study, only_overig = study;
    only_verkeer.excluded_categories = {"misdrijf", "administratief", "overig"};
    only_overig.excluded_categories = {"misdrijf", "administratief", "verkeer"};
    json verkeer =
        AnalystView(AnalyzeStudy(only_verkeer, categories, {}, all->released_sets, "key"));
    json overig = AnalystView(AnalyzeStudy(only_overig, categories, {}, all->released_sets, "key"));
    verkeer.erase("study");  // the definition itself, which the analyst wrote
    overig.erase("study");
    EXPECT_EQ(verkeer, overig) << zero;
  }
}

// Red team 8, F2: the comparison's conviction balance, estimates and trajectories were outside
// the conviction linked-count rule: with 10 or more people known for incidents but fewer than
// 10 with convictions, every other conviction figure was withheld and the comparison's treated
// conviction means were released, one person's counts among people without convictions. The
// kind-level check: where a kind's rule withholds its figures, changing one subject's counts of
// that kind changes nothing the analyst reads.
TEST(Lineage, WhereAKindsRuleFiresOnePersonsCountsOfThatKindChangeNothing) {
  const std::vector<CohortSubjectIn> pool = Pool();
  Study study;
  study.kaders = {"hic", "jeugd"};
  for (const bool convictions : {true, false}) {
    // One in four unknown to the police; of the others, three hold records of the kind under
    // test, all the other kind.
    std::vector<CohortSubjectIn> in = Subjects(80, 7, 0, 4);
    for (size_t i = 3; i < in.size(); ++i) {
      if (convictions) {
        in[i].convictions.clear();
      } else {
        in[i].incidents.clear();
      }
    }
    const int32_t t = in[0].cases[0].first_discussed_day;
    std::vector<CohortSubjectIn> more = in;
    for (int k = 0; k < 4; ++k) {
      if (convictions) {
        more[0].convictions.push_back({t + 30 + 20 * k, "", ""});
      } else {
        more[0].incidents.push_back({t + 30 + 20 * k, "misdrijf", "verdachte"});
      }
    }
    for (auto* list : {&more[0].incidents, &more[0].convictions}) {
      std::sort(list->begin(), list->end(),
                [](const CohortEventIn& a, const CohortEventIn& b) { return a.day < b.day; });
    }
    const json base = AnalystView(AnalyzeStudy(study, in, pool, {}, "key"));
    ASSERT_FALSE(base.contains("refused")) << base.dump();
    EXPECT_EQ(AnalystView(AnalyzeStudy(study, more, pool, {}, "key")), base)
        << (convictions ? "convictions" : "incidents");
  }
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// Red team 9, R1: a case-file officer copied every person's case into a new kader on its own
// day, but one person's T on a day the analyst chose. The case-file inputs changed for everyone
// (a new case each) and the police inputs for T alone when T's window counts on that day
// differed: the withholding that followed was T's bit, and bisection gave the date of T's only
// incident. The case-file inputs are now what the study reads (reference day, case variables)
// of each subject by id, and the people whose case-file inputs changed are a group under the
// linked-count rule: whatever T's counts, the analyst reads the same (a refusal by the case
// file's rule, or every count figure withheld). Also when the link run lists the copy first (the
// first case of everyone then was the copy, and as the case file showed them everyone looked
// new) and gives the subjects the police do not know other ids (a resubmitted case file does);
// and with nine people the police do not know moved with T.
// Red team 10, N1: the same with every copy's times_discussed changed, so that everyone's
// case-file inputs changed and their group passed the rule; the people whose reference day moved
// are now a group of their own, and with nine known and ten unknown decoys moved a day (whose
// counts seldom change) beside the person, fewer than ten moved people hold other counts.
TEST(ReferenceProbe, ACopiedCaseFileWithOneDayMovedTellsNothingOfThatPerson) {
  const Study study = NoComparison();
  for (const bool everyone_changed : {false, true})
    for (const int decoys : {0, 1, 2}) {  // none; nine unknown; nine known and ten unknown
      const bool with_decoys = decoys > 0;
      for (const bool new_ids : {false, true}) {
        std::vector<json> views;
        for (const bool counts_change : {false, true}) {
          std::vector<CohortSubjectIn> in = Subjects(120, 7, 0, 4);
          CohortSubjectIn& target = in[0];
          const int32_t d0 = target.cases[0].first_discussed_day;
          // An incident on the reference day is counted after it; one day later, before it.
          target.incidents = {{d0 - 30, "misdrijf", "verdachte"},
                              {counts_change ? d0 : d0 + 30, "misdrijf", "verdachte"}};
          absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, {}, {}, "key");
          ASSERT_THAT(first, IsOk());
          std::vector<size_t> moved = {0};
          // Unknown to the police: i % 4 == 3.
          for (size_t i = 3; with_decoys && moved.size() < (decoys == 2 ? 11u : 10u); i += 4)
            moved.push_back(i);
          for (size_t i = 1; decoys == 2 && moved.size() < 20; ++i) {
            if (i % 4 != 3) moved.push_back(i);
          }
          for (size_t i = 0; i < in.size(); ++i) {
            CohortCaseIn copy = in[i].cases[0];
            copy.attributes.kader = "kopie";
            if (everyone_changed) copy.attributes.times_discussed = 9;
            if (std::find(moved.begin(), moved.end(), i) != moved.end())
              copy.first_discussed_day += 1;
            // The link run may list a person's cases in any order: with the copy first, the
            // person's first case (day, age, gender, kader) was the copy's, for everyone.
            if (new_ids) {
              in[i].cases.insert(in[i].cases.begin(), copy);
            } else {
              in[i].cases.push_back(copy);
            }
            if (new_ids && i % 4 == 3) in[i].subject_id = Cat("N", in[i].subject_id);
          }
          Study probe = study;
          probe.kaders = {"kopie"};
          absl::StatusOr<StudyResult> r = AnalyzeStudy(probe, in, {}, first->released_sets, "key");
          if (r.ok()) {
            EXPECT_TRUE(r->report["descriptives"]["incidents_year_after"].is_null());
            EXPECT_TRUE(r->report["cohort"]["n_incident_set"].is_null());
            EXPECT_FALSE(r->report["descriptives"]["age"].is_null());
          } else {
            EXPECT_THAT(std::string(r.status().message()), HasSubstr("case file's data"));
            EXPECT_FALSE(RefusalDependsOnData(r.status()));
          }
          views.push_back(AnalystView(r));
        }
        ASSERT_EQ(views.size(), 2u);
        EXPECT_EQ(views[0], views[1]) << everyone_changed << decoys << new_ids;
        // Without decoys or new ids, the case file's own rule refuses it.
        if (!everyone_changed && !with_decoys && !new_ids)
          EXPECT_TRUE(views[0].contains("refused"));
      }
    }
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

CohortEventIn Incident(int32_t day) { return {day, "misdrijf", "verdachte"}; }

void AddIncident(CohortSubjectIn& s, int32_t day) {
  s.incidents.push_back(Incident(day));
  std::sort(s.incidents.begin(), s.incidents.end(),
            [](const CohortEventIn& a, const CohortEventIn& b) { return a.day < b.day; });
}

// Red team 9, R1, the part session 8 left: after a police update, an analyst reruns a released
// study over people of whom they believe all but one person's records unchanged. Withholding
// every count figure when 1 to 9 people's inputs changed told them whether that one person's
// had. Now the rerun reads those people's inputs as the release did: the analyst's view is the
// same whether the person got a new incident in the year after, became known to the police, or
// had an incident move from one quarter to another within the year before (the comparison's
// trajectories read quarters), in both modes, with the comparison, and for another model over
// the same counts. Ten or more people changed: the figures are fresh, and the next update of
// one person reads as that release.
TEST(PoliceUpdate, ARerunAfterOnePersonsRecordsChangedReadsAsIfNothingChanged) {
  const std::vector<CohortSubjectIn> pool = Pool();
  for (const bool zero : {false, true}) {
    Study study;
    study.kaders = {"hic", "jeugd"};
    study.unlinked_as_zero = zero;
    const std::vector<CohortSubjectIn> in = Subjects(120, 7, 0, 4);
    absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, pool, {}, "key");
    ASSERT_THAT(first, IsOk());
    const std::vector<SubjectSet> released = first->released_sets;
    const json unchanged = AnalystView(AnalyzeStudy(study, in, pool, released, "key"));
    ASSERT_FALSE(unchanged.contains("refused"));
    ASSERT_FALSE(unchanged["descriptives"]["incidents_year_after"].is_null()) << unchanged.dump();
    ASSERT_FALSE(unchanged["comparison"].is_null());
    EXPECT_EQ(unchanged, AnalystView(first));

    const int32_t t0 = in[0].cases[0].first_discussed_day;
    std::vector<CohortSubjectIn> after = in, newly_known = in, moved = in;
    AddIncident(after[0], t0 + 40);
    ASSERT_TRUE(newly_known[3].incidents.empty());
    AddIncident(newly_known[3], newly_known[3].cases[0].first_discussed_day + 40);
    // Within the year before, outside the quarter before: from its first quarter to its third
    // (no window count changes; the trajectories do).
    const int32_t t1 = moved[1].cases[0].first_discussed_day;
    moved[1].incidents.erase(
        std::remove_if(moved[1].incidents.begin(), moved[1].incidents.end(),
                       [&](const CohortEventIn& e) { return e.day >= t1 - 370 && e.day < t1; }),
        moved[1].incidents.end());
    AddIncident(moved[1], t1 - 300);
    absl::StatusOr<StudyResult> before_move = AnalyzeStudy(study, moved, pool, {}, "key");
    AddIncident(moved[1], t1 - 150);
    moved[1].incidents.erase(
        std::find_if(moved[1].incidents.begin(), moved[1].incidents.end(),
                     [&](const CohortEventIn& e) { return e.day == t1 - 300; }));
    ASSERT_THAT(before_move, IsOk());
    for (const auto& [name, update] :
         {std::pair{"an incident after", &after}, std::pair{"newly known", &newly_known}}) {
      absl::StatusOr<StudyResult> r = AnalyzeStudy(study, *update, pool, released, "key");
      ASSERT_THAT(r, IsOk());
      EXPECT_EQ(r->police_inputs_restored, 1) << name;
      EXPECT_EQ(AnalystView(r), unchanged) << name << " zero " << zero;
    }
    {
      // The quarter move, against its own release.
      const json base = AnalystView(AnalyzeStudy(study, moved, pool, {}, "key"));
      absl::StatusOr<StudyResult> r =
          AnalyzeStudy(study, moved, pool, before_move->released_sets, "key");
      ASSERT_THAT(r, IsOk());
      EXPECT_EQ(r->police_inputs_restored, 1);
      EXPECT_EQ(AnalystView(r), AnalystView(before_move)) << "zero " << zero;
      EXPECT_NE(base["comparison"]["trajectories"],
                AnalystView(before_move)["comparison"]["trajectories"]);
    }
    // The remembered inputs are counted around the reference day: a person whose reference day
    // moved too has other inputs, and nothing is given again.
    {
      const std::vector<SubjectVariables> original = BuildCohort(in, study);
      std::vector<SubjectVariables> restored = BuildCohort(after, study);
      EXPECT_EQ(RestorePoliceInputs(study, InputsSets(study, after, restored, "key")[1], released,
                                    &restored),
                1);
      EXPECT_EQ(restored[0].values, original[0].values);
      EXPECT_EQ(restored[0].incident_quarters, original[0].incident_quarters);
      std::vector<CohortSubjectIn> shifted = after;
      shifted[0].cases[0].first_discussed_day += 1;
      std::vector<SubjectVariables> moved_day = BuildCohort(shifted, study);
      EXPECT_EQ(RestorePoliceInputs(study, InputsSets(study, shifted, moved_day, "key")[1],
                                    released, &moved_day),
                0);
    }
    // A cohort no release had (red team 11, P1): each person's inputs are set back from the
    // last release that held them.
    {
      // Four groups of 60 (atoms of the three cohorts, each with 15 the police do not know).
      Study plain = NoComparison();
      plain.unlinked_as_zero = zero;
      const std::vector<CohortSubjectIn> in = Subjects(240, 7, 0, 4);
      std::vector<CohortSubjectIn> after = in;
      AddIncident(after[0], after[0].cases[0].first_discussed_day + 40);
      std::set<int> second_half, z_out;
      for (int i = 120; i < 240; ++i) second_half.insert(i);
      for (int i = 60; i < 120; ++i) z_out.insert(i);
      for (int i = 180; i < 240; ++i) z_out.insert(i);
      absl::StatusOr<StudyResult> x = AnalyzeStudy(plain, Without(in, second_half), {}, {}, "key");
      ASSERT_THAT(x, IsOk());
      std::vector<SubjectSet> history = x->released_sets;
      absl::StatusOr<StudyResult> y = AnalyzeStudy(plain, in, {}, history, "key");
      ASSERT_THAT(y, IsOk());
      history.insert(history.end(), y->released_sets.begin(), y->released_sets.end());
      const json z = AnalystView(AnalyzeStudy(plain, Without(in, z_out), {}, history, "key"));
      ASSERT_FALSE(z.contains("refused"));
      ASSERT_FALSE(z["descriptives"]["incidents_year_after"].is_null());
      absl::StatusOr<StudyResult> z_after =
          AnalyzeStudy(plain, Without(after, z_out), {}, history, "key");
      ASSERT_THAT(z_after, IsOk());
      EXPECT_EQ(z_after->police_inputs_restored, 1);
      EXPECT_EQ(AnalystView(z_after), z) << "zero " << zero;
    }
    // Another model over the same counts, first released over the changed data: the same as
    // over the unchanged data.
    Study other = study;
    other.predictors = {"age", "life_domains"};
    EXPECT_EQ(AnalystView(AnalyzeStudy(other, after, pool, released, "key")),
              AnalystView(AnalyzeStudy(other, in, pool, released, "key")));

    // Ten people with a new incident: released fresh, their incidents counted.
    std::vector<CohortSubjectIn> ten = in;
    int changed = 0;
    for (size_t i = 0; changed < 10; ++i) {
      if (ten[i].incidents.empty()) continue;
      AddIncident(ten[i], ten[i].cases[0].first_discussed_day + 40);
      ++changed;
    }
    absl::StatusOr<StudyResult> fresh = AnalyzeStudy(study, ten, pool, released, "key");
    ASSERT_THAT(fresh, IsOk());
    EXPECT_EQ(fresh->police_inputs_restored, 0);
    const json fresh_view = AnalystView(fresh);
    ASSERT_FALSE(fresh_view["descriptives"]["incidents_year_after"].is_null());
    EXPECT_GT(fresh_view["descriptives"]["incidents_year_after"]["mean"].get<double>(),
              unchanged["descriptives"]["incidents_year_after"]["mean"].get<double>());
    // Then one more person: as that release.
    std::vector<SubjectSet> both = released;
    for (const SubjectSet& s : fresh->released_sets) both.push_back(s);
    std::vector<CohortSubjectIn> eleven = ten;
    AddIncident(eleven[2], eleven[2].cases[0].first_discussed_day + 50);
    EXPECT_EQ(AnalystView(AnalyzeStudy(study, eleven, pool, both, "key")), fresh_view);
  }
}

// The restore's baseline is the last release, not the last stored (session 9's edge): the
// record does not store a set twice, so police data that went back to a state released before
// (A, then B with ten people changed, then A again) left B's inputs as everyone's last, and
// the next update of one person, eleven apart from B, read fresh: that release and the one
// just before (A again) differed by that one person's counts. Recorded as the analyzer records
// (NotYetRecorded), A again is stored again and the update reads as A.
TEST(PoliceUpdate, DataThatWentBackAreTheBaselineOfTheNextUpdate) {
  Study study = NoComparison();
  const std::vector<CohortSubjectIn> a = Subjects(120, 7, 0, 4);
  std::vector<SubjectSet> history;
  auto release = [&](const std::vector<CohortSubjectIn>& data) {
    absl::StatusOr<StudyResult> r = AnalyzeStudy(study, data, {}, history, "key");
    EXPECT_THAT(r, IsOk());
    if (!r.ok()) return std::pair{json(), -1};
    for (SubjectSet& s : NotYetRecorded(study, r->released_sets, history))
      history.push_back(std::move(s));
    return std::pair{AnalystView(r), r->police_inputs_restored};
  };
  const auto [view_a, restored_a] = release(a);
  ASSERT_FALSE(view_a["descriptives"]["incidents_year_after"].is_null());
  std::vector<CohortSubjectIn> b = a;
  std::set<size_t> ten;
  for (size_t i = 1; ten.size() < 10; ++i) {
    if (b[i].incidents.empty()) continue;
    AddIncident(b[i], b[i].cases[0].first_discussed_day + 40);
    ten.insert(i);
  }
  EXPECT_EQ(release(b).second, 0);
  const size_t before_again = history.size();
  const auto [view_again, restored_again] = release(a);
  EXPECT_EQ(restored_again, 0);
  EXPECT_EQ(view_again, view_a);
  EXPECT_GT(history.size(), before_again);  // the police inputs stored again
  std::vector<CohortSubjectIn> c = a;
  ASSERT_FALSE(ten.contains(0));
  AddIncident(c[0], c[0].cases[0].first_discussed_day + 40);
  const auto [view_c, restored_c] = release(c);
  EXPECT_EQ(restored_c, 1);
  EXPECT_EQ(view_c, view_a);
  // A rerun on unchanged data stores nothing new.
  const size_t settled = history.size();
  release(c);
  EXPECT_EQ(history.size(), settled);
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// Red team 10, O1: people in the linked-count families were keyed by their first case, and a
// same-day copy of every case in another kader, listed first by the link run, made that first
// case another for everyone: a cohort of the released people plus ten fictional fillers looked
// like a new population and published its linked count beside the earlier one (the same: none
// of the ten known to the police). People are keyed by subject id now.
TEST(LinkedCounts, ACopyOfEveryCaseListedFirstMakesNobodyNew) {
  const Study study = NoComparison();
  std::vector<CohortSubjectIn> in = Subjects(120, 7, 0, 4);
  absl::StatusOr<StudyResult> first = AnalyzeStudy(study, in, {}, {}, "key");
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->report["linkage"]["cases_linked_incidents"].is_null());
  for (CohortSubjectIn& s : in) {
    CohortCaseIn copy = s.cases[0];
    copy.attributes.kader = "kopie";
    s.cases.insert(s.cases.begin(), copy);
  }
  std::vector<CohortSubjectIn> fillers = Subjects(10, 3, 5000, 1);  // none known to the police
  for (CohortSubjectIn& f : fillers) {
    f.cases[0].attributes.kader = "kopie";
    in.push_back(f);
  }
  Study probe = study;
  probe.kaders = {"kopie"};
  absl::StatusOr<StudyResult> r = AnalyzeStudy(probe, in, {}, first->released_sets, "key");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->report["cohort"]["n"], 130);
  EXPECT_TRUE(r->report["linkage"]["cases_linked_incidents"].is_null());
  EXPECT_TRUE(r->report["cohort"]["n_incident_set"].is_null());
  EXPECT_TRUE(r->report["descriptives"]["incidents_year_after"].is_null());
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// Red team 12, S1 to S5: the case-file officer changed a person's surname under the same case id.
// Known to the police, the person's records split off (a subject without a case, in the
// comparison pool); unknown, nothing else moved. Reruns were refused, or the pool's figures
// withheld, exactly when the police knew the person. The case's identity digest (the linker's)
// is now an input of the case file: a rerun over the person is refused by the case file's rule,
// and the comparison of a cohort without them is withheld by the case file's own, alike.
TEST(IdentityChange, ACaseWhoseNameChangedTellsNothingOfThePolice) {
  std::vector<CohortSubjectIn> in = Subjects(200, 7, 0, 4);
  for (CohortSubjectIn& s : in) s.cases[0].identity = "id-" + s.subject_id;
  in[2].incidents.clear();  // in[0] and in[2]: jeugd, the first known to the police, not the second
  in[2].convictions.clear();
  ASSERT_FALSE(in[0].incidents.empty());
  const std::vector<CohortSubjectIn> pool = Pool();
  Study everyone;
  everyone.kaders = {"hic", "jeugd"};
  Study hic;
  hic.kaders = {"hic"};
  std::vector<SubjectSet> released;
  for (const Study* s : {&everyone, &hic}) {
    absl::StatusOr<StudyResult> r = AnalyzeStudy(*s, in, pool, released, "key");
    ASSERT_THAT(r, IsOk());
    released.insert(released.end(), r->released_sets.begin(), r->released_sets.end());
  }
  // The known person renamed: their police records a subject of their own in the pool.
  std::vector<CohortSubjectIn> known = in, known_pool = pool;
  known[0].cases[0].identity = "renamed";
  CohortSubjectIn records = known[0];
  records.subject_id = "P-split";
  records.cases.clear();
  known_pool.push_back(records);
  known[0].incidents.clear();
  known[0].convictions.clear();
  // The unknown person renamed: nothing else moves.
  std::vector<CohortSubjectIn> unknown = in;
  unknown[2].cases[0].identity = "renamed";
  for (const Study* s : {&everyone, &hic}) {
    const json a = AnalystView(AnalyzeStudy(*s, known, known_pool, released, "key"));
    const json b = AnalystView(AnalyzeStudy(*s, unknown, pool, released, "key"));
    EXPECT_EQ(a, b) << s->kaders.size();
    if (s == &everyone) {
      EXPECT_THAT(a.value("refused", ""), HasSubstr("case file's data"));
    } else {
      ASSERT_FALSE(a.contains("refused")) << a.dump();
      EXPECT_TRUE(a["comparison"].is_null());
    }
  }
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// What the analyst reads of which figures were withheld, and why.
json Withheld(const absl::StatusOr<StudyResult>& r) {
  if (!r.ok()) return json{{"refused", std::string(r.status().message())}};
  return json{{"suppressed", r->report["suppressed"]},
              {"reasons", r->report["suppressed_reasons"]}};
}

// Red team 13: the case-file officer chose a group whose police data decided a withholding,
// and padded it with people of known status (fictional cases, certainly unlinked; renamed
// people known to the police, certainly changed; people moved to a released day), so that the
// threshold asked about one person. Each shape twice, the target known to the police or not
// (or their incidents around the new day changed or not): the analyst reads the same withheld
// figures with the same reasons, and with case variables alone changed, the same count figures
// as the release.
TEST(CaseFileGroups, APaddedGroupTellsNothingOfOnePerson) {
  for (const bool zero : {false, true}) {
    Study study = NoComparison();
    study.unlinked_as_zero = zero;
    std::vector<CohortSubjectIn> base = Subjects(120, 7, 0, 4);  // i % 4 == 3: not linked
    // Ten fictional cases (no police record: certainly unlinked).
    std::vector<CohortSubjectIn> fictional = Subjects(10, 9, 500, 1);
    for (CohortSubjectIn& f : fictional) {
      f.incidents.clear();
      f.convictions.clear();
      f.subject_id = Cat("F", f.subject_id);
      base.push_back(f);
    }
    const size_t first_fictional = 120;
    absl::StatusOr<StudyResult> r0 = AnalyzeStudy(study, base, {}, {}, "key");
    ASSERT_THAT(r0, IsOk());
    ASSERT_FALSE(r0->report["descriptives"]["incidents_year_after"].is_null());
    auto rerun = [&](const std::vector<CohortSubjectIn>& data) {
      return AnalyzeStudy(study, data, {}, r0->released_sets, "key");
    };
    const size_t known = 0, unknown = 3;  // the targets
    // Everyone's case variables changed, the people `renamed` renamed (their police records no
    // longer link) and moved `days`.
    auto renamed = [&](const std::vector<size_t>& people, int32_t days) {
      std::vector<CohortSubjectIn> data = base;
      for (CohortSubjectIn& s : data) s.cases[0].attributes.times_discussed = 7;
      for (size_t i : people) {
        data[i].cases[0].identity = "renamed";
        data[i].cases[0].first_discussed_day += days;
        data[i].incidents.clear();
        data[i].convictions.clear();
      }
      return data;
    };
    auto known_people = [](size_t first, size_t count) {
      std::vector<size_t> out;
      for (size_t i = first; out.size() < count; ++i) {
        if (i % 4 != 3) out.push_back(i);
      }
      return out;
    };
    ASSERT_FALSE(base[known].incidents.empty());
    ASSERT_TRUE(base[unknown].incidents.empty() && base[unknown].convictions.empty());
    // T5: case variables of nine fictional cases and the target.
    {
      std::vector<json> views;
      for (const size_t t : {known, unknown}) {
        std::vector<CohortSubjectIn> data = base;
        for (size_t i = first_fictional; i < first_fictional + 9; ++i)
          data[i].cases[0].attributes.times_discussed = 9;
        data[t].cases[0].attributes.times_discussed = 9;
        absl::StatusOr<StudyResult> r = rerun(data);
        ASSERT_THAT(r, IsOk());
        EXPECT_EQ(r->report["descriptives"]["incidents_year_after"],
                  r0->report["descriptives"]["incidents_year_after"]);
        EXPECT_EQ(r->report["cohort"], r0->report["cohort"]);
        views.push_back(Withheld(r));
      }
      EXPECT_EQ(views[0], views[1]) << "T5, zero " << zero;
    }
    // T1 and T2: ten people renamed (their police records no longer link), everyone's case
    // variables changed; the ten all known to the police, or one of them not.
    {
      std::vector<json> views;
      for (const size_t t : {known, unknown}) {
        std::vector<size_t> group = known_people(4, 9);
        group.push_back(t);
        absl::StatusOr<StudyResult> r = rerun(renamed(group, 0));
        ASSERT_THAT(r, IsOk());
        EXPECT_TRUE(r->report["descriptives"]["incidents_year_after"].is_null());
        // The auditor's entries too (red team 14, L1): the restore and the linked-count rule
        // decided on the renamed people's police data and were then masked.
        views.push_back(json{Withheld(r), r->withheld, r->police_inputs_restored});
      }
      EXPECT_EQ(views[0], views[1]) << "T1, zero " << zero;
    }
    // T3: nine renamed people and the target moved a day; the target's incidents around the
    // new day the same or not.
    {
      std::vector<json> views;
      for (const bool change : {false, true}) {
        std::vector<CohortSubjectIn> data = renamed(known_people(4, 9), 1);
        CohortSubjectIn& t = data[known];
        const int32_t d0 = t.cases[0].first_discussed_day;
        t.cases[0].first_discussed_day += 1;
        t.incidents = {{d0 - 30, "misdrijf", "verdachte"},
                       {change ? d0 : d0 + 30, "misdrijf", "verdachte"}};
        absl::StatusOr<StudyResult> r = rerun(data);
        ASSERT_THAT(r, IsOk());
        views.push_back(Withheld(r));
      }
      EXPECT_EQ(views[0], views[1]) << "T3, zero " << zero;
    }
  }
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// Red team 15, F1: a cohort released under the default incident filter and again with a rare
// category excluded, identical, certified that none of its people holds such an incident; a
// second cohort of most of them and the target, under both filters, was then withheld exactly
// when the target held one (1 to 9 people's counts differ: the police-update rule). Any other
// filter over people released under one is now withheld whatever their incidents: the analyst
// reads the same figures and reasons whether the target holds one or not.
TEST(IncidentFilters, ACertifiedGroupTellsNothingOfOnePersonsRareIncident) {
  for (const bool zero : {false, true}) {
    std::vector<json> views;
    for (const bool holds : {false, true}) {
      std::vector<CohortSubjectIn> in = Subjects(100, 7, 0, 4);
      for (size_t i = 0; i < in.size(); ++i) {
        in[i].cases[0].attributes.kader = i < 60 ? "g" : i < 80 ? "y" : "r";
      }
      CohortSubjectIn& t = in[80];
      ASSERT_FALSE(t.incidents.empty());
      t.cases[0].attributes.kader = "t";
      if (holds) {
        t.incidents.push_back({t.cases[0].first_discussed_day + 30, "zeden", "verdachte"});
        std::sort(t.incidents.begin(), t.incidents.end(),
                  [](const CohortEventIn& a, const CohortEventIn& b) { return a.day < b.day; });
      }
      Study f0 = NoComparison();
      f0.unlinked_as_zero = zero;
      Study f1 = f0;
      f1.excluded_categories.push_back("zeden");
      std::vector<SubjectSet> released;
      json steps = json::array();
      for (const auto& [kaders, filter] : {std::pair{std::vector<std::string>{"g", "y"}, &f0},
                                           {{"g", "y"}, &f1},
                                           {{"g", "t"}, &f0},
                                           {{"g", "t"}, &f1}}) {
        Study s = *filter;
        s.kaders = kaders;
        absl::StatusOr<StudyResult> r = AnalyzeStudy(s, in, {}, released, "key");
        ASSERT_THAT(r, IsOk());
        released.insert(released.end(), r->released_sets.begin(), r->released_sets.end());
        // The study over G and T under the default filter counts T's rare incident: its
        // figures are T's among sixty others (a group), not compared here.
        if (filter == &f1) {
          EXPECT_TRUE(r->report["descriptives"]["incidents_year_after"].is_null());
          steps.push_back(Withheld(r));
        }
      }
      views.push_back(steps);
    }
    EXPECT_EQ(views[0], views[1]) << "zero " << zero;
  }
}

// Red team 13, T6: the officer removes the cases of thirty people of a kader the study does not
// read, fictional ones and the target's (in no cohort); those the police know join the
// comparison pool. The people whose cases were removed were a group under the linked-count
// rule, so the comparison was released exactly when the target was unknown (11 of 11). Now the
// comparison is withheld whenever the case holders changed, whoever they are.
TEST(CaseFileGroups, RemovedCasesTellNothingOfOnePersonThroughThePool) {
  for (const bool zero : {false, true}) {
    Study study;
    study.kaders = {"hic", "jeugd"};
    study.unlinked_as_zero = zero;
    std::vector<CohortSubjectIn> base = Subjects(160, 7, 0, 4);  // i % 4 == 3: not linked
    for (size_t i = 120; i < 160; ++i) base[i].cases[0].attributes.kader = "risicoburger";
    for (size_t i = 0; i < 10; ++i) {
      CohortSubjectIn f = Subjects(1, 20 + i, 900 + static_cast<int>(i), 1)[0];
      f.incidents.clear();
      f.convictions.clear();
      f.subject_id = Cat("F", i);
      f.cases[0].attributes.kader = "risicoburger";
      base.push_back(f);
    }
    const std::vector<CohortSubjectIn> pool = Pool();
    absl::StatusOr<StudyResult> r0 = AnalyzeStudy(study, base, pool, {}, "key");
    ASSERT_THAT(r0, IsOk());
    ASSERT_FALSE(r0->report["comparison"]["pool_subjects"].is_null());
    std::vector<json> views;
    for (const size_t target : {size_t{120}, size_t{123}}) {  // known; not known
      std::vector<CohortSubjectIn> cases, more_pool = pool;
      for (size_t i = 0; i < base.size(); ++i) {
        // Seven of the thirty are not known to the police: with two fictional cases and the
        // target, the old rule's unlinked count was 9 or 10.
        const bool removed = (i >= 124 && i < 154) || i == target || i >= 168;
        if (!removed) {
          cases.push_back(base[i]);
        } else if (!base[i].incidents.empty() || !base[i].convictions.empty()) {
          CohortSubjectIn p = base[i];
          p.cases.clear();
          more_pool.push_back(p);
        }
      }
      absl::StatusOr<StudyResult> r =
          AnalyzeStudy(study, cases, more_pool, r0->released_sets, "key");
      ASSERT_THAT(r, IsOk());
      EXPECT_TRUE(r->report["comparison"].is_null());
      views.push_back(Withheld(r));
    }
    EXPECT_EQ(views[0], views[1]) << "zero " << zero;
  }
}

}  // namespace
}  // namespace pprl
