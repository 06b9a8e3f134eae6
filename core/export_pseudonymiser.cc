#include "core/export_pseudonymiser.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <future>
#include <thread>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "core/status_macros.h"
#include "core/text.h"

namespace pprl {
namespace {

constexpr size_t kBatchRows = 4096;

// One row's outcome, filled by a worker. Reused across batches so its strings keep capacity.
struct RowResult {
  bool ok = false;
  PseudonymousRecord record;
  IdentityShape shape;
  std::vector<RowError> errors;
};

// Rows of one batch in one byte arena (the reader's views do not survive the next row), with
// the parser that works on it. A slot is owned by one thread at a time.
struct Slot {
  struct RowRef {
    int64_t line;
    uint32_t first_field;
    uint32_t field_count;
  };
  std::unique_ptr<RowParser> parser;
  std::string bytes;
  std::vector<uint32_t> field_ends;  // end of each field in `bytes`
  std::vector<RowRef> rows;
  std::vector<RowResult> results;
  CsvRow scratch;

  void Add(const CsvRow& row) {
    rows.push_back(RowRef{row.line, static_cast<uint32_t>(field_ends.size()),
                          static_cast<uint32_t>(row.fields.size())});
    for (std::string_view f : row.fields) {
      bytes.append(f);
      field_ends.push_back(static_cast<uint32_t>(bytes.size()));
    }
  }
  void Clear() {
    bytes.clear();
    field_ends.clear();
    rows.clear();
  }
  // Validates and hashes every row of the batch.
  void Process(bool hash) {
    if (results.size() < rows.size()) results.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const RowRef& ref = rows[i];
      scratch.line = ref.line;
      scratch.fields.clear();
      for (uint32_t k = ref.first_field; k < ref.first_field + ref.field_count; ++k) {
        uint32_t begin = k == 0 ? 0 : field_ends[k - 1];
        scratch.fields.emplace_back(bytes.data() + begin, field_ends[k] - begin);
      }
      RowResult& r = results[i];
      r.errors.clear();
      r.ok = parser->Parse(scratch, hash, &r.record, &r.shape, &r.errors);
    }
  }
};

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
      ColumnLayout::Resolve(header->fields, options.kind, options.mapping, header->line);
  if (!layout.ok()) return file_error(layout.status());

  // With one thread everything runs on the caller's thread. With more, the caller reads the
  // next batch while up to `threads` batches are validated and hashed by workers; results are
  // taken in file order.
  const int threads = std::max(1, options.threads);
  // Two batches more than workers, so that the workers have the next batch ready while the
  // caller takes results in order and reads on.
  const int slot_count = threads == 1 ? 1 : threads + 2;
  std::vector<std::unique_ptr<Slot>> slots;
  for (int t = 0; t < slot_count; ++t) {
    auto slot = std::make_unique<Slot>();
    PPRL_ASSIGN_OR_RETURN(slot->parser, RowParser::Create(key, options.kind, *layout));
    slots.push_back(std::move(slot));
  }
  std::vector<Slot*> free_slots;
  for (auto& slot : slots) free_slots.push_back(slot.get());
  std::deque<std::pair<Slot*, std::future<void>>> in_flight;

  std::unordered_map<std::string, int64_t> case_ids;  // case_id -> first line
  // A police row repeated (the same record id, person, date and attributes: a row copied twice,
  // or two overlapping exports pasted together) would count one incident or conviction twice
  // in every study. Digest of what makes the row -> its first line; 12 bytes a row.
  absl::flat_hash_map<uint64_t, uint32_t> police_rows;
  std::string row_digest_input;
  bool refused = false;
  auto add_error = [&](RowError e) {
    ++summary.error_count;
    if (summary.errors.size() < options.max_errors_kept) summary.errors.push_back(std::move(e));
  };

