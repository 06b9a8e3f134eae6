// What a site may send about one export row: match keys, the record id, the event date and
// the derived, non-identifying attributes of SPEC section 3. Nothing else.
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
#include "core/match_keys.h"

namespace pprl {

struct CaseAttributes {
  int age = 0;        // whole years at first_discussed
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

struct PseudonymousRecord {
  ExportKind kind = ExportKind::kCases;
  std::string record_id;
  int32_t event_day = 0;  // days since 1970-01-01: first_discussed, incident or conviction date
  std::vector<MatchKey> keys;
  CaseAttributes case_attributes;          // kind == kCases
  IncidentAttributes incident_attributes;  // kind == kIncidents
};

}  // namespace pprl

#endif  // PPRL_CORE_PSEUDONYMOUS_RECORD_H_
