#include "core/study.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/cohort_variables.h"
#include "core/study_report.h"
#include "core/text.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

int32_t Day(int y, int m, int d) { return DaysSinceEpoch({y, m, d}); }

TEST(Windows, EdgesAreHalfOpenCalendarMonths) {
  const Date t{2013, 5, 31};
  // quarter before [2013-02-28, 2013-05-31), year before [2012-05-31, ...), quarter after
  // [2013-05-31, 2013-08-31), year after [2013-05-31, 2014-05-31).
  WindowCounts c = CountWindows({Day(2013, 5, 31)}, t);  // on the reference date: after
  EXPECT_EQ(c.quarter_after, 1);
  EXPECT_EQ(c.year_after, 1);
  EXPECT_EQ(c.quarter_before, 0);
  c = CountWindows({Day(2013, 5, 30)}, t);  // the day before
  EXPECT_EQ(c.quarter_before, 1);
  EXPECT_EQ(c.year_before, 1);
  c = CountWindows({Day(2013, 2, 28)}, t);  // exactly three months before (clamped month end)
  EXPECT_EQ(c.quarter_before, 1);
  c = CountWindows({Day(2013, 2, 27)}, t);
  EXPECT_EQ(c.quarter_before, 0);
  EXPECT_EQ(c.year_before, 1);
  c = CountWindows({Day(2012, 5, 31)}, t);  // exactly twelve months before
  EXPECT_EQ(c.year_before, 1);
  c = CountWindows({Day(2012, 5, 30)}, t);
  EXPECT_EQ(c.year_before, 0);
  c = CountWindows({Day(2013, 8, 31)}, t);  // exactly three months after: outside
  EXPECT_EQ(c.quarter_after, 0);
  EXPECT_EQ(c.year_after, 1);
  c = CountWindows({Day(2013, 8, 30)}, t);
  EXPECT_EQ(c.quarter_after, 1);
  c = CountWindows({Day(2014, 5, 31)}, t);  // exactly twelve months after: outside
  EXPECT_EQ(c.year_after, 0);
  c = CountWindows({Day(2014, 5, 30)}, t);
  EXPECT_EQ(c.year_after, 1);
}

TEST(Windows, TwentyNinthOfFebruary) {
  const Date t{2012, 2, 29};
  WindowCounts c =
      CountWindows({Day(2011, 2, 28), Day(2013, 2, 28), Day(2012, 5, 29), Day(2011, 11, 29)}, t);
  // A year before 2012-02-29 is 2011-02-28 (clamped): inside; a year after is 2013-02-28: outside.
  EXPECT_EQ(c.year_before, 2);     // 2011-02-28 and 2011-11-29
  EXPECT_EQ(c.quarter_before, 1);  // 2011-11-29 is exactly three months before
  EXPECT_EQ(c.year_after, 1);      // 2012-05-29 (2013-02-28 is outside)
  EXPECT_EQ(c.quarter_after, 0);   // 2012-05-29 is exactly three months after: outside
}

CohortSubjectIn Subject(const std::string& id, const std::string& kader, Date first, int age,
                        std::vector<int32_t> incidents, std::vector<int32_t> convictions,
                        int life = 3) {
  CohortSubjectIn s;
  s.subject_id = id;
  CohortCaseIn c;
  c.first_discussed_day = DaysSinceEpoch(first);
  c.attributes.age = age;
  c.attributes.gender = 'm';
  c.attributes.kader = kader;
  c.attributes.times_discussed = 2;
  c.attributes.life_domains = life;
  c.attributes.goals = true;
  c.attributes.decisions = false;
  c.attributes.actions = true;
  s.cases.push_back(c);
  for (int32_t d : incidents) s.incidents.push_back({d, "misdrijf", "verdachte"});
  for (int32_t d : convictions) s.convictions.push_back({d, "", ""});
  return s;
}

