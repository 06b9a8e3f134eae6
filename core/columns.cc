#include "core/columns.h"

#include <utility>

#include "core/text.h"

namespace pprl {
namespace {

struct FieldInfo {
  Field field;
  std::string_view name;
  std::vector<std::string_view> aliases;  // normalised spelling
};

const std::vector<FieldInfo>& Fields() {
  static const auto* kFields = new std::vector<FieldInfo>{
      {Field::kSurname, "surname", {"achternaam", "geslachtsnaam", "last_name", "family_name"}},
      {Field::kSurnamePrefix, "surname_prefix", {"tussenvoegsel", "voorvoegsel", "prefix"}},
      {Field::kInitials, "initials", {"voorletters"}},
      {Field::kFirstNames, "first_names", {"voornamen", "voornaam", "first_name", "given_names"}},
      {Field::kBirthDate, "birth_date", {"geboortedatum", "date_of_birth", "dob"}},
      {Field::kCaseId, "case_id", {"casus_id", "casusnummer", "zaak_id"}},
      {Field::kGender, "gender", {"geslacht", "sex"}},
      {Field::kKader, "kader", {"meeting_type", "overlegtype"}},
      {Field::kFirstDiscussed, "first_discussed", {"eerste_bespreking", "datum_eerste_bespreking"}},
      {Field::kTimesDiscussed, "times_discussed", {"aantal_besprekingen"}},
      {Field::kLifeDomains, "life_domains", {"leefgebieden"}},
      {Field::kGoals, "goals", {"doelen"}},
      {Field::kDecisions, "decisions", {"besluiten"}},
      {Field::kActions, "actions", {"acties"}},
      {Field::kIncidentId, "incident_id", {"incidentnummer", "registratienummer"}},
      {Field::kIncidentDate, "incident_date", {"incidentdatum", "datum_incident"}},
      {Field::kCategory, "category", {"categorie"}},
      {Field::kRole, "role", {"rol"}},
      {Field::kConvictionId, "conviction_id", {"vonnis_id", "veroordeling_id"}},
      {Field::kConvictionDate, "conviction_date", {"vonnisdatum", "datum_vonnis"}},
      {Field::kOffence, "offence", {"delict", "feit", "offense"}},
  };
  return *kFields;
}

// Blanks a spreadsheet leaves around a header name: ASCII ones, the no-break space (U+00A0) and
// a byte order mark (U+FEFF) that a second save or a concatenation left inside the file.
std::string_view TrimHeaderName(std::string_view name) {
  static constexpr std::string_view kBlanks[] = {" ", "\t", "\xC2\xA0", "\xEF\xBB\xBF"};
  bool again = true;
  while (again) {
    again = false;
    for (std::string_view b : kBlanks) {
      if (name.size() >= b.size() && name.substr(0, b.size()) == b) {
        name.remove_prefix(b.size());
        again = true;
      }
      if (name.size() >= b.size() && name.substr(name.size() - b.size()) == b) {
        name.remove_suffix(b.size());
        again = true;
      }
    }
  }
  return name;
}

std::string NormaliseName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : TrimHeaderName(name)) {
    if (c == ' ' || c == '-') c = '_';
    out.push_back((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c));
  }
  return out;
}

std::optional<Field> LookUp(std::string_view normalised) {
  for (const FieldInfo& info : Fields()) {
    if (info.name == normalised) return info.field;
    for (std::string_view alias : info.aliases) {
      if (alias == normalised) return info.field;
    }
  }
  return std::nullopt;
}

std::vector<Field> RequiredFields(ExportKind kind) {
  std::vector<Field> required = {Field::kSurname, Field::kBirthDate};
  switch (kind) {
    case ExportKind::kCases:
      required.insert(required.end(), {Field::kCaseId, Field::kFirstDiscussed});
      break;
    case ExportKind::kIncidents:
      required.insert(required.end(), {Field::kIncidentId, Field::kIncidentDate});
      break;
    case ExportKind::kConvictions:
      required.insert(required.end(), {Field::kConvictionId, Field::kConvictionDate});
      break;
  }
  return required;
}

}  // namespace

std::string_view ExportKindName(ExportKind kind) {
  switch (kind) {
    case ExportKind::kCases:
      return "cases";
    case ExportKind::kIncidents:
      return "incidents";
    case ExportKind::kConvictions:
      return "convictions";
  }
  return "?";
}

absl::StatusOr<ExportKind> ParseExportKind(std::string_view name) {
  std::string n = AsciiLower(name);
  if (n == "cases") return ExportKind::kCases;
  if (n == "incidents") return ExportKind::kIncidents;
  if (n == "convictions") return ExportKind::kConvictions;
  return absl::InvalidArgumentError(
      Cat("unknown export kind '", n, "' (expected cases, incidents or convictions)"));
}

std::string_view FieldName(Field field) {
  for (const FieldInfo& info : Fields()) {
    if (info.field == field) return info.name;
  }
  return "?";
}

absl::StatusOr<ColumnLayout> ColumnLayout::Resolve(const std::vector<std::string_view>& header,
                                                   ExportKind kind, const ColumnMapping& mapping,
                                                   int64_t header_line) {
  std::map<std::string, Field> extra;
  for (const auto& [from, to] : mapping) {
    std::optional<Field> target = LookUp(NormaliseName(to));
    if (!target) {
      return absl::InvalidArgumentError(
          Cat("column mapping: '", to, "' (for column '", from, "') is not a known field"));
    }
    extra[NormaliseName(from)] = *target;
  }
  ColumnLayout layout;
  layout.column_count_ = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = NormaliseName(header[i]);
    std::optional<Field> field;
    if (auto it = extra.find(name); it != extra.end()) {
      field = it->second;
    } else {
      field = LookUp(name);
    }
    if (!field) continue;  // unknown columns are ignored
    auto& slot = layout.index_[static_cast<size_t>(*field)];
    if (slot) {
      return absl::InvalidArgumentError(Cat("line ", header_line, ": columns ", *slot + 1, " ('",
                                            header[*slot], "') and ", i + 1, " ('", header[i],
                                            "') both mean ", FieldName(*field)));
    }
    slot = i;
  }
  for (Field f : RequiredFields(kind)) {
    if (!layout.index(f)) {
      return absl::InvalidArgumentError(Cat("line ", header_line, ": required column ",
                                            FieldName(f), " is missing for a ",
                                            ExportKindName(kind), " export"));
    }
  }
  return layout;
}

}  // namespace pprl
