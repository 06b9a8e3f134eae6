// Joining pseudonymised records of all extracts into subjects by walking the key cascade.
//
// PSEUDONYMS only. Pure and deterministic: the same records (in any order) give the same
// subjects, subject ids and counts. Not thread-safe; one Link() call at a time per input.
//
// Rules (SPEC section 4):
// - Levels are walked strongest first; at each level, records sharing a key are joined.
// - At surname_dob, a key shared by clusters that carry different first-initial keys (twins
//   with one surname and birth date but different initials) is ambiguous: it joins nothing
//   and is counted. The test needs no names: it compares first_initial digests.
// - Every join records the level that made it.
// - A subject's id is derived from its smallest member (source, extract, record id), so an
//   unchanged cluster keeps its id when other extracts are added, whatever the input order.
#ifndef PPRL_CORE_LINKAGE_H_
#define PPRL_CORE_LINKAGE_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/columns.h"
#include "core/match_keys.h"

namespace pprl {

struct LinkInput {
  ExportKind source = ExportKind::kCases;
  std::string extract_id;
  std::string record_id;
  std::vector<MatchKey> keys;
};

struct LinkageCounts {
  int64_t records = 0;
  int64_t subjects = 0;
  int64_t links_by_level[6] = {};  // index: KeyLevel number; joins made at that level
  int64_t ambiguous_keys = 0;      // key groups that joined nothing because of a conflict
};

struct LinkageResult {
  // Parallel to the input: the subject of each record, and the level of the strongest join
  // that took it into its subject (0 when it was joined to nothing).
  std::vector<uint32_t> subject_of;
  std::vector<uint8_t> joined_at_level;
  // Subject ids, indexed by the numbers in subject_of ("S" + 16 hex digits).
  std::vector<std::string> subject_ids;
  LinkageCounts counts;
};

LinkageResult Link(const std::vector<LinkInput>& records);

}  // namespace pprl

#endif  // PPRL_CORE_LINKAGE_H_