TEST(Cohort, KadersSetsAndVariables) {
  Study study;
  std::vector<CohortSubjectIn> in = {
      Subject("A", "hic", {2013, 3, 1}, 30, {Day(2013, 2, 1), Day(2013, 4, 1)}, {Day(2013, 6, 1)},
              11),
      Subject("B", "veelpleger", {2013, 3, 1}, 30, {Day(2013, 2, 1)}, {}),  // not in the kaders
      Subject("C", "jeugd", {2013, 3, 1}, 16, {}, {}),                      // unlinked
  };
  in[0].incidents.push_back({Day(2013, 2, 2), "verkeer", "verdachte"});  // excluded category
  std::vector<SubjectVariables> cohort = BuildCohort(in, study);
  ASSERT_EQ(cohort.size(), 2u);
  EXPECT_TRUE(cohort[0].in_incident_set);
  EXPECT_TRUE(cohort[0].in_conviction_set);
  EXPECT_EQ(cohort[0].values.at("incidents_quarter_before"), 1);
  EXPECT_EQ(cohort[0].values.at("incidents_quarter_after"), 1);
  EXPECT_EQ(cohort[0].values.at("convictions_year_after"), 1);
  EXPECT_EQ(cohort[0].values.at("plan"), 2);
  EXPECT_EQ(cohort[0].values.at("life_domains_capped"), 8);
  EXPECT_FALSE(cohort[1].in_incident_set);
  EXPECT_FALSE(cohort[1].values.contains("incidents_year_after"));
  study.unlinked_as_zero = true;
  cohort = BuildCohort(in, study);
  EXPECT_TRUE(cohort[1].in_incident_set);
  EXPECT_EQ(cohort[1].values.at("incidents_year_after"), 0);
}

std::vector<SubjectVariables> Cohort(int n, int offset = 0) {
  std::vector<CohortSubjectIn> in;
  for (int i = 0; i < n; ++i) {
    int k = i + offset;
    in.push_back(Subject("S" + std::to_string(1000 + k), "hic", {2013, 3, 1}, 20 + k % 30,
                         {Day(2013, 2, 1), Day(2012, 12, 1 + k % 20), Day(2013, 4, 1 + k % 20)},
                         k % 3 ? std::vector<int32_t>{Day(2013, 1, 1)}
                               : std::vector<int32_t>{Day(2013, 1, 1), Day(2013, 7, 1)}));
  }
  return BuildCohort(in, Study());
}

TEST(Disclosure, ACohortOfNineIsRefused) {
  EXPECT_THAT(BuildStudyReport(Study(), Cohort(9), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("fewer than 10 subjects")));
  EXPECT_THAT(BuildStudyReport(Study(), Cohort(10), {}), IsOk());
}

