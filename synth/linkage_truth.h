// Scoring links against a synthetic ground truth (pprl synth's truth/truth.csv): precision,
// recall and F1 of case-to-police-record pairs, overall and by error kind.
//
// The truth file (CSV with a header line): source,record_id,person_id,errors
//   source     cases, incidents or convictions
//   record_id  the record's id in its export (case id, incident id, conviction id)
//   person_id  the invented person the record belongs to
//   errors     the error kinds applied to that row, joined by '+' (empty: written without
//              error); "twin" and "namesake" mark people who share surname and birth date
//              with another person.
// A links file is what `pprl links` writes: subject_id,source,record_id for every record of a
// subject holding a case.
//
// Pairs: every (case row, police row) of one person in the truth is a true pair; every (case
// row, police row) in one subject of the links is a found pair. Case-to-case and
// police-to-police pairs are not scored. A row in the truth but absent from the links (refused
// at the site, or never linked to a case) leaves its true pairs missed: the denominator is the
// truth, not what was linked. A pair is counted under every kind carried by either of its rows,
// and under "none" when neither carries any.
//
// Pure; thread-compatible.
#ifndef PPRL_SYNTH_LINKAGE_TRUTH_H_
#define PPRL_SYNTH_LINKAGE_TRUTH_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

struct TruthRow {
  std::string source, record_id, person, errors;
};
struct LinkRow {
  std::string subject, source, record_id;
};

struct PairCounts {
  int64_t true_pairs = 0, found_pairs = 0, correct_pairs = 0;
  double Precision() const;
  double Recall() const;
  double F1() const;
};

struct LinkageQuality {
  PairCounts overall;
  std::map<std::string, PairCounts> by_kind;
  int64_t case_rows = 0;            // in the truth
  int64_t case_rows_absent = 0;     // in the truth, not in the links
  int64_t police_rows_absent = 0;   // of people with a case, in the truth, not in the links
  int64_t missed_absent_pairs = 0;  // true pairs missed because a row is absent
};

// Errors name the links row (1-based data row) whose record the truth does not hold.
[[nodiscard]] absl::StatusOr<LinkageQuality> ScoreLinkage(const std::vector<TruthRow>& truth,
                                                          const std::vector<LinkRow>& links);

// Reads a truth file or a links file; errors name the file, line, field and reason.
[[nodiscard]] absl::StatusOr<std::vector<TruthRow>> ReadTruthFile(const std::string& path);
[[nodiscard]] absl::StatusOr<std::vector<LinkRow>> ReadLinksFile(const std::string& path);

// The report printed by evaluate-linkage and the demo: an overall line, then a table by kind.
std::string FormatLinkageQuality(const LinkageQuality& q);

}  // namespace pprl

#endif  // PPRL_SYNTH_LINKAGE_TRUTH_H_
