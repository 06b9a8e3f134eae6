#include "core/probabilistic_linkage.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace pprl {
namespace {

bool Same(const FieldEncodings& a, const FieldEncodings& b, TokenKind kind) {
  uint64_t x = a.token(kind);
  return x != 0 && x == b.token(kind);
}

// The names read swapped on one side: a record's swapped reading (first name as the surname,
// the surname's initial as the first initial) equals the other's straight one (kinds 16 and 12
// share a key). `both`: it holds in both directions (a first name on both sides).
bool SwappedNames(const FieldEncodings& a, const FieldEncodings& b, bool* both) {
  auto one_way = [](const FieldEncodings& x, const FieldEncodings& y) {
    const uint64_t straight = x.token(TokenKind::kPhoneticInitialDob);
    return straight != 0 && straight == y.token(TokenKind::kSwappedPhoneticInitialDob);
  };
  const bool ab = one_way(a, b), ba = one_way(b, a);
  *both = ab && ba;
  return ab || ba;
}

// Every date-bearing token is bound to the surname (core/field_encodings.h): a record with a
// birth date has the surname + birth date token.
bool HasDate(const FieldEncodings& e) { return e.token(TokenKind::kSurnameDob) != 0; }

// The birth-date section of Compare (issue 13, F1): partial dates are only keyed together with
// the surname and the given name, whole dates with the surname (or its phonetic form, or three
// of its letters and the first name).
struct DateAgreement {
  uint8_t level = birth_date_level::kMissing;
  bool same_year = false;        // the name filters (salted by year) are comparable
  bool names_known = false;      // surname and given name known equal: partial dates comparable
  bool names_month_day = false;  // surname, given name, month and day agree
  bool same_family = false;      // the phonetic surnames agree: the first-name filters' other salt
  bool first_name_same = false;  // a token holding the first initial and the date agrees
  bool given_same = false;       // a token holding the given name (surname and a date part) agrees
};

DateAgreement CompareDates(const FieldEncodings& a, const FieldEncodings& b) {
  DateAgreement r;
  const bool surname_filters_equal =
      BloomPopCount(a.surname_bloom) > 0 && a.surname_bloom == b.surname_bloom;
  if (!HasDate(a) || !HasDate(b)) {
    r.same_year = !HasDate(a) && !HasDate(b);  // both filters unsalted alike
    r.same_family = r.same_year && surname_filters_equal;
    return r;
  }
  const bool ym = Same(a, b, TokenKind::kNamesYearMonth);
  const bool yd = Same(a, b, TokenKind::kNamesYearDay);
  const bool md = Same(a, b, TokenKind::kNamesMonthDay);
  const bool unordered = Same(a, b, TokenKind::kSurnameYearSwapped);
  r.first_name_same = Same(a, b, TokenKind::kSurnameHeadFirstNameDob) ||
                      Same(a, b, TokenKind::kSurnameTailFirstNameDob);
  const bool surname_dob = Same(a, b, TokenKind::kSurnameDob);
  const bool phonetic =
      Same(a, b, TokenKind::kPhoneticInitialDob) || Same(a, b, TokenKind::kPhoneticGivenYear);
  bool both_ways = false;
  const bool phonetic_dob = Same(a, b, TokenKind::kPhoneticDob);
  const bool whole = surname_dob || r.first_name_same || SwappedNames(a, b, &both_ways) ||
                     Same(a, b, TokenKind::kPhoneticInitialDob) || phonetic_dob;
  r.same_year = ym || yd || unordered || whole || Same(a, b, TokenKind::kPhoneticGivenYear);
  r.same_family = ym || yd || md || unordered || surname_dob || phonetic || phonetic_dob ||
                  (r.same_year && surname_filters_equal);
  r.names_month_day = md;
  r.given_same = ym || yd || md || Same(a, b, TokenKind::kPhoneticGivenYear);
  r.names_known = ym || yd || md;
  // Same year and equal filters of both names: the names agree, so the partial-date tokens
  // were comparable and their disagreement is evidence.
  if (!r.names_known && r.same_year && a.has_first_name() && BloomPopCount(a.surname_bloom) > 0 &&
      a.surname_bloom == b.surname_bloom && a.first_name_bloom == b.first_name_bloom) {
    r.names_known = true;
  }
  // Equal surname filters (surname and band) and the phonetic surname + given name + year token
  // agree: surname and given name are equal (initials too, where a site has no first name), so
  // the partial-date tokens were comparable and none agrees: month and day both differ. Without
  // this the pair's date was "missing", and namesakes by initials born in one year linked at
  // surname + initials alone (session 6: the false links at 12-13 bits).
  if (!r.names_known && surname_filters_equal && Same(a, b, TokenKind::kPhoneticGivenYear)) {
    r.names_known = true;
  }
  if (whole || (ym && yd)) {
    r.level = birth_date_level::kExact;
  } else if (unordered && !md) {
    r.level = birth_date_level::kSwapped;
  } else if (static_cast<int>(ym) + yd + md == 1) {
    r.level = birth_date_level::kOnePart;
  } else if (r.names_known) {
    r.level = birth_date_level::kDifferent;
  } else {
    r.level = birth_date_level::kMissing;  // nothing comparable: not evidence either way
  }
  return r;
}

// One record's surname is a part of the other's double surname (red team 6, R3: "Jansen-van der
// Berg" never met "van der Berg"): the shorter filter's bits are 70% or more in the longer one,
// which holds at least two bigrams more (8 bits: kBloomHashes per bigram), and the surname's
// head or tail token agrees (first or last three letters, first initial and birth date: the
// blocking that found the pair). A random name's bits are in a dense filter far less often.
bool DoubleSurnamePart(const FieldEncodings& a, const FieldEncodings& b,
                       const DateAgreement& dates) {
  if (!dates.first_name_same) return false;
  const int na = BloomPopCount(a.surname_bloom), nb = BloomPopCount(b.surname_bloom);
  const FieldEncodings& shorter = na <= nb ? a : b;
  const FieldEncodings& longer = na <= nb ? b : a;
  if (std::min(na, nb) == 0 || std::max(na, nb) < std::min(na, nb) + 2 * kBloomHashes) return false;
  return BloomContainment(shorter.surname_bloom, longer.surname_bloom) >= 0.7;
}

}  // namespace

