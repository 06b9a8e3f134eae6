#include "core/row_parser.h"

#include <algorithm>
#include <charconv>

#include "core/status_macros.h"
#include "core/text.h"

namespace pprl {
namespace {

// Whether a normalised surname (lower case, prefix apart) is a registry's placeholder for an
// unknown name rather than a name: "NN" / "N.N." (nomen nescio), "onbekend", "unknown", "xxx".
bool IsPlaceholderSurname(std::string_view surname, std::string_view prefix) {
  if (!prefix.empty()) return false;
  std::string letters;
  for (char c : surname)
    if (c >= 'a' && c <= 'z') letters += c;
  if (letters.empty()) return false;
  if (letters.find_first_not_of('x') == std::string::npos) return true;  // x, xx, xxx, ...
  for (std::string_view p :
       {"nn", "nomennescio", "onbekend", "onbekende", "unknown", "anoniem", "anonymous"})
    if (letters == p) return true;
  return false;
}

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

std::string RecordIdProblem(std::string_view id) {
  if (id.empty()) return "empty";
  if (id.size() > kMaxRecordIdLength) return Cat("longer than ", kMaxRecordIdLength, " characters");
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "holds a control character";
  }
  if (id[0] == '=' || id[0] == '+' || id[0] == '-' || id[0] == '@') {
    return "begins with = + - or @, which a spreadsheet opening links.csv runs as a formula";
  }
  return "";
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
    // A spreadsheet pads rows with empty cells right of the table (";;" at the end of a row
    // whose header has none): blank fields beyond the header hold nothing and are ignored.
    bool blank_beyond = row.fields.size() > layout_.column_count();
    for (size_t i = layout_.column_count(); blank_beyond && i < row.fields.size(); ++i) {
      blank_beyond = Trim(row.fields[i]).empty();
    }
    if (!blank_beyond) {
      errors->push_back(RowError{row.line, "",
                                 Cat("expected ", layout_.column_count(),
                                     " fields as in the header, found ", row.fields.size())});
      return false;
    }
  }
  *shape = IdentityShape{};

