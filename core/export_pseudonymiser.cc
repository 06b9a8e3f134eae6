#include "core/export_pseudonymiser.h"
#include "core/text.h"

#include <future>
#include <thread>
#include <unordered_map>

#include "core/status_macros.h"

namespace pprl {
namespace {

constexpr size_t kBatchRows = 4096;

// One row's outcome, filled by a worker.
struct RowResult {
  bool ok = false;
  PseudonymousRecord record;
  IdentityShape shape;
  std::vector<RowError> errors;
};

// Rows of one batch, owning their bytes (the reader's views do not survive the next row).
struct Batch {
  std::vector<CsvRow> rows;
  std::vector<std::string> storage;
  std::vector<RowResult> results;

  void Add(const CsvRow& row) {
    size_t total = 0;
    for (std::string_view f : row.fields) total += f.size();
    std::string& bytes = storage.emplace_back();
    bytes.reserve(total);
    CsvRow& copy = rows.emplace_back();
    copy.line = row.line;
    for (std::string_view f : row.fields) bytes.append(f);
    size_t begin = 0;
    for (std::string_view f : row.fields) {
      copy.fields.emplace_back(bytes.data() + begin, f.size());
      begin += f.size();
    }
  }
  void Clear() {
    rows.clear();
    storage.clear();
    results.clear();
  }
};

void ProcessRange(RowParser& parser, Batch& batch, size_t begin, size_t end, bool hash) {
  for (size_t i = begin; i < end; ++i) {
    RowResult& r = batch.results[i];
    r.ok = parser.Parse(batch.rows[i], hash, &r.record, &r.shape, &r.errors);
  }
}

}  // namespace

absl::StatusOr<ExportSummary> PseudonymiseExport(std::istream& in, const ExportOptions& options,
                                                 const HmacKey& key, const RecordSink& sink,
                                                 const ProgressCallback& progress) {
  ExportSummary summary;
  summary.file_name = options.file_name;
  summary.kind = options.kind;
  auto file_error = [&](const absl::Status& s) {
    return absl::Status(s.code(), Cat(options.file_name, ": ", s.message()));
  };

  CsvReader reader(in, options.limits);
  absl::StatusOr<CsvRow> header = reader.ReadHeader();
  if (!header.ok()) return file_error(header.status());
  absl::StatusOr<ColumnLayout> layout =
      ColumnLayout::Resolve(header->fields, options.kind, options.mapping);
  if (!layout.ok()) return file_error(layout.status());

  const int threads = std::max(1, options.threads);
  std::vector<std::unique_ptr<RowParser>> parsers;
  for (int t = 0; t < threads; ++t) {
    PPRL_ASSIGN_OR_RETURN(std::unique_ptr<RowParser> p,
                          RowParser::Create(key, options.kind, *layout));
    parsers.push_back(std::move(p));
  }

  std::unordered_map<std::string, int64_t> case_ids;  // case_id -> first line
  bool stop_hashing = false;
  auto add_error = [&](RowError e) {
    ++summary.error_count;
    if (summary.errors.size() < options.max_errors_kept) summary.errors.push_back(std::move(e));
  };

  Batch batch;
  auto flush = [&]() -> absl::Status {
    batch.results.resize(batch.rows.size());
    const bool hash = !stop_hashing;
    if (threads == 1 || batch.rows.size() < 256) {
      ProcessRange(*parsers[0], batch, 0, batch.rows.size(), hash);
    } else {
      std::vector<std::future<void>> workers;
      size_t per = (batch.rows.size() + threads - 1) / threads;
      for (int t = 1; t < threads; ++t) {
        size_t b = std::min(batch.rows.size(), per * t);
        size_t e = std::min(batch.rows.size(), per * (t + 1));
        workers.push_back(std::async(std::launch::async, ProcessRange, std::ref(*parsers[t]),
                                     std::ref(batch), b, e, hash));
      }
      ProcessRange(*parsers[0], batch, 0, std::min(batch.rows.size(), per), hash);
      for (auto& w : workers) w.get();
    }
    for (size_t i = 0; i < batch.results.size(); ++i) {
      RowResult& r = batch.results[i];
      const int64_t line = batch.rows[i].line;
      if (r.ok && options.kind == ExportKind::kCases) {
        auto [it, inserted] = case_ids.emplace(r.record.record_id, line);
        if (!inserted) {
          r.ok = false;
          r.errors.push_back(
              RowError{line, "case_id", Cat("the same case_id as line ", it->second)});
        }
      }
      if (!r.ok) {
        ++summary.rows_invalid;
        for (RowError& e : r.errors) add_error(std::move(e));
        if (!options.skip_invalid) {
          stop_hashing = true;
          summary.refused = true;
        }
        continue;
      }
      ++summary.rows_valid;
      KeyCoverage& c = summary.coverage;
      if (r.shape.had_initials) {
        ++c.with_initials;
      } else if (r.shape.derived_initials) {
        ++c.derived_initials;
      } else {
        ++c.without_initials;
      }
      if (r.shape.had_prefix) ++c.with_prefix;
      if (r.shape.non_ascii) ++c.folded_non_ascii;
      if (stop_hashing) continue;
      for (const MatchKey& k : r.record.keys) ++c.keys_by_level[static_cast<int>(k.level)];
      PPRL_RETURN_IF_ERROR(sink(r.record));
    }
    batch.Clear();
    return absl::OkStatus();
  };

  CsvRow row;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    if (!got.ok()) return file_error(got.status());
    if (!*got) break;
    ++summary.rows_read;
    batch.Add(row);
    if (batch.rows.size() >= kBatchRows) {
      PPRL_RETURN_IF_ERROR(flush());
      if (progress) progress(reader.bytes_read(), summary.rows_read);
    }
  }
  PPRL_RETURN_IF_ERROR(flush());
  if (progress) progress(reader.bytes_read(), summary.rows_read);
  return summary;
}

std::string FormatSummary(const ExportSummary& s) {
  std::string out = Cat(s.file_name, " (", ExportKindName(s.kind), "): ", s.rows_read,
                                 " rows read, ", s.rows_valid, " valid, ", s.rows_invalid,
                                 " invalid\n");
  if (s.refused) {
    Append(&out, "REFUSED: the export has invalid rows and nothing was kept; fix them "
                          "or use --skip-invalid\n");
  }
  for (const RowError& e : s.errors) Append(&out, "  ", FormatRowError(s.file_name, e), "\n");
  if (s.error_count > static_cast<int64_t>(s.errors.size())) {
    Append(&out, "  ... and ", s.error_count - s.errors.size(), " more errors\n");
  }
  const KeyCoverage& c = s.coverage;
  Append(&out, "identities: ", c.with_initials, " with initials, ", c.derived_initials,
                  " initials derived from first names, ", c.without_initials,
                  " without initials (surname + birth date keys only), ", c.with_prefix,
                  " with a surname prefix, ", c.folded_non_ascii, " with diacritics or non-Latin letters\n");
  if (s.refused) return out;
  Append(&out, "keys by level:");
  for (KeyLevel level : kAllKeyLevels) {
    Append(&out, " ", KeyLevelName(level), "=", c.keys_by_level[static_cast<int>(level)]);
  }
  Append(&out, "\n");
  return out;
}

}  // namespace pprl
