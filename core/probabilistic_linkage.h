// Fellegi-Sunter comparison of two records' keyed field encodings (core/field_encodings.h):
// levels of agreement per field, match weights, and their estimation without labels (EM).
//
// PSEUDONYMS only: works on Bloom filters and keyed tokens, never on values. Pure and
// thread-safe.
//
// Fields and levels (a level marked 0 never carries weight: a missing or incomparable field
// is not evidence either way):
// - surname: exact, close (Dice >= 0.8), similar (Dice >= 0.6), swapped (surname and first
//   name exchanged), different, unknown (0: another birth year salts the filters and the
//   year-free name token does not agree), part (one filter holds 70% or more of the other's
//   bits, which is two bigrams or more shorter, and the head or tail token agrees: one
//   register wrote a double surname, the other one of its parts);
// - first name: exact, similar (Dice >= 0.7), initial (only the first initial agrees, or only
//   initials are known and they agree), different, one_missing (0), both_missing (0),
//   unknown (0), initials_agree (a first name is not known on both sides, and all initials
//   agree: a partial-date token holding them agrees);
// - birth date: exact, one_part (two of year, month, day agree), swapped (day and month
//   exchanged), different, missing (0).
#ifndef PPRL_CORE_PROBABILISTIC_LINKAGE_H_
#define PPRL_CORE_PROBABILISTIC_LINKAGE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/field_encodings.h"

namespace pprl {

enum class CompareField : uint8_t { kSurname = 0, kFirstName = 1, kBirthDate = 2 };
inline constexpr int kCompareFields = 3;
inline constexpr int kMaxLevels = 8;

namespace surname_level {
enum : uint8_t {
  kExact,
  kClose,
  kSimilar,
  kSwapped,
  kDifferent,
  kUnknown,
  kPart,  // one surname is a part of the other, a double surname ("Jansen-van der Berg" and
          // "van der Berg" or "Jansen"); appended, so stored level numbers keep their meaning
  kCount
};
}
namespace first_name_level {
enum : uint8_t {
  kExact,
  kSimilar,
  kInitial,
  kDifferent,
  kOneMissing,
  kBothMissing,
  kUnknown,
  kInitialsAgree,  // no first name on one side: all initials agree (a partial-date token
                   // holding them agrees); appended, so stored level numbers keep their meaning
  kCount
};
}
namespace birth_date_level {
enum : uint8_t { kExact, kOnePart, kSwapped, kDifferent, kMissing, kCount };
}

std::string_view CompareFieldName(CompareField field);
int LevelCount(CompareField field);
std::string_view LevelName(CompareField field, uint8_t level);
// False for the levels that carry no weight (missing, unknown).
bool IsInformative(CompareField field, uint8_t level);

// The comparison vector of one pair.
struct Comparison {
  std::array<uint8_t, kCompareFields> level{};
  double surname_dice = 0;  // for tests and the bench; never released
};

Comparison Compare(const FieldEncodings& a, const FieldEncodings& b);

// m and u per field and level; weight = log2(m / u). Uninformative levels are ignored.
struct FsParameters {
  std::array<std::array<double, kMaxLevels>, kCompareFields> m{};
  std::array<std::array<double, kMaxLevels>, kCompareFields> u{};
  double lambda = 0.01;    // share of candidate pairs that match (EM's estimate)
  bool estimated = false;  // true when EM ran (enough candidate pairs)
  int iterations = 0;

  double Weight(CompareField field, uint8_t level) const;
};

// Starting values (documented in the README: what a careful registry linker assumes for
// Dutch surnames, first names and birth dates). u is kept fixed by EM: it describes random
// pairs of the population, which blocked candidate pairs do not.
FsParameters DefaultParameters();

// EM over the comparison vectors (counted by pattern): estimates m and lambda with u fixed, as
// fastLink does for its m-step. Levels are smoothed so none reaches 0.
FsParameters EstimateParameters(const std::vector<Comparison>& pairs, const FsParameters& start,
                                int max_iterations = 50);

}  // namespace pprl

#endif  // PPRL_CORE_PROBABILISTIC_LINKAGE_H_
