// Plumbing every pprl daemon and client shares: mutual-TLS credentials, the caller's role and
// name from its certificate, absl::Status <-> grpc::Status, structured logs and SIGTERM.
//
// Roles are bound to certificates: the subject's OU is the role (data-officer, agent, analyst,
// analyzer, auditor) and the CN the holder (for an agent: its site). Certificates come from
// the deployment's CA (deploy/make-dev-certs.sh makes a development one). Logs are JSON lines
// on stderr and must never carry identities: callers log ids, counts and errors only.
// Thread-safe.
#ifndef PPRL_SERVICE_RPC_UTIL_H_
#define PPRL_SERVICE_RPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

enum class Role { kNone, kDataOfficer, kAgent, kAnalyst, kAnalyzer, kAuditor };
std::string_view RoleName(Role role);
Role RoleFromName(std::string_view name);

struct Peer {
  Role role = Role::kNone;
  std::string name;  // the certificate's CN
};

// The authenticated caller of an RPC (role kNone without a valid client certificate).
Peer PeerOf(const grpc::ServerContextBase& context);

struct TlsFiles {
  std::string ca;    // PEM: the CA every peer's certificate must chain to
  std::string cert;  // PEM: this process's certificate
  std::string key;   // PEM: its private key
};

// Server side: requires and verifies a client certificate.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const TlsFiles& files);
// Client side: presents `files.cert` and verifies the server against `files.ca`.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const TlsFiles& files);
// A channel to `address` with message-size limits. Server certificates name "localhost" and
// the host names given to make-dev-certs.sh; `server_name` overrides the name checked.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(
    const std::string& address, const TlsFiles& files, const std::string& server_name = "");

inline constexpr int kMaxMessageBytes = 64 << 20;

grpc::Status ToGrpc(const absl::Status& status);
absl::Status FromGrpc(const grpc::Status& status);

// A deadline `seconds` from now for a client call.
void SetDeadline(grpc::ClientContext* context, double seconds);

// One JSON object per line on stderr: {"ts":..., "level":..., "daemon":..., "msg":..., fields}.
// Field values must be ids, counts or error texts: never identities.
void SetLogDaemonName(std::string name);
void LogInfo(std::string_view msg,
             std::initializer_list<std::pair<std::string_view, std::string>> fields = {});
void LogError(std::string_view msg,
              std::initializer_list<std::pair<std::string_view, std::string>> fields = {});
void LogInfo(std::string_view msg,
             const std::vector<std::pair<std::string_view, std::string>>& fields);

// Blocks until SIGTERM or SIGINT arrives (which are blocked for all threads first: call
// BlockTerminationSignals() at the start of main, before any thread starts).
void BlockTerminationSignals();
int WaitForTerminationSignal();

[[nodiscard]] absl::StatusOr<std::string> ReadTextFile(const std::string& path);

}  // namespace pprl

#endif  // PPRL_SERVICE_RPC_UTIL_H_