TEST(Disclosure, AMaxHeldByOneSubjectIsSuppressed) {
  std::vector<SubjectVariables> c = Cohort(40);
  c[7].values["age"] = 77;  // one subject much older than the rest
  absl::StatusOr<nlohmann::json> r = BuildStudyReport(Study(), c, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE((*r)["descriptives"]["age"]["max"].is_null());
  EXPECT_THAT((*r)["suppressed"], Contains("/descriptives/age/max"));
  // The min of a count many share (zero) stays where a third hold another count.
  EXPECT_FALSE((*r)["descriptives"]["convictions_year_after"]["min"].is_null());
  // A count nobody holds another value of (0 in the quarter after, for all 40) would give each
  // one's count: withheld whole.
  EXPECT_TRUE((*r)["descriptives"]["convictions_quarter_after"].is_null());
  EXPECT_THAT((*r)["suppressed"], Contains("/descriptives/convictions_quarter_after"));
  EXPECT_EQ((*r)["suppressed"].size(), (*r)["suppressed_reasons"].size());
}

TEST(Disclosure, CohortsThatDifferByThreeSubjects) {
  std::vector<SubjectVariables> first = Cohort(40);
  std::vector<SubjectVariables> second = Cohort(43);  // the same 40 and 3 more
  std::vector<SubjectSet> released = ReleasedSets(first);
  EXPECT_THAT(CheckDifferencing(ReleasedSets(first)[0], released, 10), IsOk());  // the same again
  const absl::Status three = CheckDifferencing(ReleasedSets(second)[0], released, 10);
  // The analyst reads no count (F2); the auditor's detail has it.
  EXPECT_THAT(three, StatusIs(absl::StatusCode::kFailedPrecondition,
                              HasSubstr("differs from an earlier released one by fewer than 10")));
  EXPECT_THAT(std::string(three.message()), Not(HasSubstr("3")));
  EXPECT_THAT(RefusalDetail(three), HasSubstr("by 3"));
  EXPECT_FALSE(RefusalDependsOnData(three));  // a cohort: the case file decides
  EXPECT_THAT(CheckDifferencing(ReleasedSets(Cohort(60))[0], released, 10), IsOk());  // 20 apart
}

SubjectSet Ids(const std::string& family, int from, int to) {  // S<from> .. S<to - 1>, sorted
  SubjectSet s{family, {}};
  for (int i = from; i < to; ++i) s.ids.push_back(Cat("S", 1000 + i));
  return s;
}

// Three releases, every pair 10 or more apart, whose sums combine to one person:
// A = X + Y + {p}, B = X, C = Y gives A - B - C = p.
TEST(Disclosure, CombiningSeveralReleasesCannotSingleSomeoneOut) {
  const SubjectSet a = Ids("cohort", 0, 41);  // X = 0..19, p = 20, Y = 21..40
  const SubjectSet b = Ids("cohort", 0, 20);
  const SubjectSet c = Ids("cohort", 21, 41);
  EXPECT_THAT(CheckDifferencing(b, {a}, 10), IsOk());  // splits A into 20 and 21
  const absl::Status one = CheckDifferencing(c, {a, b}, 10);
  EXPECT_THAT(one, StatusIs(absl::StatusCode::kFailedPrecondition,
                            HasSubstr("combined with the selections released before")));
  EXPECT_THAT(std::string(one.message()), Not(HasSubstr("holds")));
  EXPECT_THAT(RefusalDetail(one), HasSubstr("the smallest group it separates holds 1"));
  // A split that no combination can isolate is fine: I (0..40), M = I but for 30..40, and
  // I' = 10..36, which takes 7 of those 11 and leaves 4: I - M gives the 11 together, but no
  // combination gives the 7 or the 4 apart.
  const SubjectSet m = Ids("cohort", 0, 30);
  SubjectSet i2 = Ids("cohort", 10, 37);
  EXPECT_THAT(CheckDifferencing(m, {a}, 10), IsOk());
  EXPECT_THAT(CheckDifferencing(i2, {a, m}, 10), IsOk());
  // The pairwise differences alone would have allowed it.
  for (const SubjectSet* r : {&a, &b}) {
    EXPECT_THAT(CheckDifferencing(c, {*r}, 10), IsOk());
  }
  // A split into parts of 10 or more is fine; the same set again is fine.
  EXPECT_THAT(CheckDifferencing(Ids("cohort", 20, 41), {a, b}, 10), IsOk());
  EXPECT_THAT(CheckDifferencing(b, {a, b}, 10), IsOk());
  // Other families carry other figures; small sets (suppressed figures) are compared
  // pairwise only. The same cohort again next to its own incident set, 9 smaller, is fine.
  EXPECT_THAT(CheckDifferencing(Ids("conviction_set", 21, 41), {a, b}, 10), IsOk());
  EXPECT_THAT(CheckDifferencing(Ids("cohort", 0, 41), {a, Ids("incident_set", 0, 32)}, 10), IsOk());
  EXPECT_THAT(CheckDifferencing(Ids("incident_set", 0, 41), {Ids("incident_set", 0, 32)}, 10),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("by fewer than 10")));
  EXPECT_THAT(CheckDifferencing(Ids("cohort", 0, 5), {a, b}, 10), IsOk());
  // New subjects beyond every released set: fewer than 10 of them are a small group too
  // (two released sets and their union plus 5: the sum of the 5 follows).
  const SubjectSet d = Ids("cohort", 100, 141);
  SubjectSet both = Ids("cohort", 0, 41);
  for (int i = 100; i < 146; ++i) both.ids.push_back(Cat("S", 1000 + i));
  std::sort(both.ids.begin(), both.ids.end());
  EXPECT_THAT(CheckDifferencing(both, {a}, 10), IsOk());  // pairwise: 46 apart
  const absl::Status five = CheckDifferencing(both, {a, d}, 10);
  EXPECT_THAT(five, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("refused")));
  EXPECT_THAT(RefusalDetail(five), HasSubstr("separates holds 5"));
}