std::string_view CompareFieldName(CompareField field) {
  switch (field) {
    case CompareField::kSurname:
      return "surname";
    case CompareField::kFirstName:
      return "first_name";
    case CompareField::kBirthDate:
      return "birth_date";
  }
  return "unknown";
}

int LevelCount(CompareField field) {
  switch (field) {
    case CompareField::kSurname:
      return surname_level::kCount;
    case CompareField::kFirstName:
      return first_name_level::kCount;
    case CompareField::kBirthDate:
      return birth_date_level::kCount;
  }
  return 0;
}

std::string_view LevelName(CompareField field, uint8_t level) {
  static constexpr std::string_view kSurname[] = {"exact",     "close",   "similar", "swapped",
                                                  "different", "unknown", "part"};
  static constexpr std::string_view kFirst[] = {"exact",     "similar",       "initial",
                                                "different", "one_missing",   "both_missing",
                                                "unknown",   "initials_agree"};
  static constexpr std::string_view kDate[] = {"exact", "one_part", "swapped", "different",
                                               "missing"};
  if (level >= LevelCount(field)) return "?";
  switch (field) {
    case CompareField::kSurname:
      return kSurname[level];
    case CompareField::kFirstName:
      return kFirst[level];
    case CompareField::kBirthDate:
      return kDate[level];
  }
  return "?";
}

bool IsInformative(CompareField field, uint8_t level) {
  switch (field) {
    case CompareField::kSurname:
      return level != surname_level::kUnknown;
    case CompareField::kFirstName:
      return level <= first_name_level::kDifferent || level == first_name_level::kInitialsAgree;
    case CompareField::kBirthDate:
      return level != birth_date_level::kMissing;
  }
  return false;
}

