// Validation of one export row into a pseudonymous record.
//
// Takes RAW IDENTITIES (the row's fields) and yields PSEUDONYMS. Errors name the line, the
// column and the reason and never quote a field's value. Not thread-safe (holds a
// NameNormaliser): one RowParser per thread.
#ifndef PPRL_CORE_ROW_PARSER_H_
#define PPRL_CORE_ROW_PARSER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/columns.h"
#include "core/csv_reader.h"
#include "core/field_encodings.h"
#include "core/hmac_key.h"
#include "core/name_normaliser.h"
#include "core/pseudonymous_record.h"

namespace pprl {

struct RowError {
  int64_t line = 0;
  std::string column;  // canonical column name, or "" for the row as a whole
  std::string reason;
};

// "cases.csv:7: column birth_date: impossible date: the month has no such day"
std::string FormatRowError(std::string_view file, const RowError& error);

// How a valid row's identity was made up; summed into the officer's coverage report.
struct IdentityShape {
  bool had_initials = false;      // the initials column held letters
  bool derived_initials = false;  // taken from first_names instead
  bool had_prefix = false;
  bool non_ascii = false;  // folded by ICU
  // The birth date (core/dates.h): a placeholder, or impossible without one plausible reading,
  // is treated as missing (no key); an impossible one with one plausible reading is read so.
  bool placeholder_birth_date = false;
  bool impossible_birth_date = false;
  bool corrected_birth_date = false;
  bool repaired_encoding = false;  // an identity field was double-encoded UTF-8, repaired
};

class RowParser {
 public:
  // `key` must outlive the parser.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RowParser>> Create(const HmacKey& key,
                                                                         ExportKind kind,
                                                                         ColumnLayout layout);

  // True and *record filled when the row is valid; otherwise false and errors appended. With
  // `hash` false the keys are not computed (validation only).
  bool Parse(const CsvRow& row, bool hash, PseudonymousRecord* record, IdentityShape* shape,
             std::vector<RowError>* errors);

  // The normalised identity of the last row parsed (RAW IDENTITY: for `pprl explain`, which
  // shows it on the data officer's terminal at the site). Fields that failed to parse are
  // left as they were.
  const NormalisedIdentity& identity() const { return identity_; }
  // The last row's surname with its prefix glued on ("vandijk"), whose first_initial and
  // surname_dob keys the row also has; empty when it has no such reading (RAW IDENTITY).
  const std::string& glued_surname() const { return glued_surname_; }

 private:
  RowParser(const HmacKey& key, ExportKind kind, ColumnLayout layout,
            std::unique_ptr<NameNormaliser> names);
  std::string_view Get(const CsvRow& row, Field f) const;

  const HmacKey& key_;
  ExportKind kind_;
  ColumnLayout layout_;
  std::unique_ptr<NameNormaliser> names_;
  NormalisedIdentity identity_;  // reused to avoid allocation
  FieldEncoder encoder_;
  std::string first_names_scratch_;
  NormalisedIdentity glued_identity_;
  std::string glued_surname_;
  std::string repaired_[4];  // repaired identity fields of the current row
};

// Why `id` cannot be a record id, or empty when it can. Record ids travel to the linker and
// come back in links.csv and on the auditor's terminal: a control character (an escape
// sequence) or a first character a spreadsheet reads as a formula (= + - @, CSV injection)
// would act there. Used by the row parser and by the linker for every uploaded record.
std::string RecordIdProblem(std::string_view id);

// Attribute parsers (exposed for tests). All trim blanks and ignore case.
[[nodiscard]] absl::StatusOr<char> ParseGender(std::string_view text);  // m/v/o
[[nodiscard]] absl::StatusOr<std::optional<bool>> ParseFlag(std::string_view text);
[[nodiscard]] absl::StatusOr<std::optional<int>> ParseCount(std::string_view text, int min,
                                                            int max);

}  // namespace pprl

#endif  // PPRL_CORE_ROW_PARSER_H_
