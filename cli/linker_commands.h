// The command line's linker commands: link, linkage-report, links, extracts, audit. Each talks
// to pprl-linker over mutual TLS with the caller's certificate. PSEUDONYMS only.
#ifndef PPRL_CLI_LINKER_COMMANDS_H_
#define PPRL_CLI_LINKER_COMMANDS_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/linker.grpc.pb.h"
#include "service/rpc_util.h"

namespace pprl {

struct LinkerClientOptions {
  std::string linker;  // host:port
  TlsFiles tls;
  double deadline_seconds = 600;
};

// A stub for the linker in `options`; the handshake requires its certificate to say OU=linker.
absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> ConnectLinker(const LinkerClientOptions& options);
// A finished call as a Status: a refused handshake or an unreachable linker says so.
absl::Status LinkerCallStatus(const grpc::Status& status, const LinkerClientOptions& options);

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
// The audit log (cli/audit_commands.cc). Show pages through every entry.
[[nodiscard]] absl::Status RunAuditShow(const LinkerClientOptions& options, std::ostream& out);
struct AuditVerifyOptions {
  std::string log_key;     // the log's Ed25519 public key (PEM)
  std::string checkpoint;  // the auditor's checkpoint file: read if present, updated when OK
  std::string expect;      // SIZE:ROOT the log must extend
};
// Checks, here and not at the linker: the signed head against `log_key`, that the served
// entries hash to it, and the linker's consistency proof from the checkpoint (and --expect) to
// it. OK when all hold (then the checkpoint moves on); DataLoss naming the first bad entry or
// the broken proof otherwise.
[[nodiscard]] absl::Status RunAuditVerify(const LinkerClientOptions& options,
                                          const AuditVerifyOptions& verify, std::ostream& out);
// Checks, offline, that report.json's "audit" member proves the report was released: the tree
// head's signature with `log_key`, the entry's inclusion proof, and the report's digest in the
// entry. OK names the entry; an error names what does not hold.
[[nodiscard]] absl::Status RunAuditCheckReport(const std::string& report_path,
                                               const std::string& log_key, std::ostream& out);
// A new Ed25519 signing key (mode 0600) and its public key (default: OUT.pub.pem).
[[nodiscard]] absl::Status RunAuditKeygen(const std::string& out_path,
                                          const std::string& public_path, std::ostream& out);

}  // namespace pprl

#endif  // PPRL_CLI_LINKER_COMMANDS_H_
