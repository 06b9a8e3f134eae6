// libFuzzer target: arbitrary bytes as a site export of each kind, as the identity fields
// given straight to the normaliser and the date parser, and as a study file. Any crash, leak,
// sanitizer report or broken invariant is a finding.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "core/dates.h"
#include "core/export_pseudonymiser.h"
#include "core/name_normaliser.h"
#include "core/study.h"

namespace {

const pprl::HmacKey& Key() {
  static const pprl::HmacKey* key =
      new pprl::HmacKey(std::move(*pprl::HmacKey::FromBytes(std::vector<uint8_t>(32, 1))));
  return *key;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);

  for (pprl::ExportKind kind :
       {pprl::ExportKind::kCases, pprl::ExportKind::kIncidents, pprl::ExportKind::kConvictions}) {
    std::istringstream in(input);
    pprl::ExportOptions options;
    options.kind = kind;
    options.file_name = "fuzz.csv";
    options.skip_invalid = true;
    options.limits.max_record_bytes = 1 << 16;
    int64_t delivered = 0;
    absl::StatusOr<pprl::ExportSummary> summary =
        pprl::PseudonymiseExport(in, options, Key(), [&](const pprl::PseudonymousRecord& r) {
          // Only a case whose birth date is a placeholder or unreadable travels without keys
          // (an unlinked case of the study); a police row without them is not sent at all.
          Check(!r.keys.empty() || r.kind == pprl::ExportKind::kCases);
          Check(!r.record_id.empty());
          ++delivered;
          return absl::OkStatus();
        });
    if (summary.ok()) {
      Check(summary->rows_valid == delivered + summary->coverage.police_rows_not_sent);
      Check(summary->rows_valid + summary->rows_invalid == summary->rows_read);
    }
  }

  static pprl::NameNormaliser* names = pprl::NameNormaliser::Create().value().release();
  absl::StatusOr<pprl::NormalisedSurname> s = names->Surname(input, input.substr(0, size / 2));
  if (s.ok()) {
    Check(!s->surname.empty());
    for (char c : s->surname) Check(c >= 'a' && c <= 'z');
    (void)pprl::DutchPhonetic(s->surname);
  }
  for (char c : names->Initials(input)) Check(c >= 'a' && c <= 'z');
  for (char c : names->InitialsFromFirstNames(input)) Check(c >= 'a' && c <= 'z');
  // Study files: any text parses or is refused with a reason; a parsed study is valid.
  absl::StatusOr<pprl::Study> study = pprl::ParseStudy(input);
  if (study.ok())
    Check(study->min_cell >= 2 && !study->kaders.empty() && !study->predictors.empty());
  absl::StatusOr<pprl::Date> d = pprl::ParseDate(input);
  if (d.ok()) Check(pprl::IsValidDate(d->year, d->month, d->day));
  return 0;
}
