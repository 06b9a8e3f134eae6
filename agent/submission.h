// One submission at the agent: a data officer's CSV export (RAW IDENTITIES, spooled to a
// private file in the agent's spool directory and removed afterwards) becomes a pseudonymised
// extract (PSEUDONYMS) that is uploaded to the linker, and a report for the officer.
//
// Nothing identifying leaves this function: the report and the logs carry counts, line
// numbers, column names and reasons only. Thread-compatible: one Submission per call.
#ifndef PPRL_AGENT_SUBMISSION_H_
#define PPRL_AGENT_SUBMISSION_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/columns.h"
#include "core/hmac_key.h"
#include "proto/agent.pb.h"
#include "proto/linker.grpc.pb.h"

namespace pprl {

enum class SiteKind { kPolice, kVeiligheidshuis };
[[nodiscard]] absl::StatusOr<SiteKind> ParseSiteKind(std::string_view name);
// Police agents take incidents and convictions; a Veiligheidshuis agent takes cases.
[[nodiscard]] absl::Status CheckKindForSite(SiteKind site, ExportKind kind);

struct SubmissionSettings {
  std::string site;
  SiteKind site_kind = SiteKind::kPolice;
  ColumnMapping mapping;
  int threads = 2;
  // Today as days since 1970-01-01 (injected in tests); unset: the system clock, UTC. An event
  // after tomorrow is a row error (ExportOptions::latest_event_day).
  std::function<int32_t()> today;
};

// Today (UTC) as days since 1970-01-01, from the system clock: the default of
// SubmissionSettings::today, and `pprl pseudonymise`'s.
int32_t TodayUtc();

// Validates, pseudonymises and (unless dry run or refused) uploads the export in `csv_path`.
// `officer` (the submitting data officer's certificate CN) goes with the upload for the
// linker's audit entry.
// Row problems go into the report; a linker that cannot be reached is an error status, and
// then nothing was stored.
[[nodiscard]] absl::StatusOr<v1::SubmitReport> RunSubmission(const SubmissionSettings& settings,
                                                             const HmacKey& key,
                                                             const v1::SubmitHeader& header,
                                                             const std::string& csv_path,
                                                             v1::Linker::StubInterface* linker,
                                                             const std::string& officer = "");

}  // namespace pprl

#endif  // PPRL_AGENT_SUBMISSION_H_
