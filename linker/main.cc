// pprl-linker: the central linker daemon. Thin: config and flags, then the server.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "linker/linker_core.h"
#include "linker/linker_service.h"
#include "linker/rocksdb_record_store.h"
#include "service/daemon_config.h"
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
  std::string config_path;
  pprl::DaemonConfig flags;
  app.add_option("--config", config_path, "TOML config file");
  app.add_option("--listen", flags.listen, "address to listen on (port 0: any free port)");
  app.add_option("--data-dir", flags.data_dir, "RocksDB directory");
  app.add_option("--tls-ca", flags.tls.ca, "CA certificate (PEM)");
  app.add_option("--tls-cert", flags.tls.cert, "this linker's certificate (PEM)");
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
  // Flags override the file.
  if (app.count("--listen")) config.listen = flags.listen;
  if (!flags.data_dir.empty()) config.data_dir = flags.data_dir;
  if (!flags.tls.ca.empty()) config.tls.ca = flags.tls.ca;
  if (!flags.tls.cert.empty()) config.tls.cert = flags.tls.cert;
  if (!flags.tls.key.empty()) config.tls.key = flags.tls.key;
  if (!flags.port_file.empty()) config.port_file = flags.port_file;
  if (config.data_dir.empty() || config.tls.ca.empty() || config.tls.cert.empty() ||
      config.tls.key.empty()) {
    pprl::LogError("missing settings: data_dir and tls ca/cert/key are required");
    return 2;
  }

  absl::StatusOr<std::unique_ptr<pprl::RecordStore>> store =
      pprl::OpenRocksDbRecordStore(config.data_dir, NowMs);
  if (!store.ok()) {
    pprl::LogError("cannot open the store", {{"error", std::string(store.status().message())}});
    return 1;
  }
  pprl::LinkerCore core(store->get(), NowMs);
  pprl::LinkerService service(&core);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      pprl::ServerTlsCredentials(config.tls);
  if (!creds.ok()) {
    pprl::LogError("bad TLS files", {{"error", std::string(creds.status().message())}});
    return 2;
  }
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
  pprl::LogInfo("listening", {{"port", std::to_string(port)}, {"data_dir", config.data_dir}});
  int sig = pprl::WaitForTerminationSignal();
  pprl::LogInfo("stopping", {{"signal", std::to_string(sig)}});
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server->Wait();
  store->reset();
  pprl::LogInfo("stopped");
  return 0;
}
