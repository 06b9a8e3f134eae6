#include "core/dates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

struct DateCase {
  const char* text;
  Date expected;
};

class ParseDateValid : public ::testing::TestWithParam<DateCase> {};

TEST_P(ParseDateValid, ParsesEveryFormat) {
  absl::StatusOr<Date> d = ParseDate(GetParam().text);
  ASSERT_TRUE(d.ok()) << GetParam().text << ": " << d.status();
  EXPECT_EQ(*d, GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, ParseDateValid,
    ::testing::Values(DateCase{"1990-02-01", {1990, 2, 1}}, DateCase{"01-02-1990", {1990, 2, 1}},
                      DateCase{"1-2-1990", {1990, 2, 1}}, DateCase{"01/02/1990", {1990, 2, 1}},
                      DateCase{"1/2/1990", {1990, 2, 1}}, DateCase{" 1/2/1990 ", {1990, 2, 1}},
                      DateCase{"29-02-2000", {2000, 2, 29}}, DateCase{"2012-02-29", {2012, 2, 29}},
                      DateCase{"31/12/1999", {1999, 12, 31}}, DateCase{"1-12-1980", {1980, 12, 1}},
                      DateCase{"12-1-1980", {1980, 1, 12}}));

class ParseDateInvalid : public ::testing::TestWithParam<const char*> {};

TEST_P(ParseDateInvalid, IsRejected) { EXPECT_FALSE(ParseDate(GetParam()).ok()) << GetParam(); }

INSTANTIATE_TEST_SUITE_P(Rejected, ParseDateInvalid,
                         ::testing::Values("", "1990", "1990-2-1", "1990/02/01", "01-02/1990",
                                           "01.02.1990", "19900201", "01-02-90", "1-2-90",
                                           "31-02-2013", "29-02-1900", "2013-02-29", "00-01-2000",
                                           "01-13-2000", "2000-00-10", "32-01-2000", "2000-01-32",
                                           "123-01-2000", "01-001-2000", "1990-02-01x",
                                           "x1990-02-01", "1 2 1990", "1799-01-01", "2200-01-01",
                                           "-1-2-1990", "٠١-٠٢-١٩٩٠"));

TEST(ParseDate, ErrorsNeverRepeatTheInput) {
  absl::StatusOr<Date> d = ParseDate("31-02-2013");
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("impossible date")));
  EXPECT_THAT(std::string(d.status().message()), ::testing::Not(HasSubstr("2013")));
  d = ParseDate("1990.02.01");
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("YYYY-MM-DD")));
  EXPECT_THAT(std::string(d.status().message()), ::testing::Not(HasSubstr("1990")));
}

TEST(Dates, DayNumbersRoundTrip) {
  EXPECT_EQ(DaysSinceEpoch({1970, 1, 1}), 0);
  EXPECT_EQ(DaysSinceEpoch({1970, 1, 2}), 1);
  EXPECT_EQ(DaysSinceEpoch({1969, 12, 31}), -1);
  EXPECT_EQ(DaysSinceEpoch({2000, 3, 1}) - DaysSinceEpoch({2000, 2, 28}), 2);
  for (int32_t d = -80000; d < 80000; d += 37) {
    EXPECT_EQ(DaysSinceEpoch(DateFromDays(d)), d);
  }
}

TEST(Dates, AddMonthsClampsToMonthEnd) {
  EXPECT_EQ(AddMonths({2013, 5, 31}, -3), (Date{2013, 2, 28}));
  EXPECT_EQ(AddMonths({2012, 5, 31}, -3), (Date{2012, 2, 29}));
  EXPECT_EQ(AddMonths({2013, 1, 31}, 1), (Date{2013, 2, 28}));
  EXPECT_EQ(AddMonths({2013, 11, 15}, 3), (Date{2014, 2, 15}));
  EXPECT_EQ(AddMonths({2013, 2, 15}, -12), (Date{2012, 2, 15}));
  EXPECT_EQ(AddMonths({2012, 2, 29}, 12), (Date{2013, 2, 28}));
  EXPECT_EQ(AddMonths({2013, 1, 10}, -1), (Date{2012, 12, 10}));
}

TEST(Dates, WholeYears) {
  EXPECT_EQ(WholeYearsBetween({1990, 3, 15}, {2013, 3, 14}), 22);
  EXPECT_EQ(WholeYearsBetween({1990, 3, 15}, {2013, 3, 15}), 23);
  EXPECT_EQ(WholeYearsBetween({2000, 2, 29}, {2013, 2, 28}), 12);
  EXPECT_EQ(WholeYearsBetween({2000, 2, 29}, {2013, 3, 1}), 13);
  EXPECT_LT(WholeYearsBetween({2014, 1, 1}, {2013, 3, 1}), 0);
  EXPECT_EQ(FormatIsoDate({2013, 2, 3}), "2013-02-03");
}

}  // namespace
}  // namespace pprl
