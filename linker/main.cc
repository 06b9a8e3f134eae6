// pprl-linker: the central linker daemon. Thin: config and flags, then the server.

#include <CLI/CLI.hpp>
#include <chrono>

#include "linker/linker_core.h"
#include "linker/linker_service.h"
#include "linker/rocksdb_record_store.h"
#include "service/daemon_config.h"
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
  int code = pprl::RunDaemon(config, {&service}, {{"data_dir", config.data_dir}});
  store->reset();
  return code;
}
