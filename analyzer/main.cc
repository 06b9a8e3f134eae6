// pprl-analyzer: computes studies for analysts from the linker's cohort. Thin.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>

#include "analyzer/analyzer_service.h"
#include "service/daemon_config.h"
#include "service/daemon_flags.h"
#include "service/daemon_runner.h"
#include "service/rpc_util.h"

int main(int argc, char** argv) {
  pprl::BlockTerminationSignals();
  pprl::SetLogDaemonName("pprl-analyzer");
  CLI::App app{"pprl-analyzer: recidivism statistics behind disclosure control"};
  pprl::DaemonFlags flags(app, {pprl::DaemonFlag::kLinker});
  CLI11_PARSE(app, argc, argv);
  absl::StatusOr<pprl::DaemonConfig> resolved = flags.Resolve();
  if (!resolved.ok()) {
    pprl::LogError("bad config", {{"error", std::string(resolved.status().message())}});
    return 2;
  }
  const pprl::DaemonConfig& config = *resolved;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      pprl::OpenChannel(config.linker_address, config.ClientTls(), {pprl::Role::kLinker, ""});
  if (!channel.ok()) {
    pprl::LogError("bad TLS files", {{"error", std::string(channel.status().message())}});
    return 2;
  }
  pprl::AnalyzerService service(pprl::v1::Linker::NewStub(*channel), config.limits);
  return pprl::RunDaemon(config, {&service}, {{"linker", config.linker_address}});
}
