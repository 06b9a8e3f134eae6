// The whole path from a site's CSV export to pseudonymous records: header resolution, row
// validation, normalisation and match keys, with the officer's summary.
//
// Reads RAW IDENTITIES from the stream and hands only PSEUDONYMS to the sink. Streaming:
// memory does not grow with the file (except the set of case ids, whose uniqueness is checked).
// Rows are processed by `threads` workers in batches; the sink sees records in file order, on
// the calling thread. A call is not thread-safe; separate calls are independent.
#ifndef PPRL_CORE_EXPORT_PSEUDONYMISER_H_
#define PPRL_CORE_EXPORT_PSEUDONYMISER_H_

#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/columns.h"
#include "core/csv_reader.h"
#include "core/hmac_key.h"
#include "core/pseudonymous_record.h"
#include "core/row_parser.h"

namespace pprl {

struct ExportOptions {
  ExportKind kind = ExportKind::kCases;
  std::string file_name;  // for error messages only
  ColumnMapping mapping;
  bool skip_invalid = false;  // else one bad row refuses the whole export
  size_t max_errors_kept = 50;
  CsvLimits limits;
  int threads = 1;
  // Days since 1970-01-01 of the last day an event may have (the day of the export, from the
  // caller's clock): a later first_discussed, incident or conviction date is a row error. A
  // case "first discussed" next month, or a year typed 2031, was a cohort member whose windows
  // lay in the future and counted zero. Unset: not checked.
  std::optional<int32_t> latest_event_day;
};

// Counts of how identities were made up (for the key-level coverage report).
struct KeyCoverage {
  int64_t with_initials = 0;
  int64_t derived_initials = 0;  // initials taken from first names
  int64_t without_initials = 0;  // surname + birth date keys only
  int64_t with_prefix = 0;
  int64_t folded_non_ascii = 0;
  int64_t keys_by_level[6] = {};  // index: KeyLevel number
  // Birth dates (core/dates.h ParseBirthDate): placeholders (1900-01-01, 0001-01-01, ...) and
  // impossible dates without one plausible reading are treated as missing, and such rows get no
  // key; impossible dates with one plausible reading (1957-06-31 -> 1957-06-13) are read so.
  int64_t placeholder_birth_dates = 0;
  int64_t impossible_birth_dates = 0;
  int64_t corrected_birth_dates = 0;
  int64_t repaired_encodings = 0;  // rows with a double-encoded UTF-8 name field, repaired
  // Police rows whose birth date is missing: valid, but with no key they can never be linked to
  // anyone, so they are not handed to the sink (not sent). A case without a key is sent: it
  // stays a case of the study, unlinked.
  int64_t police_rows_not_sent = 0;
};

struct ExportSummary {
  std::string file_name;
  ExportKind kind = ExportKind::kCases;
  int64_t rows_read = 0;
  int64_t rows_valid = 0;
  int64_t rows_invalid = 0;
  // Rows that held nothing but delimiters and blanks (";;;;;", a spreadsheet's empty rows) and
  // blank lines: skipped, not counted in rows_read.
  int64_t empty_rows_skipped = 0;
  bool had_sep_line = false;  // the file declared its delimiter in a `sep=X` first line
  int64_t error_count = 0;    // all errors, of which the first max_errors_kept are kept
  std::vector<RowError> errors;
  KeyCoverage coverage;
  // True when the export is refused whole (a bad row without skip_invalid): the sink stopped
  // receiving records at the first bad row and the caller must discard what it received.
  bool refused = false;
};

using RecordSink = std::function<absl::Status(const PseudonymousRecord&)>;
using ProgressCallback = std::function<void(uint64_t bytes_read, int64_t rows_read)>;

// File-level problems (unreadable header, missing column, broken quoting, a sink failure) are
// the returned status; row problems go into the summary.
[[nodiscard]] absl::StatusOr<ExportSummary> PseudonymiseExport(
    std::istream& in, const ExportOptions& options, const HmacKey& key, const RecordSink& sink,
    const ProgressCallback& progress = {});

// The officer's report as text.
std::string FormatSummary(const ExportSummary& summary);

}  // namespace pprl

#endif  // PPRL_CORE_EXPORT_PSEUDONYMISER_H_
