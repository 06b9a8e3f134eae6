#include "cli/pseudonymise_command.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <thread>

#include "agent/extract_file.h"
#include "agent/submission.h"
#include "cli/progress.h"
#include "core/export_pseudonymiser.h"
#include "core/hmac_key.h"
#include "core/status_macros.h"
#include "core/text.h"
#include "proto/extract_codec.h"

namespace pprl {

absl::Status RunKeygen(const KeygenOptions& options, std::ostream& out) {
  if (options.out.empty()) return absl::InvalidArgumentError("keygen: --out FILE is required");
  PPRL_ASSIGN_OR_RETURN(HmacKey key, HmacKey::Generate());
  PPRL_RETURN_IF_ERROR(WriteKeyFile(options.out, key));
  out << "wrote a new 256-bit key to " << options.out << " (mode 0600), key id " << key.KeyId()
      << "\ncopy it to the other data sites only, over a secure channel; never to the linker "
         "or the analyzer\n";
  return absl::OkStatus();
}

absl::Status RunPseudonymise(const PseudonymiseOptions& options, std::ostream& out) {
  PPRL_ASSIGN_OR_RETURN(HmacKey key, LoadKeyFile(options.key_file));
  std::ifstream in(options.input, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot open ", options.input));
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(options.input, ec);

  v1::ExtractHeader header;
  header.set_format_version(1);
  header.set_kind(ToProto(options.kind));
  header.set_key_id(key.KeyId());
  header.set_site(options.site);
  header.set_source_file_name(std::filesystem::path(options.input).filename().string());
  PPRL_ASSIGN_OR_RETURN(std::unique_ptr<ExtractFileWriter> writer,
                        ExtractFileWriter::Create(options.output, header));

  ExportOptions export_options;
  export_options.kind = options.kind;
  export_options.file_name = std::filesystem::path(options.input).filename().string();
  export_options.skip_invalid = options.skip_invalid;
  export_options.latest_event_day = TodayUtc() + 1;  // a day of grace for time zones
  export_options.threads =
      options.threads > 0 ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Progress progress("pseudonymising " + export_options.file_name, size);
  absl::StatusOr<ExportSummary> summary = PseudonymiseExport(
      in, export_options, key, [&](const PseudonymousRecord& r) { return writer->Append(r); },
      [&](uint64_t bytes, int64_t rows) { progress.Update(bytes, rows); });
  progress.Finish();
  if (!summary.ok()) return summary.status();
  out << FormatSummary(*summary);
  if (summary->refused) {
    return absl::InvalidArgumentError(Cat(export_options.file_name, ": refused, ",
                                          summary->rows_invalid,
                                          " invalid rows; nothing was written"));
  }
  PPRL_RETURN_IF_ERROR(writer->Commit());
  out << "wrote " << writer->record_count() << " pseudonymised records to " << options.output
      << " (key id " << key.KeyId() << ")\n";
  return absl::OkStatus();
}

}  // namespace pprl
