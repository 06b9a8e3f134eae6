// pprl-analyzer: computes studies for analysts from the linker's cohort. Thin.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>

#include "analyzer/analyzer_service.h"
#include "service/daemon_config.h"
#include "service/daemon_runner.h"
#include "service/rpc_util.h"

int main(int argc, char** argv) {
  pprl::BlockTerminationSignals();
  pprl::SetLogDaemonName("pprl-analyzer");
  CLI::App app{"pprl-analyzer: recidivism statistics behind disclosure control"};
  std::string config_path;
  pprl::DaemonConfig flags;
  app.add_option("--config", config_path, "TOML config file");
  app.add_option("--listen", flags.listen, "address to listen on (port 0: any free port)");
  app.add_option("--linker", flags.linker_address, "linker address host:port");
  app.add_option("--tls-ca", flags.tls.ca, "CA certificate (PEM)");
  app.add_option("--tls-cert", flags.tls.cert, "this analyzer's certificate (PEM, OU=analyzer)");
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
  for (auto [flag, field] : {std::pair{&flags.linker_address, &config.linker_address},
                             {&flags.tls.ca, &config.tls.ca},
                             {&flags.tls.cert, &config.tls.cert},
                             {&flags.tls.key, &config.tls.key},
                             {&flags.port_file, &config.port_file}}) {
    if (!flag->empty()) *field = *flag;
  }
  if (config.linker_address.empty() || config.tls.ca.empty() || config.tls.cert.empty() ||
      config.tls.key.empty()) {
    pprl::LogError("missing settings: linker and tls ca/cert/key are required");
    return 2;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      pprl::OpenChannel(config.linker_address, config.tls);
  if (!channel.ok()) {
    pprl::LogError("bad TLS files", {{"error", std::string(channel.status().message())}});
    return 2;
  }
  pprl::AnalyzerService service(pprl::v1::Linker::NewStub(*channel));
  return pprl::RunDaemon(config, {&service}, {{"linker", config.linker_address}});
}
