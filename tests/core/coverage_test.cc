// Follow-up the police data do not cover is not counted as zero (red team 6, F1): the study
// leaves out cases whose windows run past the police data's coverage, as if its first_discussed
// range were narrowed, and says so in /cohort/notes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/cohort_variables.h"
#include "core/dates.h"
#include "core/study.h"
#include "core/study_analysis.h"
#include "tests/core/synthetic_cohort.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::testing::HasSubstr;

int32_t Day(int y, int m, int d) { return DaysSinceEpoch({y, m, d}); }

bool InRange(const Study& s, const Date& d) {
  return !(s.first_discussed_from && d < *s.first_discussed_from) &&
         !(s.first_discussed_to && *s.first_discussed_to < d);
}

TEST(Coverage, RoundsInwardToWholeMonths) {
  PoliceCoverage c;
  EXPECT_FALSE(CoveredWholeMonths(c).has_value());
  c.incidents = DayRange{Day(2009, 1, 1), Day(2014, 2, 27)};
  std::optional<CoveredMonths> m = CoveredWholeMonths(c);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->first, (Date{2009, 1, 1}));  // a month's first day stays
  EXPECT_EQ(m->last, (Date{2014, 1, 31}));  // 27 February: back to January's end
  c.convictions = DayRange{Day(2009, 1, 2), Day(2016, 2, 29)};
  m = CoveredWholeMonths(c);  // both kinds: the later first day, the earlier last day
  EXPECT_EQ(m->first, (Date{2009, 2, 1}));
  EXPECT_EQ(m->last, (Date{2014, 1, 31}));
  c.incidents.reset();
  m = CoveredWholeMonths(c);
  EXPECT_EQ(m->last, (Date{2016, 2, 29}));  // a leap month's end stays
  c.convictions = DayRange{Day(2015, 12, 31), Day(2016, 2, 28)};
  m = CoveredWholeMonths(c);
  EXPECT_EQ(m->first, (Date{2016, 1, 1}));
  EXPECT_EQ(m->last, (Date{2016, 1, 31}));  // 28 February 2016 is not the month's end
}

// Every reference day t of nine years against the definition: [t-12m, t+12m) within
// [first, last] (half-open at the end), in CountWindows' month arithmetic.
TEST(Coverage, TheNarrowedRangeIsExactlyTheCoveredWindows) {
  for (CoveredMonths m :
       {CoveredMonths{{2010, 3, 1}, {2014, 2, 28}}, CoveredMonths{{2011, 2, 1}, {2016, 2, 29}},
        CoveredMonths{{2012, 2, 1}, {2015, 1, 31}}, CoveredMonths{{2012, 1, 1}, {2012, 12, 31}}}) {
    const Study s = StudyWithinCoverage(Study(), m);
    const int32_t first = DaysSinceEpoch(m.first), end = DaysSinceEpoch(m.last) + 1;
    for (int32_t t = Day(2009, 1, 1); t < Day(2018, 1, 1); ++t) {
      const Date d = DateFromDays(t);
      const bool covered =
          DaysSinceEpoch(AddMonths(d, -12)) >= first && DaysSinceEpoch(AddMonths(d, 12)) <= end;
      ASSERT_EQ(InRange(s, d), covered)
          << FormatIsoDate(d) << " in " << FormatIsoDate(m.first) << ".." << FormatIsoDate(m.last);
    }
  }
  // The edges by hand: data to 28 February 2014; t + 12m may be 1 March 2014 (exclusive).
  const Study s = StudyWithinCoverage(Study(), CoveredMonths{{2010, 3, 1}, {2014, 2, 28}});
  EXPECT_TRUE(InRange(s, {2013, 2, 28}));
  EXPECT_TRUE(InRange(s, {2013, 3, 1}));
  EXPECT_FALSE(InRange(s, {2013, 3, 2}));
  EXPECT_FALSE(InRange(s, {2011, 2, 28}));  // t - 12m = 28 February 2010, before March
  EXPECT_TRUE(InRange(s, {2011, 3, 1}));
  // Clamping: data from 1 February 2012 (a leap year); 29 February 2012 is a year before 28
  // February 2013 only by clamping the other way, so 28 February 2013 is in.
  const Study leap = StudyWithinCoverage(Study(), CoveredMonths{{2012, 2, 1}, {2016, 2, 29}});
  EXPECT_FALSE(InRange(leap, {2013, 1, 31}));
  EXPECT_TRUE(InRange(leap, {2013, 2, 1}));
  EXPECT_TRUE(InRange(leap, {2015, 2, 28}));  // + 12m = 29 February 2016, covered
  EXPECT_TRUE(InRange(leap, {2015, 3, 1}));   // + 12m = 1 March 2016, the exclusive end
  EXPECT_FALSE(InRange(leap, {2015, 3, 2}));
  // A narrower study range stays; a wider one is narrowed.
  Study narrow;
  narrow.first_discussed_from = Date{2012, 6, 1};
  narrow.first_discussed_to = Date{2012, 9, 30};
  const Study n = StudyWithinCoverage(narrow, CoveredMonths{{2010, 3, 1}, {2014, 2, 28}});
  EXPECT_EQ(*n.first_discussed_from, (Date{2012, 6, 1}));
  EXPECT_EQ(*n.first_discussed_to, (Date{2012, 9, 30}));
}

