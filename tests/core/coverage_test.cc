// Follow-up the police data do not cover is not counted as zero (red team 6, F1; red team 7,
// M1-M3): the study leaves out cases whose windows touch a month the police data do not cover
// (the months holding records of each kind, short runs without bridged), and says so in
// /cohort/notes.
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

int32_t M(int y, int m) { return MonthIndex({y, m, 1}); }

// Whether the study selects a case of kader hic first discussed on `d`.
bool InRange(const Study& s, const Date& d) {
  CohortCaseIn c;
  c.first_discussed_day = DaysSinceEpoch(d);
  c.attributes.kader = "hic";
  return StudySelectsCase(s, c);
}

// The months from `from` to `to` (MonthIndex), both inclusive, without those in `except`.
std::vector<int32_t> Months(int32_t from, int32_t to, const std::set<int32_t>& except = {}) {
  std::vector<int32_t> out;
  for (int32_t m = from; m <= to; ++m)
    if (!except.contains(m)) out.push_back(m);
  return out;
}

// A coverage as the linker sends it: each kind's days from the 1st of its first month with
// records to the last day of its last (empty months: no records of the kind).
PoliceCoverage WithMonths(const std::vector<int32_t>& incidents,
                          const std::vector<int32_t>& convictions) {
  PoliceCoverage c;
  auto days = [](const std::vector<int32_t>& m) {
    return DayRange{DaysSinceEpoch(MonthStart(m.front())),
                    DaysSinceEpoch(MonthStart(m.back() + 1)) - 1};
  };
  if (!incidents.empty()) c.incidents = days(incidents);
  if (!convictions.empty()) c.convictions = days(convictions);
  c.incident_months = incidents;
  c.conviction_months = convictions;
  return c;
}

// One subject per case, first discussed on the 1st and on the 15th of every month from `from`
// to `to` (MonthIndex), kader hic, with Subjects' police histories moved along (events from
// about a year before to a year after).
std::vector<CohortSubjectIn> TwiceAMonth(int32_t from, int32_t to) {
  const int n = 2 * (to - from + 1);
  std::vector<CohortSubjectIn> out = Subjects(n, 11, 0, 0);
  for (int i = 0; i < n; ++i) {
    CohortSubjectIn& s = out[static_cast<size_t>(i)];
    const int32_t t = DaysSinceEpoch(MonthStart(from + i / 2)) + (i % 2 ? 14 : 0);
    const int32_t shift = t - s.cases[0].first_discussed_day;
    s.cases[0].first_discussed_day = t;
    s.cases[0].attributes.kader = "hic";
    for (CohortEventIn& e : s.incidents) e.day += shift;
    for (CohortEventIn& e : s.convictions) e.day += shift;
  }
  return out;
}

// The number of cases (one per subject) the default study keeps under `coverage`.
size_t Kept(const std::vector<CohortSubjectIn>& subjects, const PoliceCoverage& coverage) {
  Study study;
  study.unlinked_as_zero = true;
  return BuildCohort(subjects, StudyWithinCoverage(study, coverage)).size();
}

TEST(Coverage, MonthsFormStretchesBridgingAtMostTwoEmptyMonths) {
  EXPECT_TRUE(StretchesOfMonths({}).empty());
  EXPECT_EQ(StretchesOfMonths({5}), (std::vector<MonthStretch>{{5, 5}}));
  EXPECT_EQ(StretchesOfMonths({1, 2, 3, 6, 10, 11}),  // 4-5 bridged, 7-9 not
            (std::vector<MonthStretch>{{1, 6}, {10, 11}}));
  EXPECT_EQ(MonthStart(M(2012, 1)), (Date{2012, 1, 1}));
  EXPECT_EQ(MonthStart(M(2011, 12)), (Date{2011, 12, 1}));
  EXPECT_EQ(MonthIndexOfDay(DaysSinceEpoch({2016, 2, 29})), M(2016, 2));
  // Both kinds: the months in both; a kind without records sets no limit.
  PoliceCoverage c;
  EXPECT_FALSE(CoveredStretches(c).has_value());
  c = WithMonths(Months(M(2010, 1), M(2015, 12), {M(2012, 5), M(2012, 6), M(2012, 7)}),
                 Months(M(2011, 3), M(2016, 6)));
  EXPECT_EQ(*CoveredStretches(c),
            (std::vector<MonthStretch>{{M(2011, 3), M(2012, 4)}, {M(2012, 8), M(2015, 12)}}));
  c = WithMonths(Months(M(2010, 1), M(2015, 12)), {});
  EXPECT_EQ(*CoveredStretches(c), (std::vector<MonthStretch>{{M(2010, 1), M(2015, 12)}}));
  c = WithMonths(Months(M(2010, 1), M(2010, 12)), Months(M(2011, 1), M(2011, 12)));
  EXPECT_TRUE(CoveredStretches(c)->empty());  // no month of both kinds
}

