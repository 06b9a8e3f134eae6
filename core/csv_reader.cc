#include "core/csv_reader.h"

#include <cstring>

#include "absl/status/status.h"

namespace pprl {
namespace {

constexpr size_t kBlockSize = 1 << 16;

std::string LineError(int64_t line, std::string_view reason) {
  return "line " + std::to_string(line) + ": " + std::string(reason);
}

}  // namespace

std::string CsvQuote(std::string_view field, char delimiter) {
  if (field.find(delimiter) == std::string_view::npos &&
      field.find_first_of("\"\r\n") == std::string_view::npos) {
    return std::string(field);
  }
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    // Fast path: eight ASCII bytes at a time.
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    p += extra + 1;
  }
  return true;
}

CsvReader::CsvReader(std::istream& in, CsvLimits limits)
    : in_(in), limits_(limits), buffer_(kBlockSize) {
  special_.fill(false);
  for (char c : {delimiter_, '"', '\n', '\r'}) special_[static_cast<unsigned char>(c)] = true;
}

bool CsvReader::Fill() {
  if (pos_ < end_) return true;
  if (eof_) return false;
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  end_ = static_cast<size_t>(in_.gcount());
  pos_ = 0;
  if (end_ == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

absl::StatusOr<CsvRow> CsvReader::ReadHeader() {
  // Skip a UTF-8 byte order mark.
  if (Fill() && end_ - pos_ >= 3 && std::memcmp(buffer_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
    pos_ += 3;
    bytes_consumed_ += 3;
  }
  if (!Fill()) return absl::InvalidArgumentError(LineError(1, "the file is empty (no header row)"));
  ReadSepLine();
  if (!Fill()) {
    return absl::InvalidArgumentError(LineError(line_, "the file is empty (no header row)"));
  }
  // Detect the delimiter by counting ',' and ';' outside quotes on the first line.
  if (!had_sep_line_) {
    size_t commas = 0, semicolons = 0;
    bool quoted = false;
    for (size_t i = pos_; i < end_; ++i) {
      char c = buffer_[i];
      if (c == '"') quoted = !quoted;
      if (quoted) continue;
      if (c == '\n' || c == '\r') break;
      if (c == ',') ++commas;
      if (c == ';') ++semicolons;
    }
    delimiter_ = semicolons > commas ? ';' : ',';
  }
  special_.fill(false);
  for (char c : {delimiter_, '"', '\n', '\r'}) special_[static_cast<unsigned char>(c)] = true;
  CsvRow row;
  absl::StatusOr<bool> got = ParseRecord(&row);
  if (!got.ok()) return got.status();
  if (!*got) {
    return absl::InvalidArgumentError(LineError(line_, "the file is empty (no header row)"));
  }
  return row;
}

void CsvReader::ReadSepLine() {
  // Excel writes (and honours) "sep=;" as the first line, sometimes quoted: "sep=;" or
  // "\"sep=;\"". Only the whole line counts, so a header that merely starts with "sep" is
  // unaffected. The line is at most a few bytes, so it is looked for in the buffer as it is.
  std::string_view text(buffer_.data() + pos_, end_ - pos_);
  size_t i = 0;
  const bool quoted = i < text.size() && text[i] == '"';
  if (quoted) ++i;
  if (text.size() < i + 5) return;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (lower(text[i]) != 's' || lower(text[i + 1]) != 'e' || lower(text[i + 2]) != 'p' ||
      text[i + 3] != '=') {
    return;
  }
  const char sep = text[i + 4];
  if (sep != ',' && sep != ';' && sep != '\t' && sep != '|') return;
  i += 5;
  if (quoted) {
    if (i >= text.size() || text[i] != '"') return;
    ++i;
  }
  // Trailing delimiters (a spreadsheet pads the line to the width of the table) are allowed.
  while (i < text.size() && (text[i] == sep || text[i] == ' ')) ++i;
  size_t end = i;
  if (end < text.size() && text[end] == '\r') ++end;
  if (end < text.size() && text[end] == '\n') ++end;
  if (end == i && end != text.size()) return;  // more text on the line: not a sep line
  delimiter_ = sep;
  had_sep_line_ = true;
  pos_ += end;
  bytes_consumed_ += end;
  ++line_;
}

absl::StatusOr<bool> CsvReader::Next(CsvRow* row) {
  while (true) {
    absl::StatusOr<bool> got = ParseRecord(row);
    if (!got.ok() || !*got) return got;
    // Skip blank lines (one empty field) and rows of delimiters only (";;;;", a spreadsheet's
    // empty rows), blanks allowed: they hold no record.
    bool empty = true;
    for (std::string_view f : row->fields) {
      for (char c : f) {
        if (c != ' ' && c != '\t') {
          empty = false;
          break;
        }
      }
      if (!empty) break;
    }
    if (empty) {
      ++empty_rows_skipped_;
      continue;
    }
    return true;
  }
}

bool CsvReader::ParseSimpleRecord(CsvRow* row) {
  // A record with no quote and no CR before its LF, wholly in the buffer (most rows): its fields
  // are views into the buffer, which stays untouched until the next call.
  const char* start = buffer_.data() + pos_;
  const size_t avail = end_ - pos_;
  const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
  if (nl == nullptr) return false;
  size_t len = static_cast<size_t>(nl - start);
  size_t content = len;
  if (content > 0 && start[content - 1] == '\r') --content;
  if (content > limits_.max_record_bytes || std::memchr(start, '"', content) != nullptr ||
      std::memchr(start, '\r', content) != nullptr) {
    return false;
  }
  std::string_view text(start, content);
  if (!IsValidUtf8(text)) return false;  // the general path reports it
  size_t begin = 0;
  while (true) {
    const void* d = std::memchr(text.data() + begin, delimiter_, text.size() - begin);
    size_t stop = d ? static_cast<size_t>(static_cast<const char*>(d) - text.data()) : text.size();
    row->fields.push_back(text.substr(begin, stop - begin));
    if (d == nullptr) break;
    begin = stop + 1;
  }
  if (row->fields.size() > limits_.max_fields) {
    row->fields.clear();
    return false;
  }
  row->line = line_;
  ++line_;
  pos_ += len + 1;
  bytes_consumed_ += len + 1;
  return true;
}

absl::StatusOr<bool> CsvReader::ParseRecord(CsvRow* row) {
  record_.clear();
  offsets_.clear();
  row->fields.clear();
  if (!Fill()) return false;
  if (ParseSimpleRecord(row)) return true;
  row->line = line_;
  const int64_t start_line = line_;

  bool in_quotes = false;
  bool field_was_quoted = false;
  bool after_quote = false;  // just closed a quoted section of this field
  bool done = false;
  auto end_field = [&]() -> absl::Status {
    offsets_.push_back(static_cast<uint32_t>(record_.size()));
    if (offsets_.size() > limits_.max_fields) {
      return absl::InvalidArgumentError(LineError(
          start_line, "more than " + std::to_string(limits_.max_fields) + " fields in one row"));
    }
    field_was_quoted = false;
    after_quote = false;
    return absl::OkStatus();
  };

  while (!done) {
    if (!Fill()) {
      if (in_quotes) {
        return absl::InvalidArgumentError(
            LineError(start_line, "a quoted field is not closed before the end of the file"));
      }
      absl::Status s = end_field();
      if (!s.ok()) return s;
      break;
    }
    const char* data = buffer_.data();
    if (in_quotes) {
      // Copy up to the next quote in one go.
      const char* q = static_cast<const char*>(std::memchr(data + pos_, '"', end_ - pos_));
      size_t stop = q ? static_cast<size_t>(q - data) : end_;
      for (size_t i = pos_; i < stop; ++i) {
        if (data[i] == '\n') ++line_;
      }
      record_.append(data + pos_, stop - pos_);
      bytes_consumed_ += stop - pos_;
      pos_ = stop;
      if (pos_ < end_) {
        // A quote: either the closing one or the first of a doubled pair.
        ++pos_;
        ++bytes_consumed_;
        if (!Fill()) {
          in_quotes = false;
          after_quote = true;
          continue;
        }
        if (buffer_[pos_] == '"') {
          record_.push_back('"');
          ++pos_;
          ++bytes_consumed_;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      }
    } else {
      // Unquoted: scan to the next special character.
      size_t i = pos_;
      while (i < end_ && !special_[static_cast<unsigned char>(data[i])]) ++i;
      if (after_quote && i > pos_) {
        return absl::InvalidArgumentError(
            LineError(line_, "text after the closing quote of a field"));
      }
      record_.append(data + pos_, i - pos_);
      bytes_consumed_ += i - pos_;
      pos_ = i;
      if (pos_ == end_) continue;
      char c = data[pos_];
      ++pos_;
      ++bytes_consumed_;
      if (c == delimiter_) {
        absl::Status s = end_field();
        if (!s.ok()) return s;
      } else if (c == '"') {
        if (after_quote || field_was_quoted ||
            record_.size() != (offsets_.empty() ? 0 : offsets_.back())) {
          return absl::InvalidArgumentError(
              LineError(line_, "a quote inside an unquoted field (quote the field and double it)"));
        }
        in_quotes = true;
        field_was_quoted = true;
      } else if (c == '\n') {
        ++line_;
        absl::Status s = end_field();
        if (!s.ok()) return s;
        done = true;
      } else {  // '\r': part of CRLF, or a lone CR line end
        if (Fill() && buffer_[pos_] == '\n') {
          ++pos_;
          ++bytes_consumed_;
        }
        ++line_;
        absl::Status s = end_field();
        if (!s.ok()) return s;
        done = true;
      }
    }
    if (record_.size() > limits_.max_record_bytes) {
      return absl::InvalidArgumentError(LineError(
          start_line,
          "the row is longer than " + std::to_string(limits_.max_record_bytes) + " bytes"));
    }
  }

  if (!IsValidUtf8(record_)) {
    return absl::InvalidArgumentError(
        LineError(start_line, "the row is not valid UTF-8 (save the export as UTF-8)"));
  }
  size_t begin = 0;
  row->fields.reserve(offsets_.size());
  for (uint32_t off : offsets_) {
    row->fields.emplace_back(record_.data() + begin, off - begin);
    begin = off;
  }
  return true;
}

}  // namespace pprl