  // Identity. A double-encoded UTF-8 name ("MÃ¼ller") is repaired first (core/name_normaliser.h:
  // only an unambiguous Latin-1/Windows-1252 double encoding is) and counted.
  std::string_view surname = Get(row, Field::kSurname);
  std::string_view prefix = Get(row, Field::kSurnamePrefix);
  std::string_view initials = Get(row, Field::kInitials);
  std::string_view first_names = Get(row, Field::kFirstNames);
  for (auto [field, repaired] : {std::pair{&surname, &repaired_[0]},
                                 {&prefix, &repaired_[1]},
                                 {&initials, &repaired_[2]},
                                 {&first_names, &repaired_[3]}}) {
    if (RepairDoubleEncodedUtf8(*field, repaired)) {
      *field = *repaired;
      shape->repaired_encoding = true;
    }
  }
  shape->non_ascii = HasNonAscii(surname) || HasNonAscii(prefix);
  if (Trim(surname).empty()) {
    fail(Field::kSurname, "empty");
  } else if (absl::StatusOr<NormalisedSurname> s = names_->Surname(surname, prefix); !s.ok()) {
    fail(Field::kSurname, s.status().message());
  } else if (IsPlaceholderSurname(s->surname, s->prefix)) {
    // Red team 6: "NN", "Onbekend", "XXX" were read as surnames, and two people unknown by name
    // with one birth date became one subject. The value is not echoed.
    fail(Field::kSurname,
         "a placeholder for an unknown name (such as NN, onbekend, XXX), not a surname: it would "
         "join different people born on one day");
  } else {
    identity_.prefix = std::move(s->prefix);
    identity_.surname = std::move(s->surname);
    glued_surname_ = std::move(s->glued);
    shape->had_prefix = !identity_.prefix.empty();
  }
  identity_.initials = names_->Initials(initials);
  shape->had_initials = !identity_.initials.empty();
  if (identity_.initials.empty()) {
    identity_.initials = names_->InitialsFromFirstNames(first_names);
    shape->derived_initials = !identity_.initials.empty();
  }
  // The first given name for the field encodings: folded, lower case, letters only.
  identity_.first_name.clear();
  names_->FoldToAscii(first_names, &first_names_scratch_);
  for (char c : first_names_scratch_) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z') {
      identity_.first_name.push_back(c);
    } else if (c == ' ' || c == '\t' || c == ',' || c == ';') {
      if (!identity_.first_name.empty()) break;
    }
  }
  identity_.birth_date = Date{};
  identity_.birth_date_known = false;
  if (absl::StatusOr<BirthDate> d = ParseBirthDate(Get(row, Field::kBirthDate)); !d.ok()) {
    fail(Field::kBirthDate, d.status().message());
  } else {
    identity_.birth_date_known = d->known();
    identity_.birth_date = d->date;
    shape->placeholder_birth_date = d->reading == BirthDateReading::kPlaceholder;
    shape->impossible_birth_date = d->reading == BirthDateReading::kImpossible;
    shape->corrected_birth_date = d->reading == BirthDateReading::kCorrected;
  }

  // Record id and event date.
  Field id_field = kind_ == ExportKind::kCases       ? Field::kCaseId
                   : kind_ == ExportKind::kIncidents ? Field::kIncidentId
                                                     : Field::kConvictionId;
  Field date_field = kind_ == ExportKind::kCases       ? Field::kFirstDiscussed
                     : kind_ == ExportKind::kIncidents ? Field::kIncidentDate
                                                       : Field::kConvictionDate;
  std::string_view id = Trim(Get(row, id_field));
  if (std::string problem = RecordIdProblem(id); !problem.empty()) {
    fail(id_field, problem);
  } else {
    record->record_id.assign(id);
  }
  Date event{};
  if (absl::StatusOr<Date> d = ParseDate(Get(row, date_field)); !d.ok()) {
    fail(date_field, d.status().message());
  } else if (IsPlaceholderBirthDate(d->year, d->month, d->day)) {
    // A stand-in for "unknown" (1900-01-01, 2199-12-31): an event's date must be known. Read
    // as a date it made a case's reference date 1900 (counted in the cohort with empty
    // windows) and blamed a good birth date for being "after" it.
    fail(date_field,
         "a placeholder date (on or before 1900-01-01, 1901-01-01, or 2100 and later)"
         ": the date of the event must be known");
  } else {
    event = *d;
    record->event_day = DaysSinceEpoch(event);
  }
  record->kind = kind_;

  // A known birth date must precede the event and lie at most kMaxAge years before it, for every
  // kind of export (a birth date after the event is a typo that would join the wrong person).
  std::optional<int> age;
  if (errors->size() == errors_before && identity_.birth_date_known) {
    int years = WholeYearsBetween(identity_.birth_date, event);
    if (identity_.birth_date > event) {
      fail(Field::kBirthDate, Cat("after ", FieldName(date_field)));
    } else if (years > kMaxAge) {
      fail(Field::kBirthDate, Cat("more than ", kMaxAge, " years before ", FieldName(date_field)));
    } else {
      age = years;
    }
  }

  // Attributes.
  if (kind_ == ExportKind::kCases) {
    CaseAttributes& a = record->case_attributes;
    a = CaseAttributes{};
    a.age = age;  // unknown when the birth date is
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
    if (identity_.birth_date_known) {
      record->person.birth_band = BirthBand(identity_.birth_date.year);
    }
  }

  if (errors->size() != errors_before) return false;
  record->keys.clear();
  if (hash) {
    ComputeMatchKeys(key_, identity_, &record->keys);
    // The surname with its prefix or particle glued on ("van Dijk" -> "vandijk", "El Amrani" ->
    // "elamrani", "D'Hont" -> "dhont") is the other plausible reading of the same name: its
    // first_initial and surname_dob keys join a register that wrote it glued ("Vandijk",
    // "Elamrani", "Dhont"). Only those two levels: they suffice to meet the glued spelling, and
    // the linker holds two keys more per prefixed row rather than five.
    if (!glued_surname_.empty() && glued_surname_ != identity_.surname) {
      const size_t primary = record->keys.size();
      glued_identity_ = identity_;
      glued_identity_.prefix.clear();
      glued_identity_.surname = glued_surname_;
      ComputeMatchKeys(key_, glued_identity_, &record->keys);
      auto end = record->keys.begin() + static_cast<std::ptrdiff_t>(primary);
      record->keys.erase(std::remove_if(end, record->keys.end(),
                                        [&](const MatchKey& k) {
                                          return (k.level != KeyLevel::kFirstInitial &&
                                                  k.level != KeyLevel::kSurnameDob) ||
                                                 std::find(record->keys.begin(), end, k) != end;
                                        }),
                         record->keys.end());
    }
    // The field encodings hold birth-date parts and are salted with the birth year: a placeholder
    // or unreadable birth date gives none, so such a row is never joined on them either.
    if (identity_.birth_date_known) {
      encoder_.Encode(identity_, &record->encodings);
    } else {
      record->encodings = FieldEncodings{};
    }
  } else {
    record->encodings = FieldEncodings{};
  }
  return true;
}

}  // namespace pprl