// An older linker sends no months: the whole months inside each kind's first and last day.
TEST(Coverage, WithoutMonthsRoundsTheDaysInwardToWholeMonths) {
  PoliceCoverage c;
  c.incidents = DayRange{Day(2009, 1, 1), Day(2014, 2, 27)};
  EXPECT_EQ(*CoveredStretches(c), (std::vector<MonthStretch>{{M(2009, 1), M(2014, 1)}}));
  c.convictions = DayRange{Day(2009, 1, 2), Day(2016, 2, 29)};
  EXPECT_EQ(*CoveredStretches(c), (std::vector<MonthStretch>{{M(2009, 2), M(2014, 1)}}));
  c.incidents.reset();
  EXPECT_EQ(*CoveredStretches(c), (std::vector<MonthStretch>{{M(2009, 2), M(2016, 2)}}));
  c.convictions = DayRange{Day(2015, 12, 31), Day(2016, 2, 28)};
  EXPECT_EQ(*CoveredStretches(c), (std::vector<MonthStretch>{{M(2016, 1), M(2016, 1)}}));
  c.convictions = DayRange{Day(2015, 12, 2), Day(2015, 12, 30)};
  EXPECT_TRUE(CoveredStretches(c)->empty());
}

// Every reference day t of nine years against the definition: every calendar month touched
// by [t-12m, t+12m) (CountWindows' month arithmetic, the end exclusive) lies in one stretch.
TEST(Coverage, TheAllowedDaysAreExactlyTheCoveredWindows) {
  const std::vector<std::vector<MonthStretch>> cases = {
      {{M(2010, 3), M(2014, 2)}},
      {{M(2011, 2), M(2016, 2)}},
      {{M(2012, 2), M(2015, 1)}},
      {{M(2012, 1), M(2012, 12)}},
      {{M(2009, 1), M(2010, 12)}, {M(2011, 4), M(2011, 4)}, {M(2012, 2), M(2016, 2)}},
      {{M(2010, 1), M(2011, 11)}, {M(2012, 1), M(2013, 12)}}};
  for (const std::vector<MonthStretch>& stretches : cases) {
    const Study s = StudyWithinCoverage(Study(), stretches);
    for (int32_t t = Day(2009, 1, 1); t < Day(2018, 1, 1); ++t) {
      const Date d = DateFromDays(t);
      const int32_t first = MonthIndex(AddMonths(d, -12));
      const int32_t last = MonthIndexOfDay(DaysSinceEpoch(AddMonths(d, 12)) - 1);
      bool covered = false;
      for (const MonthStretch& m : stretches) covered |= m.first <= first && last <= m.last;
      ASSERT_EQ(InRange(s, d), covered) << FormatIsoDate(d) << " in " << stretches.size();
    }
  }
  // The edges by hand: data to February 2014; t + 12m may be 1 March 2014 (exclusive).
  const Study s = StudyWithinCoverage(Study(), std::vector<MonthStretch>{{M(2010, 3), M(2014, 2)}});
  EXPECT_TRUE(InRange(s, {2013, 2, 28}));
  EXPECT_TRUE(InRange(s, {2013, 3, 1}));
  EXPECT_FALSE(InRange(s, {2013, 3, 2}));
  EXPECT_FALSE(InRange(s, {2011, 2, 28}));  // t - 12m = 28 February 2010, before March
  EXPECT_TRUE(InRange(s, {2011, 3, 1}));
  // Two years exactly: one day; less: none.
  EXPECT_EQ(AllowedReferenceDays({{M(2012, 1), M(2013, 12)}}),
            (std::vector<std::pair<Date, Date>>{{{2013, 1, 1}, {2013, 1, 1}}}));
  EXPECT_TRUE(AllowedReferenceDays({{M(2012, 1), M(2013, 11)}}).empty());
  // The analyst's own range still applies within the coverage's.
  Study narrow;
  narrow.first_discussed_from = Date{2012, 6, 1};
  narrow.first_discussed_to = Date{2012, 9, 30};
  const Study n = StudyWithinCoverage(narrow, std::vector<MonthStretch>{{M(2010, 3), M(2014, 2)}});
  EXPECT_EQ(*n.first_discussed_from, (Date{2012, 6, 1}));
  EXPECT_FALSE(InRange(n, {2012, 5, 31}));
  EXPECT_TRUE(InRange(n, {2012, 6, 1}));
  EXPECT_TRUE(InRange(n, {2012, 9, 30}));
  EXPECT_FALSE(InRange(n, {2012, 10, 1}));
}

