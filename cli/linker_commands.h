// The command line's linker commands: link, linkage-report, links, extracts, audit. Each talks
// to pprl-linker over mutual TLS with the caller's certificate. PSEUDONYMS only.
#ifndef PPRL_CLI_LINKER_COMMANDS_H_
#define PPRL_CLI_LINKER_COMMANDS_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "service/rpc_util.h"

namespace pprl {

struct LinkerClientOptions {
  std::string linker;  // host:port
  TlsFiles tls;
  double deadline_seconds = 600;
};

// Uploads an extract file (from `pprl pseudonymise`) with an agent certificate.
[[nodiscard]] absl::Status RunUpload(const LinkerClientOptions& options, const std::string& file,
                                     const std::string& client_id, std::ostream& out);
[[nodiscard]] absl::Status RunLink(const LinkerClientOptions& options, std::ostream& out);
[[nodiscard]] absl::Status RunLinkageReport(const LinkerClientOptions& options, std::ostream& out);
// Writes links.csv (subject_id,source,record_id) to `path`.
// With `explain`, also prints each probabilistic join's waterfall (levels and weights only).
[[nodiscard]] absl::Status RunLinks(const LinkerClientOptions& options, const std::string& path,
                                    bool explain, std::ostream& out);
[[nodiscard]] absl::Status RunExtractsList(const LinkerClientOptions& options, std::ostream& out);
[[nodiscard]] absl::Status RunExtractsWithdraw(const LinkerClientOptions& options,
                                               const std::string& extract_id, std::ostream& out);
[[nodiscard]] absl::Status RunAuditShow(const LinkerClientOptions& options, std::ostream& out);
// OK when the chain verifies; DataLoss naming the first bad entry otherwise.
[[nodiscard]] absl::Status RunAuditVerify(const LinkerClientOptions& options, std::ostream& out);

}  // namespace pprl

#endif  // PPRL_CLI_LINKER_COMMANDS_H_
