#include "agent/submission.h"

#include <chrono>
#include <fstream>

#include "agent/linker_uploader.h"
#include "core/export_pseudonymiser.h"
#include "core/text.h"
#include "proto/extract_codec.h"

namespace pprl {

absl::StatusOr<SiteKind> ParseSiteKind(std::string_view name) {
  std::string n = AsciiLower(name);
  if (n == "police" || n == "politie") return SiteKind::kPolice;
  if (n == "veiligheidshuis" || n == "vh") return SiteKind::kVeiligheidshuis;
  return absl::InvalidArgumentError(Cat("unknown site kind '", n, "' (police or veiligheidshuis)"));
}

absl::Status CheckKindForSite(SiteKind site, ExportKind kind) {
  bool ok = site == SiteKind::kPolice ? kind != ExportKind::kCases : kind == ExportKind::kCases;
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      Cat("this agent serves a ", site == SiteKind::kPolice ? "police" : "Veiligheidshuis",
          " site and does not take ", ExportKindName(kind), " exports (",
          site == SiteKind::kPolice ? "incidents and convictions only" : "cases only", ")"));
}

int32_t TodayUtc() {
  return static_cast<int32_t>(std::chrono::duration_cast<std::chrono::days>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
}

absl::StatusOr<v1::SubmitReport> RunSubmission(const SubmissionSettings& settings,
                                               const HmacKey& key, const v1::SubmitHeader& header,
                                               const std::string& csv_path,
                                               v1::Linker::StubInterface* linker,
                                               const std::string& officer) {
  absl::StatusOr<ExportKind> kind = FromProto(header.kind());
  if (!kind.ok()) return kind.status();
  absl::Status allowed = CheckKindForSite(settings.site_kind, *kind);
  if (!allowed.ok()) return allowed;

  std::ifstream in(csv_path, std::ios::binary);
  if (!in) return absl::InternalError("cannot read the spooled export");
  ExportOptions options;
  options.kind = *kind;
  options.file_name = header.file_name().empty() ? "export.csv" : header.file_name();
  options.mapping = settings.mapping;
  options.skip_invalid = header.skip_invalid();
  options.threads = settings.threads;
  // Tomorrow: a day of grace for a site whose clock or time zone runs ahead of ours.
  options.latest_event_day = (settings.today ? settings.today() : TodayUtc()) + 1;
  std::vector<v1::PseudonymisedRecord> records;
  absl::StatusOr<ExportSummary> summary =
      PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
        ToProto(r, &records.emplace_back());
        return absl::OkStatus();
      });
  if (!summary.ok()) return summary.status();

  v1::SubmitReport report;
  report.set_file_name(options.file_name);
  report.set_kind(header.kind());
  report.set_rows_read(summary->rows_read);
  report.set_rows_valid(summary->rows_valid);
  report.set_rows_invalid(summary->rows_invalid);
  report.set_error_count(summary->error_count);
  report.set_refused(summary->refused);
  report.set_dry_run(header.dry_run());
  for (const RowError& e : summary->errors) {
    v1::RowErrorReport* r = report.add_errors();
    r->set_line(e.line);
    r->set_column(e.column);
    r->set_reason(e.reason);
  }
  const KeyCoverage& c = summary->coverage;
  v1::KeyCoverageReport* cov = report.mutable_coverage();
  cov->set_with_initials(c.with_initials);
  cov->set_derived_initials(c.derived_initials);
  cov->set_without_initials(c.without_initials);
  cov->set_with_prefix(c.with_prefix);
  cov->set_folded_non_ascii(c.folded_non_ascii);
  cov->set_placeholder_birth_dates(c.placeholder_birth_dates);
  cov->set_impossible_birth_dates(c.impossible_birth_dates);
  cov->set_corrected_birth_dates(c.corrected_birth_dates);
  cov->set_repaired_encodings(c.repaired_encodings);
  cov->set_empty_rows_skipped(summary->empty_rows_skipped);
  cov->set_police_rows_not_sent(c.police_rows_not_sent);
  for (KeyLevel level : kAllKeyLevels) {
    v1::LevelCount* lc = cov->add_keys_by_level();
    lc->set_level(std::string(KeyLevelName(level)));
    lc->set_links(c.keys_by_level[static_cast<int>(level)]);
  }
  std::string text = FormatSummary(*summary);
  if (!summary->refused && !header.dry_run()) {
    if (records.empty()) {
      Append(&text, "nothing to upload: the export has no valid rows\n");
    } else {
      v1::ExtractHeader extract;
      extract.set_format_version(1);
      extract.set_kind(header.kind());
      extract.set_key_id(key.KeyId());
      extract.set_site(settings.site);
      UploadOptions upload;
      upload.officer = officer;
      absl::StatusOr<v1::UploadReceipt> receipt = UploadExtract(*linker, extract, records, upload);
      if (!receipt.ok()) return receipt.status();
      *report.mutable_receipt() = *receipt;
      report.set_rows_uploaded(static_cast<int64_t>(records.size()));
      Append(&text,
             receipt->created() ? "uploaded: " : "already uploaded before (nothing changed): ",
             receipt->extract().record_count(), " pseudonymised records as extract ",
             receipt->extract().extract_id(), ", digest ", receipt->extract().content_digest(),
             ", linker audit entry ", receipt->audit_sequence(), "\n");
    }
  } else if (header.dry_run()) {
    Append(&text, "dry run: nothing was uploaded\n");
  }
  report.set_text(text);
  return report;
}

}  // namespace pprl