// Red team 7, M1: the 2013 extracts withdrawn, 2010-2012 and 2014-2016 stored. The first and
// last day saw no gap and counted 2013 as a year without incidents; the months with records
// show it. Cases on the 1st and 15th of each month 2010-2016 (168): the allowed days are
// 2011-01-01..2012-01-01 (13 + 12 cases) and 2015-01-01..2016-01-01 (13 + 12).
TEST(Coverage, AGapBetweenExtractsLeavesOutTheCasesWhoseWindowsTouchIt) {
  const std::vector<CohortSubjectIn> full = TwiceAMonth(M(2010, 1), M(2016, 12));
  ASSERT_EQ(full.size(), 168u);
  std::vector<CohortSubjectIn> gap = full;
  auto in_2013 = [](const CohortEventIn& e) { return DateFromDays(e.day).year == 2013; };
  for (CohortSubjectIn& s : gap) {
    std::erase_if(s.incidents, in_2013);
    std::erase_if(s.convictions, in_2013);
  }
  std::set<int32_t> y2013;
  for (int m = 1; m <= 12; ++m) y2013.insert(M(2013, m));
  const std::vector<int32_t> months = Months(M(2010, 1), M(2016, 12), y2013);
  const PoliceCoverage coverage = WithMonths(months, months);
  EXPECT_EQ(*CoveredStretches(coverage),
            (std::vector<MonthStretch>{{M(2010, 1), M(2012, 12)}, {M(2014, 1), M(2016, 12)}}));
  EXPECT_EQ(Kept(gap, coverage), 50u);
  // An older linker's days alone: 2011-01-01..2016-01-01, 61 + 60 cases.
  PoliceCoverage days_only = coverage;
  days_only.incident_months.clear();
  days_only.conviction_months.clear();
  EXPECT_EQ(Kept(gap, days_only), 121u);

  Study study;
  study.comparison.enabled = false;
  absl::StatusOr<StudyResult> r = AnalyzeStudy(study, gap, {}, {}, "", coverage);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->released_sets[0].ids.size(), 50u);
  const nlohmann::json& notes = r->report["cohort"]["notes"];
  ASSERT_EQ(notes.size(), 1u);
  const std::string note = notes[0].get<std::string>();
  EXPECT_THAT(note, HasSubstr("the police data cover 2010-01 to 2012-12 and 2014-01 to 2016-12 "
                              "(whole months; a kind's run of at most 2 months without records"));
  EXPECT_THAT(note, HasSubstr("; 118 of the study's cases were left out because"));
  EXPECT_THAT(note, HasSubstr("(only cases first discussed from 2011-01-01 to 2012-01-01 or "
                              "from 2015-01-01 to 2016-01-01 are used)"));
  EXPECT_THAT(note, ::testing::Not(HasSubstr("S1")));  // no subject id
  // The cases kept have the counts of the data without a gap: nothing of 2013 is counted.
  Study zero = study;
  zero.unlinked_as_zero = true;
  const Study within = StudyWithinCoverage(zero, coverage);
  const std::vector<SubjectVariables> kept = BuildCohort(gap, within);
  const std::vector<SubjectVariables> kept_full = BuildCohort(full, within);
  ASSERT_EQ(kept.size(), 50u);
  ASSERT_EQ(kept_full.size(), 50u);
  for (size_t i = 0; i < kept.size(); ++i) {
    ASSERT_EQ(kept[i].subject_id, kept_full[i].subject_id);
    EXPECT_EQ(kept[i].values, kept_full[i].values) << kept[i].subject_id;
  }
  // With the days alone the gap counts as zero: far fewer incidents before.
  auto mean_before = [&](const PoliceCoverage& c) {
    const std::vector<SubjectVariables> cohort = BuildCohort(gap, StudyWithinCoverage(zero, c));
    double sum = 0;
    for (const SubjectVariables& v : cohort) sum += v.values.at("incidents_year_before");
    return sum / static_cast<double>(cohort.size());
  };
  EXPECT_LT(mean_before(days_only), 0.8 * mean_before(coverage));
}

