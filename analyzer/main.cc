// pprl-analyzer: computes studies for analysts from the linker's cohort. Thin.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>

#include "analyzer/analyzer_service.h"
#include "service/daemon_config.h"
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
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      pprl::ServerTlsCredentials(config.tls);
  if (!channel.ok() || !creds.ok()) {
    pprl::LogError("bad TLS files");
    return 2;
  }
  pprl::AnalyzerService service(pprl::v1::Linker::NewStub(*channel));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, *creds, &port);
  builder.SetMaxReceiveMessageSize(pprl::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(pprl::kMaxMessageBytes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    pprl::LogError("cannot listen", {{"address", config.listen}});
    return 1;
  }
  if (!config.port_file.empty()) {
    std::string tmp = config.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::filesystem::rename(tmp, config.port_file);
  }
  pprl::LogInfo("listening", {{"port", std::to_string(port)}, {"linker", config.linker_address}});
  int sig = pprl::WaitForTerminationSignal();
  pprl::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server->Wait();
  pprl::LogInfo("stopped");
  return 0;
}
