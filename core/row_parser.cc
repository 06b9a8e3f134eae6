#include "core/row_parser.h"

#include <charconv>

#include "core/status_macros.h"
#include "core/text.h"

namespace pprl {
namespace {

constexpr size_t kMaxRecordIdLength = 128;
constexpr int kMaxAge = 120;

std::string LowerTrimmed(std::string_view s) { return AsciiLower(Trim(s)); }

// Into an existing string, reusing its capacity.
void AssignLowerTrimmed(std::string_view s, std::string* out) {
  s = Trim(s);
  out->resize(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    (*out)[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

bool HasNonAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

std::string FormatRowError(std::string_view file, const RowError& e) {
  std::string out = Cat(file, ":", e.line, ": ");
  if (!e.column.empty()) Append(&out, "column ", e.column, ": ");
  Append(&out, e.reason);
  return out;
}

absl::StatusOr<char> ParseGender(std::string_view text) {
  std::string g = LowerTrimmed(text);
  if (g == "m" || g == "man" || g == "male" || g == "mannelijk") return 'm';
  if (g == "v" || g == "vrouw" || g == "f" || g == "female" || g == "vrouwelijk") return 'v';
  if (g.empty() || g == "o" || g == "onbekend" || g == "unknown" || g == "x" || g == "u") {
    return 'o';
  }
  return absl::InvalidArgumentError("not a gender code (m/v/o, man/vrouw/onbekend, M/F)");
}

absl::StatusOr<std::optional<bool>> ParseFlag(std::string_view text) {
  std::string f = LowerTrimmed(text);
  if (f.empty()) return std::optional<bool>();
  if (f == "1" || f == "ja" || f == "j" || f == "true" || f == "yes" || f == "y") return true;
  if (f == "0" || f == "nee" || f == "n" || f == "false" || f == "no") return false;
  return absl::InvalidArgumentError("not 0/1, ja/nee or true/false");
}

absl::StatusOr<std::optional<int>> ParseCount(std::string_view text, int min, int max) {
  std::string_view t = Trim(text);
  if (t.empty()) return std::optional<int>();
  int value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) {
    return absl::InvalidArgumentError("not a whole number");
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(Cat("outside ", min, "..", max));
  }
  return std::optional<int>(value);
}

absl::StatusOr<std::unique_ptr<RowParser>> RowParser::Create(const HmacKey& key, ExportKind kind,
                                                             ColumnLayout layout) {
  PPRL_ASSIGN_OR_RETURN(std::unique_ptr<NameNormaliser> names, NameNormaliser::Create());
  return std::unique_ptr<RowParser>(new RowParser(key, kind, layout, std::move(names)));
}

RowParser::RowParser(const HmacKey& key, ExportKind kind, ColumnLayout layout,
                     std::unique_ptr<NameNormaliser> names)
    : key_(key), kind_(kind), layout_(layout), names_(std::move(names)), encoder_(key) {}

std::string_view RowParser::Get(const CsvRow& row, Field f) const {
  std::optional<size_t> i = layout_.index(f);
  if (!i || *i >= row.fields.size()) return {};
  return row.fields[*i];
}

bool RowParser::Parse(const CsvRow& row, bool hash, PseudonymousRecord* record,
                      IdentityShape* shape, std::vector<RowError>* errors) {
  const size_t errors_before = errors->size();
  auto fail = [&](Field f, const auto& reason) {
    errors->push_back(RowError{row.line, std::string(FieldName(f)), Cat(reason)});
  };
  if (row.fields.size() != layout_.column_count()) {
    errors->push_back(RowError{row.line, "",
                               Cat("expected ", layout_.column_count(),
                                   " fields as in the header, found ", row.fields.size())});
    return false;
  }
  *shape = IdentityShape{};

  // Identity.
  std::string_view surname = Get(row, Field::kSurname);
  std::string_view prefix = Get(row, Field::kSurnamePrefix);
  shape->non_ascii = HasNonAscii(surname) || HasNonAscii(prefix);
  if (Trim(surname).empty()) {
    fail(Field::kSurname, "empty");
  } else if (absl::StatusOr<NormalisedSurname> s = names_->Surname(surname, prefix); !s.ok()) {
    fail(Field::kSurname, s.status().message());
  } else {
    identity_.prefix = std::move(s->prefix);
    identity_.surname = std::move(s->surname);
    shape->had_prefix = !identity_.prefix.empty();
  }
  identity_.initials = names_->Initials(Get(row, Field::kInitials));
  shape->had_initials = !identity_.initials.empty();
  if (identity_.initials.empty()) {
    identity_.initials = names_->InitialsFromFirstNames(Get(row, Field::kFirstNames));
    shape->derived_initials = !identity_.initials.empty();
  }
  // The first given name for the field encodings: folded, lower case, letters only.
  identity_.first_name.clear();
  names_->FoldToAscii(Get(row, Field::kFirstNames), &first_names_scratch_);
  for (char c : first_names_scratch_) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z') {
      identity_.first_name.push_back(c);
    } else if (c == ' ' || c == '\t' || c == ',' || c == ';') {
      if (!identity_.first_name.empty()) break;
    }
  }
  if (absl::StatusOr<Date> d = ParseDate(Get(row, Field::kBirthDate)); !d.ok()) {
    fail(Field::kBirthDate, d.status().message());
  } else {
    identity_.birth_date = *d;
  }

  // Record id and event date.
  Field id_field = kind_ == ExportKind::kCases       ? Field::kCaseId
                   : kind_ == ExportKind::kIncidents ? Field::kIncidentId
                                                     : Field::kConvictionId;
  Field date_field = kind_ == ExportKind::kCases       ? Field::kFirstDiscussed
                     : kind_ == ExportKind::kIncidents ? Field::kIncidentDate
                                                       : Field::kConvictionDate;
  std::string_view id = Trim(Get(row, id_field));
  if (id.empty()) {
    fail(id_field, "empty");
  } else if (id.size() > kMaxRecordIdLength) {
    fail(id_field, Cat("longer than ", kMaxRecordIdLength, " characters"));
  } else {
    record->record_id.assign(id);
  }
  Date event{};
  if (absl::StatusOr<Date> d = ParseDate(Get(row, date_field)); !d.ok()) {
    fail(date_field, d.status().message());
  } else {
    event = *d;
    record->event_day = DaysSinceEpoch(event);
  }
  record->kind = kind_;

  // Attributes.
  if (kind_ == ExportKind::kCases) {
    CaseAttributes& a = record->case_attributes;
    a = CaseAttributes{};
    if (errors->size() == errors_before) {
      int age = WholeYearsBetween(identity_.birth_date, event);
      if (age < 0) {
        fail(Field::kBirthDate, "after first_discussed");
      } else if (age > kMaxAge) {
        fail(Field::kBirthDate, Cat("more than ", kMaxAge, " years before first_discussed"));
      } else {
        a.age = age;
      }
    }
    if (absl::StatusOr<char> g = ParseGender(Get(row, Field::kGender)); g.ok()) {
      a.gender = *g;
    } else {
      fail(Field::kGender, g.status().message());
    }
    AssignLowerTrimmed(Get(row, Field::kKader), &a.kader);
    auto count = [&](Field f, int max, std::optional<int>* out) {
      absl::StatusOr<std::optional<int>> v = ParseCount(Get(row, f), 0, max);
      if (v.ok()) {
        *out = *v;
      } else {
        fail(f, v.status().message());
      }
    };
    count(Field::kTimesDiscussed, 100000, &a.times_discussed);
    count(Field::kLifeDomains, 11, &a.life_domains);
    auto flag = [&](Field f, std::optional<bool>* out) {
      absl::StatusOr<std::optional<bool>> v = ParseFlag(Get(row, f));
      if (v.ok()) {
        *out = *v;
      } else {
        fail(f, v.status().message());
      }
    };
    flag(Field::kGoals, &a.goals);
    flag(Field::kDecisions, &a.decisions);
    flag(Field::kActions, &a.actions);
  } else {
    if (kind_ == ExportKind::kIncidents) {
      AssignLowerTrimmed(Get(row, Field::kCategory), &record->incident_attributes.category);
      AssignLowerTrimmed(Get(row, Field::kRole), &record->incident_attributes.role);
    }
    // What a comparison group is matched on: gender (optional column) and a 5-year band.
    record->person = PersonAttributes{};
    if (absl::StatusOr<char> g = ParseGender(Get(row, Field::kGender)); g.ok()) {
      record->person.gender = *g;
    } else {
      fail(Field::kGender, g.status().message());
    }
    if (identity_.birth_date.year > 0)
      record->person.birth_band = BirthBand(identity_.birth_date.year);
  }

  if (errors->size() != errors_before) return false;
  record->keys.clear();
  if (hash) {
    ComputeMatchKeys(key_, identity_, &record->keys);
    encoder_.Encode(identity_, &record->encodings);
  } else {
    record->encodings = FieldEncodings{};
  }
  return true;
}

}  // namespace pprl
