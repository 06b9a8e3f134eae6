#include "core/dates.h"

#include <array>

#include "core/text.h"

namespace pprl {
namespace {

constexpr std::string_view kFormats = "YYYY-MM-DD, DD-MM-YYYY, D-M-YYYY, DD/MM/YYYY or D/M/YYYY";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of 1..max_len digits at text[pos], advancing pos. Returns -1 on failure.
int ReadNumber(std::string_view text, size_t& pos, size_t min_len, size_t max_len) {
  size_t start = pos;
  int value = 0;
  while (pos < text.size() && IsDigit(text[pos]) && pos - start < max_len) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
  }
  size_t len = pos - start;
  if (len < min_len) return -1;
  if (pos < text.size() && IsDigit(text[pos])) return -1;  // too many digits
  return value;
}

}  // namespace

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

bool IsValidDate(int year, int month, int day) {
  return year >= kMinYear && year <= kMaxYear && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

namespace {

// Year, month and day as written: syntax only, no range check.
absl::StatusOr<Date> ParseDateParts(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return absl::InvalidArgumentError("empty date");
  auto not_a_date = [] {
    return absl::InvalidArgumentError(std::string("not a date in the form ") +
                                      std::string(kFormats));
  };
  int year = -1, month = -1, day = -1;
  size_t pos = 0;
  if (text.size() >= 5 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
      IsDigit(text[3]) && text[4] == '-') {
    // YYYY-MM-DD, two digits each for month and day.
    year = ReadNumber(text, pos, 4, 4);
    if (pos >= text.size() || text[pos] != '-') return not_a_date();
    ++pos;
    month = ReadNumber(text, pos, 2, 2);
    if (month < 0 || pos >= text.size() || text[pos] != '-') return not_a_date();
    ++pos;
    day = ReadNumber(text, pos, 2, 2);
  } else {
    // D-M-YYYY or D/M/YYYY, one separator used throughout.
    day = ReadNumber(text, pos, 1, 2);
    if (day < 0 || pos >= text.size()) return not_a_date();
    char sep = text[pos];
    if (sep != '-' && sep != '/') return not_a_date();
    ++pos;
    month = ReadNumber(text, pos, 1, 2);
    if (month < 0 || pos >= text.size() || text[pos] != sep) return not_a_date();
    ++pos;
    year = ReadNumber(text, pos, 4, 4);
  }
  if (year < 0 || month < 0 || day < 0 || pos != text.size()) return not_a_date();
  return Date{year, month, day};
}

int TransposeDigits(int two_digits) { return two_digits % 10 * 10 + two_digits / 10; }

}  // namespace

absl::StatusOr<Date> ParseDate(std::string_view text) {
  absl::StatusOr<Date> parts = ParseDateParts(text);
  if (!parts.ok()) return parts.status();
  const auto [year, month, day] = *parts;
  if (year < kMinYear || year > kMaxYear) {
    return absl::InvalidArgumentError("year outside " + std::to_string(kMinYear) + ".." +
                                      std::to_string(kMaxYear));
  }
  if (month < 1 || month > 12) return absl::InvalidArgumentError("impossible date: no such month");
  if (day < 1 || day > DaysInMonth(year, month)) {
    return absl::InvalidArgumentError("impossible date: the month has no such day");
  }
  return Date{year, month, day};
}

bool IsPlaceholderBirthDate(int year, int month, int day) {
  if (year >= 2100) return true;
  if (Date{year, month, day} <= Date{1900, 1, 1}) return true;
  return year == 1901 && month == 1 && day == 1;
}

absl::StatusOr<BirthDate> ParseBirthDate(std::string_view text) {
  absl::StatusOr<Date> parts = ParseDateParts(text);
  if (!parts.ok()) return parts.status();
  const Date& w = *parts;
  BirthDate out;
  if (w.month == 0 || w.day == 0 || IsPlaceholderBirthDate(w.year, w.month, w.day)) {
    out.reading = BirthDateReading::kPlaceholder;
    return out;
  }
  if (IsValidDate(w.year, w.month, w.day)) {
    out.date = w;
    return out;
  }
  // Impossible as written: look for the one plausible reading.
  const Date candidates[] = {{w.year, w.day, w.month},
                             {w.year, w.month, TransposeDigits(w.day)},
                             {w.year, TransposeDigits(w.month), w.day}};
  int found = 0;
  for (const Date& c : candidates) {
    if (!IsValidDate(c.year, c.month, c.day) || IsPlaceholderBirthDate(c.year, c.month, c.day)) {
      continue;
    }
    if (found == 0 || !(c == out.date)) {
      out.date = c;
      ++found;
    }
  }
  if (found == 1) {
    out.reading = BirthDateReading::kCorrected;
  } else {
    out.reading = BirthDateReading::kImpossible;
    out.date = Date{};
  }
  return out;
}

std::string FormatIsoDate(const Date& date) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", date.year, date.month, date.day);
  return buf;
}

// Howard Hinnant's days_from_civil / civil_from_days.
int32_t DaysSinceEpoch(const Date& date) {
  int y = date.year - (date.month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned m = static_cast<unsigned>(date.month);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(date.day) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

Date DateFromDays(int32_t days) {
  int z = days + 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int y = static_cast<int>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Date{y + (m <= 2 ? 1 : 0), static_cast<int>(m), static_cast<int>(d)};
}

Date AddMonths(const Date& date, int months) {
  int index = date.year * 12 + (date.month - 1) + months;
  int year = index >= 0 ? index / 12 : (index - 11) / 12;
  int month = index - year * 12 + 1;
  int day = std::min(date.day, DaysInMonth(year, month));
  return Date{year, month, day};
}

int WholeYearsBetween(const Date& birth, const Date& on) {
  int years = on.year - birth.year;
  if (on.month < birth.month || (on.month == birth.month && on.day < birth.day)) --years;
  return years;
}

}  // namespace pprl
