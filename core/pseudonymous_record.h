// What a site may send about one export row: match keys, keyed field encodings, the record id, the
// event date and the derived, non-identifying attributes of SPEC section 3. Nothing else.
//
// PSEUDONYMS only: no name, initial, birth date or offence text can be represented here.
// Plain values, thread-compatible.
#ifndef PPRL_CORE_PSEUDONYMOUS_RECORD_H_
#define PPRL_CORE_PSEUDONYMOUS_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/columns.h"
#include "core/field_encodings.h"
#include "core/match_keys.h"

namespace pprl {

struct CaseAttributes {
  // Whole years at first_discussed; unknown when the birth date is a placeholder or impossible
  // (core/dates.h), so that such a case never enters a study as 113 years old.
  std::optional<int> age;
  char gender = 'o';  // 'm', 'v' or 'o' (unknown)
  std::string kader;  // lower case, may be empty
  std::optional<int> times_discussed;
  std::optional<int> life_domains;  // 0..11
  std::optional<bool> goals;
  std::optional<bool> decisions;
  std::optional<bool> actions;
};

struct IncidentAttributes {
  std::string category;  // lower case, may be empty
  std::string role;      // lower case, may be empty
};

// Police records only: the least a comparison group needs (same gender, same age band). The
// birth year is coarsened at the site to a 5-year band; nothing finer leaves it.
inline constexpr int kBirthBandYears = 5;
struct PersonAttributes {
  char gender = 'o';   // 'm', 'v' or 'o' (unknown or not exported)
  int birth_band = 0;  // first year of the band (1990: born 1990-1994); 0 unknown
};
// The band a birth year falls in.
inline int BirthBand(int birth_year) {
  return birth_year - ((birth_year % kBirthBandYears) + kBirthBandYears) % kBirthBandYears;
}

struct PseudonymousRecord {
  ExportKind kind = ExportKind::kCases;
  std::string record_id;
  int32_t event_day = 0;  // days since 1970-01-01: first_discussed, incident or conviction date
  std::vector<MatchKey> keys;
  FieldEncodings encodings;                // for probabilistic linkage; empty from older agents
  CaseAttributes case_attributes;          // kind == kCases
  IncidentAttributes incident_attributes;  // kind == kIncidents
  PersonAttributes person;                 // kind == kIncidents or kConvictions
};

}  // namespace pprl

#endif  // PPRL_CORE_PSEUDONYMOUS_RECORD_H_
