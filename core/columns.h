// Export kinds and the resolution of an export's header row to the fields pprl knows.
//
// Column names match case-insensitively, with blanks, '-' and '_' treated alike; the English
// names of SPEC section 2 and their Dutch equivalents are built in, and a site's mapping can
// add names of its own. Pure, thread-safe; handles column names only, never data.
#ifndef PPRL_CORE_COLUMNS_H_
#define PPRL_CORE_COLUMNS_H_

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

enum class ExportKind { kCases, kIncidents, kConvictions };

std::string_view ExportKindName(ExportKind kind);
[[nodiscard]] absl::StatusOr<ExportKind> ParseExportKind(std::string_view name);

enum class Field {
  kSurname,
  kSurnamePrefix,
  kInitials,
  kFirstNames,
  kBirthDate,
  kCaseId,
  kGender,
  kKader,
  kFirstDiscussed,
  kTimesDiscussed,
  kLifeDomains,
  kGoals,
  kDecisions,
  kActions,
  kIncidentId,
  kIncidentDate,
  kCategory,
  kRole,
  kConvictionId,
  kConvictionDate,
  kOffence,
};
inline constexpr size_t kFieldCount = static_cast<size_t>(Field::kOffence) + 1;

// The canonical (English) column name.
std::string_view FieldName(Field field);

// A site's extra column names: export header name -> canonical field name.
using ColumnMapping = std::map<std::string, std::string>;

// Where each known field sits in the rows of one export.
class ColumnLayout {
 public:
  std::optional<size_t> index(Field f) const { return index_[static_cast<size_t>(f)]; }
  size_t column_count() const { return column_count_; }

  // Resolves `header` for `kind`. Fails, naming the column, when a required column is missing,
  // two columns resolve to one field, or the mapping names an unknown field; the error names
  // `header_line`, the header's line in the file (2 after Excel's "sep=" line). Names are
  // matched without surrounding blanks, no-break spaces or a stray byte order mark.
  [[nodiscard]] static absl::StatusOr<ColumnLayout> Resolve(
      const std::vector<std::string_view>& header, ExportKind kind,
      const ColumnMapping& mapping = {}, int64_t header_line = 1);

 private:
  std::array<std::optional<size_t>, kFieldCount> index_{};
  size_t column_count_ = 0;
};

}  // namespace pprl

#endif  // PPRL_CORE_COLUMNS_H_