  // Takes one row's result, in file order: uniqueness, counts, the sink.
  auto consume_one = [&](RowResult& r, int64_t line) -> absl::Status {
    {
      if (r.ok && options.kind == ExportKind::kCases) {
        auto [it, inserted] = case_ids.emplace(r.record.record_id, line);
        if (!inserted) {
          r.ok = false;
          r.errors.push_back(
              RowError{line, "case_id", Cat("the same case_id as line ", it->second)});
        }
      }
      if (r.ok && options.latest_event_day && r.record.event_day > *options.latest_event_day) {
        const Field date_field = options.kind == ExportKind::kCases       ? Field::kFirstDiscussed
                                 : options.kind == ExportKind::kIncidents ? Field::kIncidentDate
                                                                          : Field::kConvictionDate;
        r.ok = false;
        r.errors.push_back(RowError{line, std::string(FieldName(date_field)),
                                    "after the day of the export: an event that has not happened "
                                    "(a meeting still to come, or a mistyped year)"});
      }
      if (r.ok && options.kind != ExportKind::kCases && !r.record.keys.empty()) {
        const PseudonymousRecord& rec = r.record;
        row_digest_input.assign(rec.record_id);
        row_digest_input.push_back('\0');
        row_digest_input.append(reinterpret_cast<const char*>(&rec.event_day),
                                sizeof(rec.event_day));
        row_digest_input.append(rec.incident_attributes.category);
        row_digest_input.push_back('\0');
        row_digest_input.append(rec.incident_attributes.role);
        row_digest_input.push_back('\0');
        // The strongest key the row has stands for the person.
        row_digest_input.append(reinterpret_cast<const char*>(rec.keys[0].digest.data()),
                                rec.keys[0].digest.size());
        const uint64_t digest = absl::Hash<std::string_view>{}(row_digest_input);
        auto [it, inserted] =
            police_rows.emplace(digest, static_cast<uint32_t>(std::min<int64_t>(line, UINT32_MAX)));
        if (!inserted) {
          const Field id_field =
              options.kind == ExportKind::kIncidents ? Field::kIncidentId : Field::kConvictionId;
          r.ok = false;
          r.errors.push_back(RowError{
              line, std::string(FieldName(id_field)),
              Cat("the same ", options.kind == ExportKind::kIncidents ? "incident" : "conviction",
                  " as line ", it->second,
                  " (same id, person, date and attributes): a repeated row would be counted "
                  "twice")});
        }
      }
      if (!r.ok) {
        ++summary.rows_invalid;
        for (RowError& e : r.errors) add_error(std::move(e));
        if (!options.skip_invalid) refused = true;
        return absl::OkStatus();
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
      if (r.shape.placeholder_birth_date) ++c.placeholder_birth_dates;
      if (r.shape.impossible_birth_date) ++c.impossible_birth_dates;
      if (r.shape.corrected_birth_date) ++c.corrected_birth_dates;
      if (r.shape.repaired_encoding) ++c.repaired_encodings;
      if (refused) return absl::OkStatus();  // validation goes on; nothing more goes out
      if (options.kind != ExportKind::kCases &&
          (r.shape.placeholder_birth_date || r.shape.impossible_birth_date)) {
        ++c.police_rows_not_sent;
        return absl::OkStatus();
      }
      for (const MatchKey& k : r.record.keys) ++c.keys_by_level[static_cast<int>(k.level)];
      return sink(r.record);
    }
  };
  auto consume = [&](Slot& slot) -> absl::Status {
    for (size_t i = 0; i < slot.rows.size(); ++i) {
      PPRL_RETURN_IF_ERROR(consume_one(slot.results[i], slot.rows[i].line));
    }
    slot.Clear();
    return absl::OkStatus();
  };
  auto finish_oldest = [&]() -> absl::Status {
    auto [slot, done] = std::move(in_flight.front());
    in_flight.pop_front();
    done.get();
    absl::Status s = consume(*slot);
    free_slots.push_back(slot);
    return s;
  };
  auto drain = [&] {
    while (!in_flight.empty()) {
      in_flight.front().second.wait();
      in_flight.pop_front();
    }
  };
  auto dispatch = [&](Slot* slot) -> absl::Status {
    const bool hash = !refused;
    in_flight.emplace_back(slot,
                           std::async(std::launch::async, [slot, hash] { slot->Process(hash); }));
    return absl::OkStatus();
  };

  absl::Status status;
  CsvRow row;
  // Reads the next row into `row` and counts it; false at the end or on an error (in status).
  auto next_row = [&]() -> bool {
    absl::StatusOr<bool> got = reader.Next(&row);
    if (!got.ok()) {
      status = file_error(got.status());
      return false;
    }
    if (*got) ++summary.rows_read;
    return *got;
  };
  auto finish = [&]() -> absl::StatusOr<ExportSummary> {
    if (!status.ok()) return status;
    summary.refused = refused;
    summary.empty_rows_skipped = reader.empty_rows_skipped();
    summary.had_sep_line = reader.had_sep_line();
    if (progress) progress(reader.bytes_read(), summary.rows_read);
    return summary;
  };
  if (threads == 1) {
    // No batches: each row is validated, hashed and handed out as it is read.
    RowParser& parser = *slots[0]->parser;
    RowResult result;
    while (status.ok() && next_row()) {
      result.errors.clear();
      result.ok = parser.Parse(row, !refused, &result.record, &result.shape, &result.errors);
      status = consume_one(result, row.line);
      if (progress && summary.rows_read % kBatchRows == 0) {
        progress(reader.bytes_read(), summary.rows_read);
      }
    }
    return finish();
  }
  Slot* current = nullptr;
  while (status.ok()) {
    if (current == nullptr) {
      if (free_slots.empty()) {
        status = finish_oldest();
        if (!status.ok()) break;
        if (progress) progress(reader.bytes_read(), summary.rows_read);
      }
      current = free_slots.back();
      free_slots.pop_back();
    }
    if (!next_row()) break;
    current->Add(row);
    if (current->rows.size() >= kBatchRows) {
      status = dispatch(current);
      current = nullptr;
    }
  }
  if (status.ok() && current != nullptr && !current->rows.empty()) {
    status = dispatch(current);
    current = nullptr;
  }
  while (status.ok() && !in_flight.empty()) status = finish_oldest();
  drain();  // on an error, wait for the workers before their slots go away
  return finish();
}

std::string FormatSummary(const ExportSummary& s) {
  std::string out = Cat(s.file_name, " (", ExportKindName(s.kind), "): ", s.rows_read,
                        " rows read, ", s.rows_valid, " valid, ", s.rows_invalid, " invalid\n");
  if (s.had_sep_line) Append(&out, "the first line declared the delimiter (sep=); skipped\n");
  if (s.empty_rows_skipped > 0) {
    Append(&out, s.empty_rows_skipped, " empty rows (only delimiters or blank) skipped\n");
  }
  if (s.refused) {
    Append(&out,
           "REFUSED: the export has invalid rows and nothing was kept; fix them "
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
  if (c.placeholder_birth_dates + c.impossible_birth_dates > 0) {
    Append(&out, "birth dates treated as missing (no keys, not linked, age unknown): ",
           c.placeholder_birth_dates, " placeholders (such as 1900-01-01), ",
           c.impossible_birth_dates, " impossible dates without one plausible reading\n");
    if (c.police_rows_not_sent > 0) {
      Append(&out, c.police_rows_not_sent,
             " police rows without a birth date not sent (they could not be linked)\n");
    }
  }
  if (c.corrected_birth_dates > 0) {
    Append(&out, c.corrected_birth_dates,
           " impossible birth dates read as their one plausible reading (day digits transposed "
           "or day and month swapped)\n");
  }
  if (c.repaired_encodings > 0) {
    Append(&out, c.repaired_encodings,
           " rows with a name written as UTF-8 twice (such as \"MÃ¼ller\"), repaired\n");
  }
  if (s.refused) return out;
  Append(&out, "keys by level:");
  for (KeyLevel level : kAllKeyLevels) {
    Append(&out, " ", KeyLevelName(level), "=", c.keys_by_level[static_cast<int>(level)]);
  }
  Append(&out, "\n");
  return out;
}

}  // namespace pprl