Comparison Compare(const FieldEncodings& a, const FieldEncodings& b) {
  Comparison c;
  // Birth date from the surname-bound tokens.
  const DateAgreement dates = CompareDates(a, b);
  uint8_t& date = c.level[static_cast<int>(CompareField::kBirthDate)];
  date = dates.level;
  // The name filters are salted by birth year: comparable only when the years agree (or when
  // neither record has a date, both salted alike).
  const bool same_year = dates.same_year;
  bool swapped_both_ways = false;
  const bool swapped = SwappedNames(a, b, &swapped_both_ways) &&
                       !Same(a, b, TokenKind::kPhoneticInitialDob) &&
                       !Same(a, b, TokenKind::kSurnameHeadFirstNameDob) &&
                       !Same(a, b, TokenKind::kSurnameTailFirstNameDob);
  // Surname, given name, month and day agree: the names are equal across a year error.
  const bool no_year = dates.names_month_day;

  uint8_t& surname = c.level[static_cast<int>(CompareField::kSurname)];
  if (swapped) {
    surname = surname_level::kSwapped;
  } else if (same_year) {
    double dice = BloomDice(a.surname_bloom, b.surname_bloom);
    c.surname_dice = dice;
    surname = a.surname_bloom == b.surname_bloom ? surname_level::kExact
              : dice >= 0.8                      ? surname_level::kClose
              : dice >= 0.6                      ? surname_level::kSimilar
              : DoubleSurnamePart(a, b, dates)   ? surname_level::kPart
                                                 : surname_level::kDifferent;
  } else if (no_year) {
    surname = surname_level::kExact;
  } else {
    surname = surname_level::kUnknown;
  }

  uint8_t& first = c.level[static_cast<int>(CompareField::kFirstName)];
  const bool a_has = a.has_given_name(), b_has = b.has_given_name();
  const bool initial_same = Same(a, b, TokenKind::kPhoneticInitialDob);
  if (swapped) {
    // Both ways: each first name sounds as the other's surname. One way: the other side's first
    // initial is this side's surname initial (it holds initials only).
    first = swapped_both_ways ? first_name_level::kExact : first_name_level::kInitial;
  } else if (!a_has && !b_has) {
    first = first_name_level::kBothMissing;
  } else if (!a_has || !b_has) {
    first = first_name_level::kOneMissing;
  } else if (a.has_first_name() && b.has_first_name() && same_year && dates.same_family) {
    double dice = BloomDice(a.first_name_bloom, b.first_name_bloom);
    first = a.first_name_bloom == b.first_name_bloom ? first_name_level::kExact
            : dice >= 0.7                            ? first_name_level::kSimilar
            : initial_same || (no_year && surname == surname_level::kExact)
                ? first_name_level::kInitial
                : first_name_level::kDifferent;
  } else if (dates.given_same && !(a.has_first_name() && b.has_first_name())) {
    // A token holding the given name agrees, and the given name is the initials on at least
    // one side (a first name and initials never give equal tokens): all initials agree.
    first = first_name_level::kInitialsAgree;
  } else if (dates.first_name_same) {
    first = first_name_level::kInitial;  // the first initial is in the agreeing token
  } else if (initial_same) {
    first = first_name_level::kInitial;
  } else if (date == birth_date_level::kExact && Same(a, b, TokenKind::kSurnameDob)) {
    first = first_name_level::kDifferent;  // the initial tokens were comparable
  } else if (no_year) {
    // The month + day token holds the given name: the first name itself when both have one.
    first = a.has_first_name() && b.has_first_name() ? first_name_level::kExact
                                                     : first_name_level::kInitial;
  } else {
    first = first_name_level::kUnknown;
  }
  return c;
}

double FsParameters::Weight(CompareField field, uint8_t level) const {
  if (!IsInformative(field, level)) return 0.0;
  int f = static_cast<int>(field);
  return std::log2(m[f][level] / u[f][level]);
}

