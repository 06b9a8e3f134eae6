// The cascade of match keys derived from a normalised identity.
//
// Input: RAW IDENTITIES (normalised, still names); output: PSEUDONYMS (truncated HMACs) that may
// leave the site. Each level's string starts with the level's name, then the fields separated
// by a byte that never occurs in a normalised field, so no two levels or field splits can
// produce the same HMAC input. A level whose fields are missing (no initials) gives no key:
// an absent key can then never join two people by accident.
//
// Pure and thread-safe (the key's HMAC state is read-only).
#ifndef PPRL_CORE_MATCH_KEYS_H_
#define PPRL_CORE_MATCH_KEYS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dates.h"
#include "core/hmac_key.h"

namespace pprl {

// Strongest first. The numbers are part of the wire format: never reuse one.
enum class KeyLevel : uint8_t {
  kFull = 1,             // prefix + surname + all initials + birth date
  kFirstInitial = 2,     // surname + first initial + birth date
  kSurnameDob = 3,       // surname + birth date (recovers a missing initial)
  kPhonetic = 4,         // Dutch phonetic surname + first initial + birth date (typos)
  kDayMonthSwapped = 5,  // surname + first initial + year + {day, month} unordered
};
inline constexpr KeyLevel kAllKeyLevels[] = {KeyLevel::kFull, KeyLevel::kFirstInitial,
                                             KeyLevel::kSurnameDob, KeyLevel::kPhonetic,
                                             KeyLevel::kDayMonthSwapped};

std::string_view KeyLevelName(KeyLevel level);
std::optional<KeyLevel> KeyLevelFromNumber(int number);

inline constexpr size_t kMatchKeyBytes = 16;  // 128 bits kept of 256

struct MatchKey {
  KeyLevel level;
  std::array<uint8_t, kMatchKeyBytes> digest;
  bool operator==(const MatchKey&) const = default;
};

// RAW IDENTITY, normalised: agent-only.
struct NormalisedIdentity {
  std::string prefix;    // "van der" (may be empty)
  std::string surname;   // "berg": letters a-z, never empty
  std::string initials;  // "jp": one letter per given name, may be empty
  Date birth_date;
  // The first given name, letters a-z ("jan" of "Jan Pieter"); empty when only initials or
  // nothing was given. Used by the field encodings (core/field_encodings.h), not by match keys.
  std::string first_name;
  // False for a placeholder or unreadable birth date (core/dates.h): every key holds the birth
  // date, so such an identity yields no key at all and can never be joined on it.
  bool birth_date_known = true;
};

// Appends the keys of every level whose fields are present, strongest first; none when the
// birth date is not known.
void ComputeMatchKeys(const HmacKey& key, const NormalisedIdentity& identity,
                      std::vector<MatchKey>* out);

}  // namespace pprl

#endif  // PPRL_CORE_MATCH_KEYS_H_
