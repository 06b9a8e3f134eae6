// Calendar dates: parsing the five export formats, ISO rendering, day numbers, month
// arithmetic that clamps to the month's end, and whole-year ages.
//
// Pure values, thread-safe. A Date may be a birth date (an identity, agent-only) or an event
// date (allowed to leave the site); this header does not know which.
#ifndef PPRL_CORE_DATES_H_
#define PPRL_CORE_DATES_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pprl {

struct Date {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31

  auto operator<=>(const Date&) const = default;
};

// Years accepted anywhere: wide enough for any living person and any record.
inline constexpr int kMinYear = 1800;
inline constexpr int kMaxYear = 2199;

bool IsLeapYear(int year);
int DaysInMonth(int year, int month);
bool IsValidDate(int year, int month, int day);

// Parses YYYY-MM-DD, DD-MM-YYYY, D-M-YYYY, DD/MM/YYYY or D/M/YYYY (surrounding blanks allowed).
// The error message never repeats the input, since it may be a birth date.
[[nodiscard]] absl::StatusOr<Date> ParseDate(std::string_view text);

// "YYYY-MM-DD".
std::string FormatIsoDate(const Date& date);

// Days since 1970-01-01 (negative before); the inverse is DateFromDays.
int32_t DaysSinceEpoch(const Date& date);
Date DateFromDays(int32_t days);

// date + months calendar months; a day past the target month's end becomes its last day
// (2013-05-31 - 3 months = 2013-02-28).
Date AddMonths(const Date& date, int months);

// Whole years from `birth` to `on` (the birthday counts on the day itself; a 29 February
// birthday counts on 1 March in common years). Negative if `on` precedes `birth`.
int WholeYearsBetween(const Date& birth, const Date& on);

}  // namespace pprl

#endif  // PPRL_CORE_DATES_H_
