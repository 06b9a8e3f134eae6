#include "cli/explain_command.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <ostream>

#include "core/csv_reader.h"
#include "core/dates.h"
#include "core/name_normaliser.h"
#include "core/text.h"
#include "service/daemon_config.h"

namespace pprl {
namespace {

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s + " ";
}

// "FILE:LINE", split at the last colon.
absl::Status SplitReference(const std::string& ref, std::string* file, int64_t* line) {
  const size_t colon = ref.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size()) {
    return absl::InvalidArgumentError(
        Cat("'", ref, "' is not a row reference FILE:LINE (e.g. incidents.csv:12)"));
  }
  *file = ref.substr(0, colon);
  const char* begin = ref.data() + colon + 1;
  const char* end = ref.data() + ref.size();
  auto [ptr, ec] = std::from_chars(begin, end, *line);
  if (ec != std::errc() || ptr != end || *line < 1) {
    return absl::InvalidArgumentError(Cat("'", ref, "': the line must be a number from 1"));
  }
  return absl::OkStatus();
}

std::string Hex(const MatchKey& k, size_t bytes) {
  return ToHex(std::span<const uint8_t>(k.digest.data(), bytes));
}

// The row's `index`th key at `level`: 0 its own reading, 1 the glued one (row_parser.cc adds
// the glued reading's keys after the others, only where they differ).
const MatchKey* KeyAt(const ExplainedRow& r, KeyLevel level, int index = 0) {
  for (const MatchKey& k : r.keys) {
    if (k.level == level && index-- == 0) return &k;
  }
  return nullptr;
}

// Whether any key of `a` at `level` equals any of `b`'s: the linker joins on each of them.
bool ShareAt(const ExplainedRow& a, const ExplainedRow& b, KeyLevel level) {
  for (const MatchKey& ka : a.keys) {
    if (ka.level != level) continue;
    for (const MatchKey& kb : b.keys) {
      if (kb.level == level && ka.digest == kb.digest) return true;
    }
  }
  return false;
}

void PrintRow(const char* name, const ExplainedRow& r, std::ostream& out) {
  out << name << "  " << r.file << ":" << r.line << " (" << ExportKindName(r.kind) << ")\n";
  if (!r.valid) {
    out << "   INVALID: a submission refuses this row (or leaves it out with --skip-invalid), so "
           "it never links:\n";
    for (const RowError& e : r.errors) out << "     " << FormatRowError(r.file, e) << "\n";
    return;
  }
  const NormalisedIdentity& id = r.identity;
  auto field = [&](const char* label, const std::string& value, const std::string& note = "") {
    out << "   " << Pad(label, 15) << (value.empty() ? "(none)" : value);
    if (!note.empty()) out << "   (" << note << ")";
    out << "\n";
  };
  field("surname prefix", id.prefix);
  field("surname", id.surname, Cat("phonetic code ", DutchPhonetic(id.surname)));
  if (!r.glued_surname.empty()) {
    field("glued reading", r.glued_surname,
          "the prefix glued on, as some registers write it: first_initial and surname_dob keys");
  }
  field("initials", id.initials,
        r.shape.had_initials ? "from the initials column"
        : r.shape.derived_initials
            ? "derived from the first names"
            : "no initials or first names: surname and birth date keys only");
  field("birth date", id.birth_date_known ? FormatIsoDate(id.birth_date) : "",
        r.shape.placeholder_birth_date  ? "a placeholder: missing, so the row has no key"
        : r.shape.impossible_birth_date ? "impossible, no single reading: missing, no key"
        : r.shape.corrected_birth_date  ? "impossible as written; read as this"
                                        : "");
}

}  // namespace

absl::StatusOr<ExplainedRow> ExplainRow(const HmacKey& key, const std::string& file, int64_t line,
                                        std::optional<ExportKind> kind,
                                        const ColumnMapping& mapping) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", file));
  CsvReader reader(in);
  absl::StatusOr<CsvRow> header = reader.ReadHeader();
  if (!header.ok()) return absl::InvalidArgumentError(Cat(file, ": ", header.status().message()));
  if (line <= header->line) {
    return absl::InvalidArgumentError(
        Cat(file, ":", line, " is the header; rows start on line ", header->line + 1));
  }
  std::optional<ColumnLayout> layout;
  std::optional<ExportKind> found;
  std::string why_not;
  for (ExportKind k : {ExportKind::kCases, ExportKind::kIncidents, ExportKind::kConvictions}) {
    if (kind && *kind != k) continue;
    absl::StatusOr<ColumnLayout> l =
        ColumnLayout::Resolve(header->fields, k, mapping, header->line);
    if (!l.ok()) {
      Append(&why_not, why_not.empty() ? "" : "; ", ExportKindName(k), ": ", l.status().message());
      continue;
    }
    if (layout) {
      return absl::InvalidArgumentError(
          Cat(file, ": the header fits more than one export kind; say which with --kind"));
    }
    layout = *l;
    found = k;
  }
  if (!layout) {
    return absl::InvalidArgumentError(
        Cat(file, ": the header fits no export kind (", why_not, ")"));
  }
  absl::StatusOr<std::unique_ptr<RowParser>> parser = RowParser::Create(key, *found, *layout);
  if (!parser.ok()) return parser.status();
  CsvRow row;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    if (!got.ok()) return absl::InvalidArgumentError(Cat(file, ": ", got.status().message()));
    if (!*got || row.line > line) {
      return absl::InvalidArgumentError(
          Cat(file, ": no row starts on line ", line,
              " (a row may span lines when a quoted field holds a line break; errors name the "
              "line a row starts on)"));
    }
    if (row.line == line) break;
  }
  ExplainedRow r;
  r.file = file;
  r.line = line;
  r.kind = *found;
  PseudonymousRecord record;
  r.valid = (*parser)->Parse(row, /*hash=*/true, &record, &r.shape, &r.errors);
  if (r.valid) {
    r.identity = (*parser)->identity();
    if ((*parser)->glued_surname() != r.identity.surname) {
      r.glued_surname = (*parser)->glued_surname();
    }
    r.keys = record.keys;
  }
  return r;
}

