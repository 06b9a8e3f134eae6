// pprl-agent: a data site's agent. Thin: config and flags, the key, the linker channel, the
// server.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <thread>

#include "agent/agent_service.h"
#include "core/hmac_key.h"
#include "service/daemon_config.h"
#include "service/daemon_flags.h"
#include "service/daemon_runner.h"
#include "service/rpc_util.h"

int main(int argc, char** argv) {
  pprl::BlockTerminationSignals();
  pprl::SetLogDaemonName("pprl-agent");
  CLI::App app{"pprl-agent: pseudonymises a site's exports and uploads them to the linker"};
  pprl::DaemonFlags flags(
      app, {pprl::DaemonFlag::kSpoolDir, pprl::DaemonFlag::kSite, pprl::DaemonFlag::kSiteKind,
            pprl::DaemonFlag::kKeyFile, pprl::DaemonFlag::kLinker, pprl::DaemonFlag::kOfficers});
  CLI11_PARSE(app, argc, argv);

  absl::StatusOr<pprl::DaemonConfig> resolved = flags.Resolve();
  if (!resolved.ok()) {
    pprl::LogError("bad config", {{"error", std::string(resolved.status().message())}});
    return 2;
  }
  const pprl::DaemonConfig& config = *resolved;
  absl::StatusOr<pprl::SiteKind> site_kind = pprl::ParseSiteKind(config.site_kind);
  if (!site_kind.ok()) {
    pprl::LogError("bad site kind", {{"error", std::string(site_kind.status().message())}});
    return 2;
  }
  // The agent's certificates name its site: the linker stores its uploads under that CN.
  for (const std::string* cert : {&config.tls.cert, &config.client_cert}) {
    absl::StatusOr<std::string> pem = pprl::ReadTextFile(*cert);
    absl::StatusOr<pprl::Peer> self =
        pem.ok() ? pprl::PeerOfCertificate(*pem) : absl::StatusOr<pprl::Peer>(pem.status());
    if (!self.ok() || self->role != pprl::Role::kAgent || self->name != config.site) {
      pprl::LogError("bad certificate",
                     {{"file", *cert},
                      {"error", self.ok() ? "its subject must be OU=agent, CN=" + config.site
                                          : std::string(self.status().message())}});
      return 2;
    }
  }
  absl::StatusOr<pprl::HmacKey> key = pprl::LoadKeyFile(config.key_file);
  if (!key.ok()) {
    pprl::LogError("cannot load the key", {{"error", std::string(key.status().message())}});
    return 2;
  }
  std::filesystem::create_directories(config.data_dir);
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all);
  // Exports left by an agent that died mid-submission hold identities: remove them now.
  int leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(config.data_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("submission-", 0) == 0 && entry.path().extension() == ".csv") {
      std::error_code ec;
      if (std::filesystem::remove(entry.path(), ec)) ++leftovers;
    }
  }
  if (leftovers > 0)
    pprl::LogInfo("removed unfinished submissions", {{"files", std::to_string(leftovers)}});
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      pprl::OpenChannel(config.linker_address, config.ClientTls(), {pprl::Role::kLinker, ""});
  if (!channel.ok()) {
    pprl::LogError("bad TLS files", {{"error", std::string(channel.status().message())}});
    return 2;
  }
  pprl::SubmissionSettings settings;
  settings.site = config.site;
  settings.site_kind = *site_kind;
  settings.mapping = config.column_mapping;
  settings.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string key_id = key->KeyId();
  pprl::AgentService service(settings, std::move(*key), config.data_dir,
                             pprl::v1::Linker::NewStub(*channel), config.limits, config.officers);

  return pprl::RunDaemon(config, {&service},
                         {{"site", config.site},
                          {"site_kind", config.site_kind},
                          {"key_id", key_id},
                          {"linker", config.linker_address}});
}
