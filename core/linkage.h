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
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/columns.h"
#include "core/field_encodings.h"
#include "core/link_input.h"
#include "core/match_keys.h"
#include "core/probabilistic_linkage.h"

namespace pprl {

// One per record for a whole link run: kept compact (core/link_input.h).
struct LinkInput {
  ExportKind source = ExportKind::kCases;
  ExtractId extract_id;
  std::string record_id;
  LinkKeys keys;
  FieldEncodings encodings;  // empty: the record takes part in the exact cascade only
};

// The level recorded for a record joined by the probabilistic stage (after the key levels).
inline constexpr uint8_t kProbabilisticLevel = 6;
// "full" ... "day_month_swapped", "probabilistic", or "" for 0.
std::string_view LinkLevelName(uint8_t level);

struct LinkOptions {
  bool probabilistic = true;
  // Match weights in bits (log2 of the likelihood ratio, term-frequency adjusted): a pair at
  // or above link_threshold is linked; between possible_threshold and it, it is a possible
  // link: counted and reported, never linked. 12 bits: the lowest threshold at which precision
  // stayed >= 0.995 on all three seeds of linkage_quality --errors realistic (session 6: 0.9995,
  // 0.9997, 0.9963; recall 0.9449, 0.9476, 0.9087 against 0.9189, 0.9296, 0.8843 at 17).
  double link_threshold = 12.0;
  double possible_threshold = 8.0;
  // EM runs when at least this many candidate pairs exist; below, the default parameters.
  int64_t em_min_pairs = 2000;
  // A blocking token shared by more records than this is too frequent to block on (skipped).
  int max_block = 64;
  // Prior odds that a record whose first name differs from a subject's (same surname and
  // birth date) belongs to a twin rather than being a registration error of the subject.
  double twin_prior = 0.25;
  // Two clusters of two or more records each are joined only at link_threshold + this (bits).
  double established_margin = 6.0;
  // The cases are linked among themselves first and each group so found is one subject that
  // no other join may merge with another group (the cohort's subjects follow from the case
  // file alone). Off only for that inner run.
  bool case_groups_first = true;
  // A different first name keeps two records apart even when both are lone (the inner run
  // over the cases: the case file holds one row per subject, so two rows differing in first
  // name with one surname and birth date are twins, not a registration error).
  bool different_first_name_vetoes = false;
  // Called once when the exact cascade is done, before the probabilistic stage: the linker
  // runs its encoding audit beside the cascade and joins it here, so that the audit's working
  // memory and the probabilistic stage's are never held at once. Not passed to the inner run.
  std::function<void()> after_cascade;
};

// Why a probabilistic link (or possible link) was made: levels and partial weights, no value.
struct LinkEvidence {
  uint32_t a = 0, b = 0;  // record indices, a < b
  double weight = 0;      // total, bits
  std::array<uint8_t, kCompareFields> level{};
  std::array<double, kCompareFields> partial{};
  double tf_adjustment = 0;  // included in partial[] of the exact levels; shown separately
  bool linked = false;       // false: a possible link, or vetoed
  bool twin_veto = false;    // a different first name between two established subjects
};

struct LinkageCounts {
  int64_t records = 0;
  int64_t subjects = 0;
  int64_t links_by_level[6] = {};   // index: KeyLevel number; joins made at that level
  int64_t ambiguous_keys = 0;       // key groups that joined nothing because of a conflict
  int64_t candidate_pairs = 0;      // pairs compared by the probabilistic stage
  int64_t probabilistic_links = 0;  // joins made by it
  int64_t possible_links = 0;       // pairs in the possible-link band (not joined)
  int64_t twin_vetoes = 0;          // pairs above the threshold kept apart as twins
  int64_t ambiguous_records = 0;    // records that would link to either of two twins: neither
  int64_t frequent_blocks = 0;      // blocking tokens skipped as too frequent
  int64_t uncorroborated = 0;       // joins refused: a nameless cluster to a case's name only
  // Joins refused because they would have made two case groups (cases the case file alone
  // does not join) one subject: a police record bridging them.
  int64_t case_groups_kept_apart = 0;
};

struct LinkageResult {
  // Parallel to the input: the subject of each record, and the level of the strongest join
  // that took it into its subject (0 when it was joined to nothing).
  std::vector<uint32_t> subject_of;
  std::vector<uint8_t> joined_at_level;
  // Subject ids, indexed by the numbers in subject_of ("S" + 16 hex digits).
  std::vector<std::string> subject_ids;
  LinkageCounts counts;
  // Probabilistic links and possible links, strongest first; evidence_of[record] is the index
  // of the link that joined the record (-1: none).
  std::vector<LinkEvidence> evidence;
  std::vector<int32_t> evidence_of;
  FsParameters parameters;
};

LinkageResult Link(const std::vector<LinkInput>& records, const LinkOptions& options = {});

// "cases\x1forigin\x1frecord": how a record is named in a membership. The linker's origin is
// the record's site (linker/linker_core.cc: a record id is its site's own and stays when the
// site exports it again, so a case file withdrawn and submitted again keeps its subjects' ids);
// MemberName(LinkInput), for callers that know no site, takes the extract id.
std::string MemberName(const LinkInput& record);
std::string MemberName(ExportKind source, std::string_view origin, std::string_view record_id);
// The same into `name` (its old content replaced): a caller naming 10M records reuses one
// buffer instead of allocating a string for each.
void MemberNameInto(ExportKind source, std::string_view origin, std::string_view record_id,
                    std::string* name);

// Stable subject ids across link runs: each subject takes the previous run's id that most of
// its members carried (`previous`: member name -> subject id), greatest share first, ties by
// the subject's smallest member; an id goes to one subject at most. Subjects with no previous
// id, or whose id went to another, keep the id derived from their smallest member (made unique
// if it is taken). Returns how many subjects kept a previous id.
int64_t KeepSubjectIds(const std::vector<LinkInput>& records,
                       const std::unordered_map<std::string, std::string>& previous,
                       LinkageResult* result);
// The same with the records named by `member_name(i, &name)`, which sets `name` to MemberName
// of record i of the linkage (one buffer for all records: no allocation each), for a caller
// that let the inputs go before it (the linker: issue 13's memory).
int64_t KeepSubjectIds(const std::function<void(size_t record, std::string* name)>& member_name,
                       const std::unordered_map<std::string, std::string>& previous,
                       LinkageResult* result);

}  // namespace pprl

#endif  // PPRL_CORE_LINKAGE_H_
