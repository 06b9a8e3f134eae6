#include "service/daemon_runner.h"

#include <grpcpp/health_check_service_interface.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <vector>

#include "service/rpc_util.h"

namespace pprl {

int RunDaemon(const DaemonConfig& config, std::initializer_list<grpc::Service*> services,
              std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = ServerTlsCredentials(config.tls);
  if (!creds.ok()) {
    LogError("bad TLS files", {{"error", std::string(creds.status().message())}});
    return 2;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, *creds, &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  for (grpc::Service* s : services) builder.RegisterService(s);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    LogError("cannot listen", {{"address", config.listen}});
    return 1;
  }
  if (!config.port_file.empty()) {
    std::string tmp = config.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::error_code ec;
    std::filesystem::rename(tmp, config.port_file, ec);
  }
  std::vector<std::pair<std::string_view, std::string>> line = {{"port", std::to_string(port)}};
  line.insert(line.end(), fields.begin(), fields.end());
  LogInfo("listening", line);
  int sig = WaitForTerminationSignal();
  LogInfo("stopping", {{"signal", std::to_string(sig)}});
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  server->Wait();
  LogInfo("stopped");
  return 0;
}

}  // namespace pprl
