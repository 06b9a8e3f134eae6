// A plaintext Fellegi-Sunter linker on surname, initials and birth date: the reference the
// product's linkage is measured against in `bench/run linkage-quality` (issue 13). It reads
// names in the clear, so it lives in bench/ only and is never linked into the product.
//
// Blocking: a case row is compared with every police row sharing its birth date, its surname,
// its phonetic surname and birth year, or its first initial with the unordered {day, month}.
// Comparison levels: surname exact / Jaro-Winkler >= 0.94 / >= 0.85 / different; initials all
// equal / first equal / different / missing (no evidence); birth date exact / day and month
// swapped or one digit different / two of year, month, day equal / different. m and u are
// estimated by EM without labels (conditional independence). Each police row is kept with its
// best-scoring case; pairs are ranked by weight for a threshold sweep.
#ifndef PPRL_BENCH_FS_REFERENCE_H_
#define PPRL_BENCH_FS_REFERENCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dates.h"

namespace pprl::bench {

struct PlainRecord {
  std::string source, record_id;
  std::string surname;  // normalised letters
  std::string full;     // prefix letters + surname letters
  std::string initials;
  Date birth;
};

// Reads DIR/cases.csv, incidents.csv and convictions.csv; rows that do not parse are skipped
// (counted in *skipped).
[[nodiscard]] absl::StatusOr<std::vector<PlainRecord>> ReadPlainRecords(const std::string& dir,
                                                                        int64_t* skipped);

double JaroWinkler(std::string_view a, std::string_view b);

struct ScoredPair {
  size_t case_index, police_index;  // into the records
  double weight;
};

struct FsModel {
  double match_share = 0;
  // Per field, per level: m and u (surname 4 levels, initials 3, birth date 4).
  std::vector<std::vector<double>> m, u;
  int iterations = 0;
};

// Candidate pairs (case, police) scored with EM-estimated weights, highest first, one per
// police row.
std::vector<ScoredPair> LinkFellegiSunter(const std::vector<PlainRecord>& records, FsModel* model);

}  // namespace pprl::bench

#endif  // PPRL_BENCH_FS_REFERENCE_H_
