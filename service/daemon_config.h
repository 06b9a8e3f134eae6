// The settings every daemon shares: where it listens, its TLS files, its data directory, and
// the peers it calls. Read from a TOML file, then overridden by flags. Parsing is separate
// from running (pure except for reading the file).
//
//   listen = "127.0.0.1:7443"        # port 0: any free port (written to --port-file)
//   data_dir = "/var/lib/pprl/linker"
//   min_free_mb = 256                # linker: keep this much of the data disk free
//   [tls]
//   ca = "ca.pem"
//   cert = "linker.pem"
//   key = "linker.key"
//   [linker]                         # agents and the analyzer
//   address = "linker.example:7443"
//   [audit]                          # linker: the audit log's Ed25519 signing key (0600 PEM),
//   signing_key = "audit-log.key"    # default: audit-log.key beside the TLS key
//   [limits]                         # per caller certificate (service/call_limits.h)
//   max_call_seconds = 600           # a stream without an earlier deadline ends here
//   calls_per_minute = 120           # uploads (linker) or submissions (agent)
//   concurrent_per_caller = 4
#ifndef PPRL_SERVICE_DAEMON_CONFIG_H_
#define PPRL_SERVICE_DAEMON_CONFIG_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "service/call_limits.h"
#include "service/rpc_util.h"

namespace pprl {

struct DaemonConfig {
  std::string listen = "127.0.0.1:0";
  std::string data_dir;
  TlsFiles tls;
  std::string linker_address;
  std::string port_file;
  // Agent settings.
  std::string site;
  std::string site_kind;  // police | veiligheidshuis
  std::string key_file;
  std::map<std::string, std::string> column_mapping;
  CallLimits limits;
  // Linker: writes are refused when they would leave less free on the data directory's disk.
  int64_t min_free_mb = 256;
  // Linker: the audit log's signing key (core/audit_signing.h), kept apart from the store.
  std::string audit_signing_key;
};

// Reads `path` (TOML) into *config; relative file paths are taken from the file's directory.
[[nodiscard]] absl::Status LoadDaemonConfig(const std::string& path, DaemonConfig* config);

}  // namespace pprl

#endif  // PPRL_SERVICE_DAEMON_CONFIG_H_
