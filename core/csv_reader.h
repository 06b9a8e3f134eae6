// A streaming RFC 4180 CSV reader for site exports.
//
// Reads from a std::istream in fixed-size blocks, so memory stays constant whatever the file
// size (bounded by the largest record, itself capped). Detects the delimiter (',' or ';') from
// the header row, or takes it from a spreadsheet's `sep=;` / `sep=,` first line (which is then
// skipped); skips a UTF-8 byte order mark, accepts CRLF or LF line ends and quoted fields
// holding delimiters, doubled quotes and line breaks. Rows holding nothing but delimiters and
// blanks (a spreadsheet's empty rows) are skipped and counted. Every field is checked to be
// UTF-8.
//
// Not thread-safe: one reader per stream. Fields may hold raw identities; error messages name
// lines and reasons, never field contents.
#ifndef PPRL_CORE_CSV_READER_H_
#define PPRL_CORE_CSV_READER_H_

#include <array>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

struct CsvLimits {
  size_t max_record_bytes = 1 << 20;  // one record (all its fields) at most 1 MiB
  size_t max_fields = 1024;
};

// One record. The views stay valid until the next call to CsvReader::Next.
struct CsvRow {
  int64_t line = 0;  // physical line (1-based) where the record starts
  std::vector<std::string_view> fields;
};

class CsvReader {
 public:
  // `in` must outlive the reader.
  explicit CsvReader(std::istream& in, CsvLimits limits = {});

  // Reads the header row and detects the delimiter (or honours a `sep=X` line before it, X one
  // of `,` `;` tab `|`). Must be called once, first.
  [[nodiscard]] absl::StatusOr<CsvRow> ReadHeader();

  // The next record into *row; returns false at the end of input. A blank line, or a row whose
  // fields are all empty or blank (";;;;"), is skipped and counted in empty_rows_skipped().
  // Errors name the line and the reason.
  [[nodiscard]] absl::StatusOr<bool> Next(CsvRow* row);

  char delimiter() const { return delimiter_; }
  // True when the file began with a `sep=X` line (skipped; the header is on the next line).
  bool had_sep_line() const { return had_sep_line_; }
  // Blank lines and delimiter-only rows skipped so far (not counted as rows).
  int64_t empty_rows_skipped() const { return empty_rows_skipped_; }
  // Bytes consumed so far (for progress reporting).
  uint64_t bytes_read() const { return bytes_consumed_; }

 private:
  // Ensures at least one unread byte is buffered; false at end of input.
  bool Fill();
  [[nodiscard]] absl::StatusOr<bool> ParseRecord(CsvRow* row);
  // The zero-copy path for a plain record; false (and nothing consumed) when it does not apply.
  bool ParseSimpleRecord(CsvRow* row);
  // Consumes a `sep=X` first line if there is one; sets the delimiter from it.
  void ReadSepLine();

  std::istream& in_;
  CsvLimits limits_;
  char delimiter_ = ',';
  bool had_sep_line_ = false;
  int64_t empty_rows_skipped_ = 0;
  std::array<bool, 256> special_;  // bytes that end an unquoted run
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int64_t line_ = 1;
  uint64_t bytes_consumed_ = 0;
  std::string record_;             // unescaped field bytes of the current record
  std::vector<uint32_t> offsets_;  // field boundaries within record_
};

// `field` quoted for a CSV file with `delimiter` (RFC 4180: quoted when it holds the delimiter,
// a quote or a line break; quotes doubled).
std::string CsvQuote(std::string_view field, char delimiter = ',');

// True if `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace pprl

#endif  // PPRL_CORE_CSV_READER_H_
