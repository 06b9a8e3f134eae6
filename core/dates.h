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

// How a birth date field was read (ParseBirthDate).
enum class BirthDateReading {
  kValid,        // a real date
  kPlaceholder,  // a stand-in for "unknown" (IsPlaceholderBirthDate): treated as missing
  kCorrected,    // impossible as written, with exactly one plausible reading (see below)
  kImpossible,   // impossible as written, with no single plausible reading: treated as missing
};

struct BirthDate {
  BirthDateReading reading = BirthDateReading::kValid;
  Date date;  // the date read (kValid, kCorrected); {0, 0, 0} otherwise
  bool known() const {
    return reading == BirthDateReading::kValid || reading == BirthDateReading::kCorrected;
  }
};

// The documented placeholder rule: a birth date is a stand-in for "unknown", never a person's
// birth date, when it is on or before 1900-01-01 (1900-01-01 itself, 1899-12-30/31 of
// spreadsheets, 1753-01-01 and 0001-01-01 of databases, any 19th-century date), is 1901-01-01,
// or lies in the year 2100 or later (9999-12-31, 2999-12-31). A day or month written as 00 (the
// civil registry's "partly unknown" date, 00-00-1970) is treated the same way by
// ParseBirthDate. Year, month and day as written (not necessarily a valid date).
bool IsPlaceholderBirthDate(int year, int month, int day);

// A birth date field: the formats of ParseDate (syntax errors are errors, the message never
// repeats the input), then
//  - a placeholder (above), or a 00 day or month: kPlaceholder;
//  - a date that does not exist (31 June, 30 February, month 13): of the readings "day and
//    month swapped", "the day's two digits transposed" and "the month's two digits transposed",
//    the valid ones that are not placeholders are taken; exactly one gives kCorrected with that
//    date (1957-06-31 -> 1957-06-13, 1957-13-06 -> 1957-06-13), none or several kImpossible;
//  - otherwise kValid.
// Whether the date precedes the event it belongs to is the caller's check.
[[nodiscard]] absl::StatusOr<BirthDate> ParseBirthDate(std::string_view text);

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