// Red team 7, M2: incidents from July 2012 and one mistyped as August 2002 (convictions from
// 2000). The first day moved ten years back; the lone month is a 1-month stretch no window
// fits. Cases 2012-01..2015-12: kept 2013-07-01..2015-01-01, 19 + 18.
TEST(Coverage, AnOutlierMonthFarBeforeTheDataWidensNothing) {
  const std::vector<CohortSubjectIn> subjects = TwiceAMonth(M(2012, 1), M(2015, 12));
  std::vector<int32_t> incidents = Months(M(2012, 7), M(2015, 12));
  incidents.insert(incidents.begin(), M(2002, 8));
  PoliceCoverage coverage = WithMonths(incidents, Months(M(2000, 1), M(2015, 12)));
  coverage.incidents->first = Day(2002, 8, 14);
  EXPECT_EQ(*CoveredStretches(coverage),
            (std::vector<MonthStretch>{{M(2002, 8), M(2002, 8)}, {M(2012, 7), M(2015, 12)}}));
  EXPECT_EQ(Kept(subjects, coverage), 37u);
  // The days alone: covered from September 2002, cases from 2003-09-01 kept: 37 + 36.
  coverage.incident_months.clear();
  coverage.conviction_months.clear();
  EXPECT_EQ(Kept(subjects, coverage), 73u);
}

// Red team 7, M3: exports of exactly 2012-2014, convictions only on court days: the first is
// Monday 2 January 2012. January 2012 holds convictions, so it counts whole; rounding the
// first day inward lost it and every case of January 2013. Cases 2012-01..2014-12: kept
// 2013-01-01..2014-01-01, 13 + 12; the days alone keep 2013-02-01..2014-01-01, 12 + 11.
TEST(Coverage, AMonthWhoseFirstRecordIsNotOnTheFirstCountsWhole) {
  const std::vector<CohortSubjectIn> subjects = TwiceAMonth(M(2012, 1), M(2014, 12));
  PoliceCoverage coverage =
      WithMonths(Months(M(2012, 1), M(2014, 12)), Months(M(2012, 1), M(2014, 12)));
  coverage.convictions = DayRange{Day(2012, 1, 2), Day(2014, 12, 31)};
  EXPECT_EQ(Kept(subjects, coverage), 25u);
  coverage.conviction_months.clear();  // an older linker, the convictions' days alone
  EXPECT_EQ(Kept(subjects, coverage), 23u);
  coverage.incident_months.clear();
  EXPECT_EQ(Kept(subjects, coverage), 23u);
}

// A small site can have a month without convictions: two such months in a row are bridged,
// three are a gap. Cases 2010-01..2012-12 (72); one stretch 2010-01..2012-12 keeps
// 2011-01-01..2012-01-01 (13 + 12); split at May-July 2011 neither part spans two years.
TEST(Coverage, TwoEmptyMonthsAreBridgedThreeAreNot) {
  const std::vector<CohortSubjectIn> subjects = TwiceAMonth(M(2010, 1), M(2012, 12));
  const std::vector<int32_t> all = Months(M(2010, 1), M(2012, 12));
  const PoliceCoverage two =
      WithMonths(all, Months(M(2010, 1), M(2012, 12), {M(2011, 5), M(2011, 6)}));
  EXPECT_EQ(*CoveredStretches(two), (std::vector<MonthStretch>{{M(2010, 1), M(2012, 12)}}));
  EXPECT_EQ(Kept(subjects, two), 25u);
  const PoliceCoverage three =
      WithMonths(all, Months(M(2010, 1), M(2012, 12), {M(2011, 5), M(2011, 6), M(2011, 7)}));
  EXPECT_EQ(*CoveredStretches(three),
            (std::vector<MonthStretch>{{M(2010, 1), M(2011, 4)}, {M(2011, 8), M(2012, 12)}}));
  EXPECT_EQ(Kept(subjects, three), 0u);
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
  EXPECT_THAT(notes[0].get<std::string>(), HasSubstr("cover 2005-04 to 2014-05 (whole months;"));
  EXPECT_THAT(notes[0].get<std::string>(), HasSubstr(Cat("; ", full.size() - expected.size(),
                                                         " of the study's cases were left out")));
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