TEST(Report, HasTheSchemaOfSpecSection6) {
  absl::StatusOr<nlohmann::json> r = BuildStudyReport(Study(), Cohort(60), {{"cases", 60}});
  ASSERT_THAT(r, IsOk());
  for (const char* key :
       {"schema", "study", "linkage", "cohort", "descriptives", "paired_tests", "correlations",
        "regression", "regression_fixed_alpha", "suppressed", "suppressed_reasons"}) {
    EXPECT_TRUE(r->contains(key)) << key;
  }
  EXPECT_EQ((*r)["schema"], "pprl.report.v1");
  for (const char* t :
       {"incidents_quarter", "incidents_year", "convictions_quarter", "convictions_year"}) {
    EXPECT_TRUE((*r)["paired_tests"].contains(t)) << t;
  }
  EXPECT_EQ((*r)["correlations"]["variables"].size(), 8u);
  EXPECT_EQ((*r)["cohort"]["n"], 60);
  // Every suppressed figure is null where its pointer says.
  for (const auto& p : (*r)["suppressed"]) {
    EXPECT_TRUE(r->at(nlohmann::json::json_pointer(p.get<std::string>())).is_null()) << p;
  }
}

TEST(Report, SmallSetsAreSuppressedWhereThePointersSay) {
  std::vector<SubjectVariables> c = Cohort(30);
  for (size_t i = 5; i < c.size(); ++i) c[i].in_conviction_set = false;  // 5 with convictions
  absl::StatusOr<nlohmann::json> r = BuildStudyReport(Study(), c, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE((*r)["regression"].is_null());
  EXPECT_TRUE((*r)["paired_tests"]["convictions_year"].is_null());
  EXPECT_TRUE((*r)["correlations"]["r"].is_null());
  EXPECT_TRUE((*r)["cohort"]["n_conviction_set"].is_null());
  ASSERT_FALSE((*r)["suppressed"].empty());
  for (const auto& p : (*r)["suppressed"]) {
    EXPECT_TRUE(r->at(nlohmann::json::json_pointer(p.get<std::string>())).is_null()) << p;
  }
}

TEST(StudyFile, DefaultsAndValidation) {
  absl::StatusOr<Study> s = ParseStudy("");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->kaders, (std::vector<std::string>{"risicoburger", "jeugd", "hic"}));
  EXPECT_EQ(s->min_cell, 10);
  s = ParseStudy(
      "name = \"x\"\n[cohort]\nkaders = [\"HIC\"]\nunlinked = \"zero\"\nfirst_discussed_from = "
      "\"2013-01-01\"\n"
      "[regression]\noutcome = \"incidents_year_after\"\npredictors = [\"incidents_year_before\", "
      "\"age\"]\n"
      "interactions = [[\"incidents_year_before\", \"age\"]]\n[disclosure]\nmin_cell = 15\n");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->kaders, std::vector<std::string>{"hic"});
  EXPECT_TRUE(s->unlinked_as_zero);
  EXPECT_EQ(s->min_cell, 15);
  EXPECT_EQ(s->interactions.size(), 1u);
  EXPECT_THAT(ParseStudy("[regression]\noutcome = \"height\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a variable")));
  EXPECT_THAT(ParseStudy("[cohort]\nunlinked = \"maybe\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unlinked")));
  EXPECT_THAT(ParseStudy("[disclosure]\nmin_cell = 1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_cell")));
  EXPECT_THAT(ParseStudy("x = \n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

}  // namespace
}  // namespace pprl
