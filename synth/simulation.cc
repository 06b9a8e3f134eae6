#include "synth/simulation.h"

#include <filesystem>
#include <fstream>

#include "core/export_pseudonymiser.h"
#include "core/hmac_key.h"
#include "core/study_analysis.h"
#include "core/text.h"
#include "linker/linker_core.h"
#include "linker/memory_record_store.h"
#include "proto/extract_codec.h"

namespace pprl {

absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> LinkExportsInMemory(const std::string& dir,
                                                                           const HmacKey& key,
                                                                           bool skip_invalid,
                                                                           int64_t* rows_refused) {
  auto clock = [] { return int64_t{0}; };
  std::unique_ptr<RecordStore> store = NewMemoryRecordStore(clock);
  for (ExportKind kind : {ExportKind::kCases, ExportKind::kIncidents, ExportKind::kConvictions}) {
    const std::string name = Cat(ExportKindName(kind), ".csv");
    std::ifstream in(std::filesystem::path(dir) / name, std::ios::binary);
    if (!in) return absl::NotFoundError(Cat("cannot read ", name, " in ", dir));
    ExportOptions options;
    options.kind = kind;
    options.file_name = name;
    options.threads = 2;
    options.skip_invalid = skip_invalid;
    std::vector<PseudonymousRecord> records;
    RecordDigester digest;
    absl::StatusOr<ExportSummary> summary =
        PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
          digest.Add(kind, r);
          records.push_back(r);
          return absl::OkStatus();
        });
    if (!summary.ok()) return summary.status();
    if (summary->refused) return absl::InvalidArgumentError(Cat(name, " was refused"));
    if (rows_refused != nullptr) *rows_refused += summary->rows_invalid;
    ExtractInfo info;
    info.site = "simulation";
    info.client_extract_id = name;
    info.kind = kind;
    info.key_id = key.KeyId();
    info.content_digest = digest.HexDigest();
    info.record_count = records.size();
    absl::StatusOr<std::unique_ptr<ExtractWriter>> writer = store->BeginExtract(info);
    if (!writer.ok()) return writer.status();
    absl::Status added = (*writer)->Add(records);
    if (!added.ok()) return added;
    absl::StatusOr<CommitOutcome> committed = (*writer)->Commit();
    if (!committed.ok()) return committed.status();
  }
  LinkerCore linker(store.get(), clock);
  absl::StatusOr<LinkageReportData> linked = linker.RunLinkage();
  if (!linked.ok()) return linked.status();
  return linker.Snapshot();
}

absl::StatusOr<nlohmann::json> SimulateStudy(const SynthOptions& synth, const Study& study,
                                             const std::string& dir) {
  absl::StatusOr<SynthSummary> written = WriteSyntheticExports(dir, synth);
  if (!written.ok()) return written.status();
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> snapshot =
      LinkExportsInMemory(dir, *key, false, nullptr);
  if (!snapshot.ok()) return snapshot.status();
  absl::StatusOr<StudyResult> result =
      AnalyzeStudy(study, SubjectsOf(**snapshot, false), SubjectsOf(**snapshot, true), {});
  if (!result.ok()) return result.status();
  return std::move(result->report);
}

}  // namespace pprl
