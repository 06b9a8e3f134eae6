// Plumbing every pprl daemon and client shares: mutual-TLS credentials, the caller's role and
// name from its certificate, absl::Status <-> grpc::Status, structured logs and SIGTERM.
//
// Roles are bound to certificates: the subject's OU is the role (data-officer, agent, analyst,
// analyzer, auditor, linker) and the CN the holder (for an agent: its site). A certificate with no
// OU or more than one is refused. Certificates come from the deployment's CA
// (deploy/make-dev-certs.sh makes a development one). A certificate serves one purpose: a
// server certificate carries extendedKeyUsage serverAuth only, a client certificate clientAuth
// only; a process that is both (agent, analyzer) holds one of each. Both ends of every
// connection check the peer's certificate during the TLS handshake (before any RPC byte is
// sent): chain to the CA, not revoked by the CRL file when one is configured, the purpose, one
// OU; a client also checks the server's role and, where it matters, its CN (an officer's
// client requires the agent of the expected site). Logs are JSON lines on stderr and must
// never carry identities: callers log ids, counts and errors only. Thread-safe.
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

enum class Role { kNone, kDataOfficer, kAgent, kAnalyst, kAnalyzer, kAuditor, kLinker };
std::string_view RoleName(Role role);
Role RoleFromName(std::string_view name);

struct Peer {
  Role role = Role::kNone;
  std::string name;  // the certificate's CN
};

// The authenticated caller of an RPC (role kNone without a valid client certificate, or with
// a certificate that has no OU or more than one).
Peer PeerOf(const grpc::ServerContextBase& context);

struct TlsFiles {
  std::string ca;        // PEM: the CA every peer's certificate must chain to
  std::string cert;      // PEM: this process's certificate
  std::string key;       // PEM: its private key
  std::string crl = {};  // PEM: the CA's certificate revocation list; empty: none is checked
};

// What a client requires of the server it calls.
struct ExpectedServer {
  Role role = Role::kNone;  // the server certificate's OU
  std::string name;         // its CN; empty: any holder of the role
};
std::string Describe(const ExpectedServer& server);

// The subject of a PEM certificate as (role, CN); an error for no OU or more than one.
[[nodiscard]] absl::StatusOr<Peer> PeerOfCertificate(std::string_view pem);

// Server side: requires a client certificate and verifies it (chain, CRL, clientAuth, one OU).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const TlsFiles& files);
// Client side: presents `files.cert` and verifies the server (chain, CRL, serverAuth, one OU,
// host name, and the role and CN in `expected`).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientTlsCredentials(
    const TlsFiles& files, const ExpectedServer& expected);
// A channel to `address` with message-size limits. Server certificates name "localhost" and
// the host names given to make-dev-certs.sh; `server_name` overrides the name checked.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(
    const std::string& address, const TlsFiles& files, const ExpectedServer& expected,
    const std::string& server_name = "");
// Connects `channel` and returns once the server's certificate was verified, without sending
// any RPC byte; otherwise why not (the certificate refused and the reason, or unreachable).
[[nodiscard]] absl::Status ConnectVerified(grpc::Channel& channel, const std::string& address,
                                           double seconds);
// The last server certificate this process refused as a client, and why ("" if none): for the
// error messages of command-line clients.
std::string LastPeerRefusal();

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