// The red team's reproduction in small: the police data cut at 1 July 2014. Without the
// coverage the year after of the late cases counts as zero; with it the cohort is the cases
// whose year after ends by the cut, and their figures equal those over the uncut data.
TEST(Coverage, TruncatedPoliceDataDoNotBiasTheYearAfter) {
  const std::vector<CohortSubjectIn> full = Subjects(240, 11, 0, 0);
  const int32_t cut = Day(2014, 7, 1);
  std::vector<CohortSubjectIn> cut_data = full;
  for (CohortSubjectIn& s : cut_data) {
    auto after = [&](const CohortEventIn& e) { return e.day >= cut; };
    s.incidents.erase(std::remove_if(s.incidents.begin(), s.incidents.end(), after),
                      s.incidents.end());
    s.convictions.erase(std::remove_if(s.convictions.begin(), s.convictions.end(), after),
                        s.convictions.end());
  }
  PoliceCoverage coverage;  // as the linker sends it: over all stored records
  coverage.incidents = DayRange{Day(2005, 1, 1), cut - 1};
  coverage.convictions = DayRange{Day(2005, 3, 9), cut - 2};  // ends 29 June: whole months to May
  Study study;
  study.comparison.enabled = false;
  study.unlinked_as_zero = true;

  absl::StatusOr<StudyResult> r = AnalyzeStudy(study, cut_data, {}, {}, "", coverage);
  ASSERT_THAT(r.status(), IsOk());
  // The data end 29 June; whole months to 31 May 2014, so t + 12m <= 1 June 2014.
  std::set<std::string> expected;
  for (const CohortSubjectIn& s : full) {
    const Date t = DateFromDays(s.cases[0].first_discussed_day);
    if (AddMonths(t, 12) <= Date{2014, 6, 1}) expected.insert(s.subject_id);
  }
  ASSERT_GT(expected.size(), 50u);
  ASSERT_LT(expected.size(), full.size());
  const std::vector<std::string>& ids = r->released_sets[0].ids;
  EXPECT_EQ(r->released_sets[0].family, "cohort");
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected);
  const nlohmann::json& notes = r->report["cohort"]["notes"];
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0].get<std::string>(),
              HasSubstr(Cat("cover 2005-04-01 to 2014-05-31 (whole months); ",
                            full.size() - expected.size(), " of the study's cases were left out")));
  EXPECT_FALSE(r->report["study"].contains("first_discussed_to"));  // the analyst's study

  // The same subjects over the uncut data give the same year after.
  Study same = study;
  same.first_discussed_to = Date{2013, 6, 1};
  absl::StatusOr<StudyResult> uncut = AnalyzeStudy(same, full, {}, {});
  ASSERT_THAT(uncut.status(), IsOk());
  for (const char* v :
       {"incidents_year_after", "convictions_year_after", "incidents_year_before"}) {
    EXPECT_EQ(r->report["descriptives"][v]["mean"], uncut->report["descriptives"][v]["mean"]) << v;
  }
  EXPECT_FALSE(uncut->report["cohort"].contains("notes"));
  // Without the coverage the cut shows as fewer incidents after (the bias fixed here).
  absl::StatusOr<StudyResult> biased = AnalyzeStudy(study, cut_data, {}, {});
  ASSERT_THAT(biased.status(), IsOk());
  EXPECT_LT(biased->report["descriptives"]["incidents_year_after"]["mean"].get<double>(),
            r->report["descriptives"]["incidents_year_after"]["mean"].get<double>());
}

}  // namespace
}  // namespace pprl
