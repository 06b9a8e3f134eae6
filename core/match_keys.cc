#include "core/match_keys.h"

#include <algorithm>
#include <cstring>

#include "core/name_normaliser.h"

namespace pprl {
namespace {

constexpr std::string_view kSep = "\x1f";  // ASCII unit separator: never in a normalised field

// "YYYYMMDD" without allocation.
void EightDigits(const Date& d, char out[8]) {
  int v[3] = {d.year, d.month, d.day};
  out[0] = static_cast<char>('0' + v[0] / 1000 % 10);
  out[1] = static_cast<char>('0' + v[0] / 100 % 10);
  out[2] = static_cast<char>('0' + v[0] / 10 % 10);
  out[3] = static_cast<char>('0' + v[0] % 10);
  out[4] = static_cast<char>('0' + v[1] / 10);
  out[5] = static_cast<char>('0' + v[1] % 10);
  out[6] = static_cast<char>('0' + v[2] / 10);
  out[7] = static_cast<char>('0' + v[2] % 10);
}

// Builds the message in one buffer (one SHA-256 update instead of one per part).
void Emit(const HmacKey& key, KeyLevel level, std::span<const std::string_view> parts,
          std::vector<MatchKey>* out) {
  char buffer[256];
  size_t size = 0;
  for (std::string_view p : parts) size += p.size();
  Sha256Digest d;
  if (size <= sizeof buffer) {
    char* at = buffer;
    for (std::string_view p : parts) {
      std::memcpy(at, p.data(), p.size());
      at += p.size();
    }
    d = key.hmac().Compute(std::string_view(buffer, size));
  } else {
    d = key.hmac().Compute(parts);
  }
  MatchKey mk{level, {}};
  std::memcpy(mk.digest.data(), d.data(), kMatchKeyBytes);
  out->push_back(mk);
}

}  // namespace

std::string_view KeyLevelName(KeyLevel level) {
  switch (level) {
    case KeyLevel::kFull:
      return "full";
    case KeyLevel::kFirstInitial:
      return "first_initial";
    case KeyLevel::kSurnameDob:
      return "surname_dob";
    case KeyLevel::kPhonetic:
      return "phonetic";
    case KeyLevel::kDayMonthSwapped:
      return "day_month_swapped";
  }
  return "unknown";
}

std::optional<KeyLevel> KeyLevelFromNumber(int number) {
  for (KeyLevel level : kAllKeyLevels) {
    if (static_cast<int>(level) == number) return level;
  }
  return std::nullopt;
}

void ComputeMatchKeys(const HmacKey& key, const NormalisedIdentity& id,
                      std::vector<MatchKey>* out) {
  if (!id.birth_date_known) return;
  char dob[8];
  EightDigits(id.birth_date, dob);
  std::string_view dob_view(dob, 8);
  const std::string_view surname = id.surname;
  const bool has_initial = !id.initials.empty();
  const std::string_view first_initial =
      has_initial ? std::string_view(id.initials).substr(0, 1) : std::string_view();

  if (has_initial) {
    std::string prefix_letters;
    for (char c : id.prefix) {
      if (c != ' ') prefix_letters.push_back(c);
    }
    std::string_view full[] = {"pprl/v1/full", kSep,        prefix_letters, kSep,    surname,
                               kSep,           id.initials, kSep,           dob_view};
    Emit(key, KeyLevel::kFull, full, out);
    std::string_view first[] = {"pprl/v1/first_initial", kSep, surname, kSep,
                                first_initial,           kSep, dob_view};
    Emit(key, KeyLevel::kFirstInitial, first, out);
  }
  std::string_view sd[] = {"pprl/v1/surname_dob", kSep, surname, kSep, dob_view};
  Emit(key, KeyLevel::kSurnameDob, sd, out);
  if (has_initial) {
    std::string phonetic = DutchPhonetic(surname);
    std::string_view ph[] = {"pprl/v1/phonetic", kSep, phonetic, kSep,
                             first_initial,      kSep, dob_view};
    Emit(key, KeyLevel::kPhonetic, ph, out);
    // Only a date whose day could be a month can have been written with the two swapped.
    const Date& b = id.birth_date;
    if (b.day <= 12 && b.day != b.month) {
      char year_pair[8];
      std::memcpy(year_pair, dob, 4);
      int lo = std::min(b.day, b.month), hi = std::max(b.day, b.month);
      year_pair[4] = static_cast<char>('0' + lo / 10);
      year_pair[5] = static_cast<char>('0' + lo % 10);
      year_pair[6] = static_cast<char>('0' + hi / 10);
      year_pair[7] = static_cast<char>('0' + hi % 10);
      std::string_view swapped[] = {
          "pprl/v1/day_month_swapped",   kSep, surname, kSep, first_initial, kSep,
          std::string_view(year_pair, 8)};
      Emit(key, KeyLevel::kDayMonthSwapped, swapped, out);
    }
  }
}

}  // namespace pprl