std::vector<KeyLevel> SharedLevels(const ExplainedRow& a, const ExplainedRow& b) {
  std::vector<KeyLevel> shared;
  for (KeyLevel level : kAllKeyLevels) {
    if (ShareAt(a, b, level)) shared.push_back(level);
  }
  return shared;
}

absl::Status RunExplain(const ExplainOptions& o, std::ostream& out) {
  if (o.rows.size() != 2) {
    return absl::InvalidArgumentError("give two row references FILE:LINE (the same file may do)");
  }
  std::string key_file = o.key_file;
  ColumnMapping mapping;
  if (!o.config_file.empty()) {
    DaemonConfig config;
    absl::Status s = LoadDaemonConfig(o.config_file, &config);
    if (!s.ok()) return s;
    if (key_file.empty()) key_file = config.key_file;
    mapping = config.column_mapping;
  }
  if (key_file.empty()) {
    return absl::InvalidArgumentError(
        "give the site key (--key site.key) or the agent's config (--config agent.toml)");
  }
  absl::StatusOr<HmacKey> key = LoadKeyFile(key_file);
  if (!key.ok()) return key.status();
  std::optional<ExportKind> kind;
  if (!o.kind.empty()) {
    absl::StatusOr<ExportKind> k = ParseExportKind(o.kind);
    if (!k.ok()) return k.status();
    kind = *k;
  }
  ExplainedRow rows[2];
  for (int i = 0; i < 2; ++i) {
    std::string file;
    int64_t line = 0;
    absl::Status s = SplitReference(o.rows[static_cast<size_t>(i)], &file, &line);
    if (!s.ok()) return s;
    absl::StatusOr<ExplainedRow> r = ExplainRow(*key, file, line, kind, mapping);
    if (!r.ok()) return r.status();
    rows[i] = std::move(*r);
  }
  if (!::isatty(STDOUT_FILENO)) {
    std::cerr << "pprl explain: the output shows names and birth dates: keep it at the site\n";
  }
  out << "pprl explain: computed here with the site key " << key->KeyId()
      << "; nothing was sent anywhere.\n\n";
  PrintRow("A", rows[0], out);
  PrintRow("B", rows[1], out);
  if (!rows[0].valid || !rows[1].valid) {
    out << "\nno keys compared: an invalid row never links\n";
    return absl::OkStatus();
  }
  const std::vector<KeyLevel> shared = SharedLevels(rows[0], rows[1]);
  out << "\nmatch keys by level, strongest first (the first 8 bytes of each HMAC):\n";
  out << "   " << Pad("level", 20) << Pad("A", 18) << Pad("B", 18) << "\n";
  for (KeyLevel level : kAllKeyLevels) {
    const bool glued = KeyAt(rows[0], level, 1) != nullptr || KeyAt(rows[1], level, 1) != nullptr;
    for (int reading = 0; reading < (glued ? 2 : 1); ++reading) {
      const MatchKey* ka = KeyAt(rows[0], level, reading);
      const MatchKey* kb = KeyAt(rows[1], level, reading);
      // The verdict is the level's (any key of one row against any of the other), on its
      // first line; the glued reading's line shows its keys.
      const char* verdict = reading == 1                       ? ""
                            : ShareAt(rows[0], rows[1], level) ? "SHARED"
                            : KeyAt(rows[0], level) == nullptr || KeyAt(rows[1], level) == nullptr
                                ? "no key on both sides"
                                : "differs";
      const std::string name =
          reading == 0 ? std::string(KeyLevelName(level)) : "  (glued reading)";
      out << "   " << Pad(name, 20) << Pad(ka != nullptr ? Hex(*ka, 8) : "-", 18)
          << Pad(kb != nullptr ? Hex(*kb, 8) : "-", 18) << verdict << "\n";
    }
  }
  out << "   (a level without a key lacks one of its fields: the levels with an initial need "
         "one; day_month_swapped needs a day from 1 to 12 other than the month)\n\n";
  if (shared.empty()) {
    out << "shared levels: none. The linker does not join these two rows directly (they may "
           "still meet through other records of the same person).\n";
  } else {
    std::vector<std::string> names;
    for (KeyLevel level : shared) names.emplace_back(KeyLevelName(level));
    out << "shared levels: " << Join(names, ", ") << ". The linker joins these two rows at "
        << names[0]
        << ", unless that key is ambiguous in the linked data (at surname_dob: twins, one "
           "surname and birth date with different initials).\n";
  }
  return absl::OkStatus();
}

}  // namespace pprl
