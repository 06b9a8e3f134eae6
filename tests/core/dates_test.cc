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

// Issue 14: placeholder birth dates are missing, whatever the format.
class PlaceholderBirthDate : public ::testing::TestWithParam<const char*> {};

TEST_P(PlaceholderBirthDate, IsMissing) {
  absl::StatusOr<BirthDate> b = ParseBirthDate(GetParam());
  ASSERT_TRUE(b.ok()) << GetParam() << ": " << b.status();
  EXPECT_EQ(b->reading, BirthDateReading::kPlaceholder) << GetParam();
  EXPECT_FALSE(b->known()) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Placeholders, PlaceholderBirthDate,
                         ::testing::Values("1900-01-01", "01-01-1900", "1-1-1900", "01/01/1900",
                                           "0001-01-01", "01-01-0001", "0000-00-00", "1899-12-31",
                                           "1899-12-30", "1753-01-01", "1800-01-01", "1850-06-15",
                                           "1901-01-01", "1-1-1901", "9999-12-31", "31-12-9999",
                                           "2999-12-31", "2100-01-01", "00-00-1970", "1970-00-00",
                                           "00-05-1985", "1985-05-00"));

TEST(ParseBirthDate, RealDatesNearThePlaceholdersAreKept) {
  for (const char* text : {"1900-01-02", "02-01-1900", "1901-01-02", "1901-02-01", "1970-01-01",
                           "2099-12-31", "1999-12-31", "29-02-2000"}) {
    absl::StatusOr<BirthDate> b = ParseBirthDate(text);
    ASSERT_TRUE(b.ok()) << text;
    EXPECT_EQ(b->reading, BirthDateReading::kValid) << text;
    EXPECT_EQ(b->date, *ParseDate(text)) << text;
  }
}

// Issue 13 case 07: an impossible date is read as its one plausible reading, or is missing.
TEST(ParseBirthDate, ImpossibleDatesWithOnePlausibleReading) {
  struct Case {
    const char* text;
    Date want;
  };
  for (const Case& c : {Case{"1957-06-31", {1957, 6, 13}},   // day digits transposed
                        Case{"31-06-1957", {1957, 6, 13}},   // the same in D-M-Y
                        Case{"1957-02-30", {1957, 2, 3}},    // 30 -> 03
                        Case{"1957-13-06", {1957, 6, 13}},   // day and month swapped
                        Case{"12/31/1980", {1980, 12, 31}},  // an American date
                        Case{"1980-04-31", {1980, 4, 13}}}) {
    absl::StatusOr<BirthDate> b = ParseBirthDate(c.text);
    ASSERT_TRUE(b.ok()) << c.text;
    EXPECT_EQ(b->reading, BirthDateReading::kCorrected) << c.text;
    EXPECT_EQ(b->date, c.want) << c.text;
    EXPECT_TRUE(b->known());
  }
}

TEST(ParseBirthDate, ImpossibleDatesWithoutOneReadingAreMissing) {
  // 29 February of a common year (92 is no day, no month 29); month 21 with day 06 (two
  // readings: 1957-12-06 and 1957-06-21); day 45 of month 13.
  for (const char* text : {"1957-02-29", "1957-21-06", "1957-13-45", "2001-02-29"}) {
    absl::StatusOr<BirthDate> b = ParseBirthDate(text);
    ASSERT_TRUE(b.ok()) << text;
    EXPECT_EQ(b->reading, BirthDateReading::kImpossible) << text;
    EXPECT_FALSE(b->known()) << text;
  }
}

TEST(ParseBirthDate, SyntaxErrorsStayErrors) {
  for (const char* text : {"", "1990", "19900201", "01.02.1990", "1-2-90", "x1990-02-01"}) {
    EXPECT_FALSE(ParseBirthDate(text).ok()) << text;
  }
  absl::StatusOr<BirthDate> b = ParseBirthDate("1990.02.01");
  EXPECT_THAT(std::string(b.status().message()), ::testing::Not(HasSubstr("1990")));
}

}  // namespace
}  // namespace pprl
