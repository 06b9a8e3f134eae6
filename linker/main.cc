// pprl-linker: the central linker daemon. Thin: config and flags, then the server.

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>

#include "linker/audit_log.h"
#include "linker/linker_core.h"
#include "linker/linker_service.h"
#include "linker/rocksdb_record_store.h"
#include "service/daemon_config.h"
#include "service/daemon_flags.h"
#include "service/daemon_runner.h"
#include "service/rpc_util.h"

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  pprl::BlockTerminationSignals();
  pprl::SetLogDaemonName("pprl-linker");
  CLI::App app{"pprl-linker: stores pseudonymised extracts, links them, keeps the audit log"};
  pprl::DaemonFlags flags(app, {pprl::DaemonFlag::kDataDir, pprl::DaemonFlag::kAuditKey,
                                pprl::DaemonFlag::kAgentGrants});
  // A page of the cohort, the pool or the released sets holds about this much (under the
  // 64 MiB message limit; the tests page with a few hundred bytes).
  size_t page_bytes = 16 << 20;
  app.add_option("--page-bytes", page_bytes, "about how large a page of subjects is (16 MiB)")
      ->check(CLI::Range(size_t{256}, size_t{48} << 20));
  CLI11_PARSE(app, argc, argv);

  absl::StatusOr<pprl::DaemonConfig> resolved = flags.Resolve();
  if (!resolved.ok()) {
    pprl::LogError("bad config", {{"error", std::string(resolved.status().message())}});
    return 2;
  }
  const pprl::DaemonConfig& config = *resolved;
  std::string key_path = config.audit_signing_key;
  if (key_path.empty()) {
    key_path = (std::filesystem::path(config.tls.key).parent_path() / "audit-log.key").string();
  }
  absl::StatusOr<pprl::AuditSigningKey> key = pprl::AuditSigningKey::Load(key_path);
  if (!key.ok()) {
    pprl::LogError("cannot load the audit signing key ([audit] signing_key)",
                   {{"error", std::string(key.status().message())}});
    return 2;
  }

  absl::StatusOr<std::unique_ptr<pprl::RecordStore>> store = pprl::OpenRocksDbRecordStore(
      config.data_dir, NowMs, {static_cast<uint64_t>(config.min_free_mb) << 20});
  if (!store.ok()) {
    pprl::LogError("cannot open the store", {{"error", std::string(store.status().message())}});
    return 1;
  }
  absl::StatusOr<std::unique_ptr<pprl::AuditLog>> audit =
      pprl::AuditLog::Open(store->get(), *key, NowMs);
  if (!audit.ok()) {
    pprl::LogError("cannot open the audit log", {{"error", std::string(audit.status().message())}});
    return 1;
  }
  if (absl::Status damage = (*audit)->damage(); !damage.ok()) {
    pprl::LogError("the audit log is damaged: serving it to auditors, refusing every write",
                   {{"error", std::string(damage.message())}});
  }
  pprl::LinkerCore core(store->get(), NowMs, audit->get());
  pprl::LinkerService service(&core, config.limits, config.agents);
  service.set_subject_page_bytes(page_bytes);
  service.set_released_page_bytes(page_bytes);
  int code = pprl::RunDaemon(
      config, {&service},
      {{"data_dir", config.data_dir}, {"agents", std::to_string(config.agents.size())}});
  audit->reset();
  store->reset();
  return code;
}
