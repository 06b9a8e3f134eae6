// pprl-agent: a data site's agent. Thin: config and flags, the key, the linker channel, the
// server.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <thread>

#include "agent/agent_service.h"
#include "core/hmac_key.h"
#include "service/daemon_config.h"
#include "service/daemon_runner.h"
#include "service/rpc_util.h"

int main(int argc, char** argv) {
  pprl::BlockTerminationSignals();
  pprl::SetLogDaemonName("pprl-agent");
  CLI::App app{"pprl-agent: pseudonymises a site's exports and uploads them to the linker"};
  std::string config_path;
  pprl::DaemonConfig flags;
  app.add_option("--config", config_path, "TOML config file");
  app.add_option("--listen", flags.listen, "address to listen on (port 0: any free port)");
  app.add_option("--spool-dir", flags.data_dir, "private directory for exports in transit");
  app.add_option("--site", flags.site, "site name");
  app.add_option("--site-kind", flags.site_kind, "police or veiligheidshuis");
  app.add_option("--key-file", flags.key_file, "the shared HMAC key (mode 0600)");
  app.add_option("--linker", flags.linker_address, "linker address host:port");
  app.add_option("--tls-ca", flags.tls.ca, "CA certificate (PEM)");
  app.add_option("--tls-cert", flags.tls.cert, "this agent's certificate (PEM, OU=agent, CN=site)");
  app.add_option("--tls-key", flags.tls.key, "its private key (PEM)");
  app.add_option("--port-file", flags.port_file, "write the port listened on to this file");
  CLI11_PARSE(app, argc, argv);

  pprl::DaemonConfig config;
  if (!config_path.empty()) {
    absl::Status s = pprl::LoadDaemonConfig(config_path, &config);
    if (!s.ok()) {
      pprl::LogError("bad config", {{"error", std::string(s.message())}});
      return 2;
    }
  }
  if (app.count("--listen")) config.listen = flags.listen;
  for (auto [flag, field] : {std::pair{&flags.data_dir, &config.data_dir},
                             {&flags.site, &config.site},
                             {&flags.site_kind, &config.site_kind},
                             {&flags.key_file, &config.key_file},
                             {&flags.linker_address, &config.linker_address},
                             {&flags.tls.ca, &config.tls.ca},
                             {&flags.tls.cert, &config.tls.cert},
                             {&flags.tls.key, &config.tls.key},
                             {&flags.port_file, &config.port_file}}) {
    if (!flag->empty()) *field = *flag;
  }
  if (config.data_dir.empty() || config.site.empty() || config.key_file.empty() ||
      config.linker_address.empty() || config.tls.ca.empty() || config.tls.cert.empty() ||
      config.tls.key.empty()) {
    pprl::LogError(
        "missing settings: spool dir, site, site kind, key file, linker and tls ca/cert/key are "
        "required");
    return 2;
  }
  absl::StatusOr<pprl::SiteKind> site_kind = pprl::ParseSiteKind(config.site_kind);
  if (!site_kind.ok()) {
    pprl::LogError("bad site kind", {{"error", std::string(site_kind.status().message())}});
    return 2;
  }
  absl::StatusOr<pprl::HmacKey> key = pprl::LoadKeyFile(config.key_file);
  if (!key.ok()) {
    pprl::LogError("cannot load the key", {{"error", std::string(key.status().message())}});
    return 2;
  }
  std::filesystem::create_directories(config.data_dir);
  std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      pprl::OpenChannel(config.linker_address, config.tls);
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
                             pprl::v1::Linker::NewStub(*channel));

  return pprl::RunDaemon(config, {&service},
                         {{"site", config.site},
                          {"site_kind", config.site_kind},
                          {"key_id", key_id},
                          {"linker", config.linker_address}});
}