FsParameters DefaultParameters() {
  FsParameters p;
  auto set = [&](CompareField field, std::initializer_list<double> m,
                 std::initializer_list<double> u) {
    int f = static_cast<int>(field);
    std::copy(m.begin(), m.end(), p.m[f].begin());
    std::copy(u.begin(), u.end(), p.u[f].begin());
  };
  // surname: exact, close, similar, swapped, different, unknown, part (a double surname's part:
  // about 1 in 100 true pairs where one register holds a married name; among random pairs that
  // agree on three letters, an initial and a birth date, rarer than a close spelling)
  set(CompareField::kSurname, {0.87, 0.05, 0.03, 0.005, 0.035, 1, 0.01},
      {0.003, 0.001, 0.006, 0.000002, 0.99, 1, 0.00003});
  // first name: exact, similar, initial, different, one_missing, both_missing, unknown,
  // initials_agree (all initials: as the reference's initials level, ~0.86 / ~0.011)
  set(CompareField::kFirstName, {0.85, 0.03, 0.06, 0.03, 1, 1, 1, 0.85},
      {0.01, 0.004, 0.04, 0.9, 1, 1, 1, 0.012});
  // birth date: exact, one_part, swapped, different, missing
  set(CompareField::kBirthDate, {0.93, 0.04, 0.01, 0.02, 1}, {0.00004, 0.005, 0.00001, 0.995, 1});
  p.lambda = 0.01;
  return p;
}

FsParameters EstimateParameters(const std::vector<Comparison>& pairs, const FsParameters& start,
                                int max_iterations) {
  FsParameters p = start;
  if (pairs.empty()) return p;
  // Count distinct patterns.
  std::map<std::array<uint8_t, kCompareFields>, double> patterns;
  for (const Comparison& c : pairs) patterns[c.level] += 1;
  const double n = static_cast<double>(pairs.size());
  for (int it = 0; it < max_iterations; ++it) {
    std::array<std::array<double, kMaxLevels>, kCompareFields> m_sum{};
    double match_total = 0;
    for (const auto& [levels, count] : patterns) {
      double lm = std::log(p.lambda), lu = std::log(1 - p.lambda);
      for (int f = 0; f < kCompareFields; ++f) {
        CompareField field = static_cast<CompareField>(f);
        if (!IsInformative(field, levels[f])) continue;
        lm += std::log(p.m[f][levels[f]]);
        lu += std::log(p.u[f][levels[f]]);
      }
      double g = 1.0 / (1.0 + std::exp(lu - lm));  // P(match | pattern)
      match_total += g * count;
      for (int f = 0; f < kCompareFields; ++f) {
        if (IsInformative(static_cast<CompareField>(f), levels[f])) {
          m_sum[f][levels[f]] += g * count;
        }
      }
    }
    double change = 0;
    for (int f = 0; f < kCompareFields; ++f) {
      CompareField field = static_cast<CompareField>(f);
      double total = 0;
      int informative = 0;
      for (int l = 0; l < LevelCount(field); ++l) {
        if (!IsInformative(field, static_cast<uint8_t>(l))) continue;
        total += m_sum[f][l];
        ++informative;
      }
      for (int l = 0; l < LevelCount(field); ++l) {
        if (!IsInformative(field, static_cast<uint8_t>(l))) continue;
        // Smoothed: half a pair per level, so no level's m reaches 0.
        double v = (m_sum[f][l] + 0.5) / (total + 0.5 * informative);
        change = std::max(change, std::fabs(v - p.m[f][l]));
        p.m[f][l] = v;
      }
    }
    double lambda = std::clamp(match_total / n, 1e-6, 1 - 1e-6);
    change = std::max(change, std::fabs(lambda - p.lambda));
    p.lambda = lambda;
    p.iterations = it + 1;
    if (change < 1e-6) break;
  }
  p.estimated = true;
  return p;
}

}  // namespace pprl
