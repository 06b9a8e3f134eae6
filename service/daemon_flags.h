// The daemons' command lines: --config FILE plus flags that override it. Every daemon has
// --listen, --tls-ca, --tls-cert, --tls-key and --port-file; each names the others it takes,
// and those settings are then required (from the file or a flag).
#ifndef PPRL_SERVICE_DAEMON_FLAGS_H_
#define PPRL_SERVICE_DAEMON_FLAGS_H_

#include <CLI/CLI.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/daemon_config.h"

namespace pprl {

// kLinker: the daemon calls the linker (--linker and its client certificate); kOfficers: the
// agent's officer allowlist; kAgentGrants: the linker's per-agent allowlist.
enum class DaemonFlag {
  kDataDir,
  kSpoolDir,
  kSite,
  kSiteKind,
  kKeyFile,
  kLinker,
  kOfficers,
  kAgentGrants,
  kAuditKey
};

class DaemonFlags {
 public:
  DaemonFlags(CLI::App& app, std::set<DaemonFlag> extra);
  // The config file's settings with the given flags on top. The TLS files and every setting
  // the daemon named are required; the error names what is missing.
  [[nodiscard]] absl::StatusOr<DaemonConfig> Resolve() const;
  // --config's value (empty: none), for a daemon's own sections of the file.
  const std::string& config_path() const { return config_path_; }

 private:
  CLI::App& app_;
  std::set<DaemonFlag> extra_;
  std::string config_path_;
  DaemonConfig flags_;
  int max_call_seconds_ = 0;
  double calls_per_minute_ = 0;
  int concurrent_per_caller_ = 0;
  int64_t min_free_mb_ = -1;
  std::vector<std::string> officers_;
  std::vector<std::string> agent_grants_;
};

}  // namespace pprl

#endif  // PPRL_SERVICE_DAEMON_FLAGS_H_
