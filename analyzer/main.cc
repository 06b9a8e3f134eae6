// pprl-analyzer: computes studies for analysts from the linker's cohort. Thin.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iterator>

#include "analyzer/analyzer_service.h"
#include "analyzer/policy_config.h"
#include "core/hmac_key.h"
#include "service/daemon_config.h"
#include "service/daemon_flags.h"
#include "service/daemon_runner.h"
#include "service/rpc_util.h"

int main(int argc, char** argv) {
  pprl::BlockTerminationSignals();
  pprl::SetLogDaemonName("pprl-analyzer");
  CLI::App app{"pprl-analyzer: recidivism statistics behind disclosure control"};
  pprl::DaemonFlags flags(app, {pprl::DaemonFlag::kLinker});
  // The disclosure policy is the server's ([disclosure] in the config, these flags on top).
  int min_cell = 0, min_residual_df = 0;
  app.add_option("--min-cell", min_cell, "no figure about fewer subjects (policy; 10)")
      ->check(CLI::Range(2, 1000));
  app.add_option("--min-residual-df", min_residual_df,
                 "regressions and the release budget keep this many residual df (policy; 10)")
      ->check(CLI::Range(1, 1000));
  // A released set is stored at the linker in parts of at most this much (tests set it low).
  size_t part_bytes = 16 << 20;
  app.add_option("--released-part-bytes", part_bytes,
                 "the largest part a released set is stored in (16 MiB)")
      ->check(CLI::Range(size_t{64}, size_t{48} << 20));
  CLI11_PARSE(app, argc, argv);
  absl::StatusOr<pprl::DaemonConfig> resolved = flags.Resolve();
  if (!resolved.ok()) {
    pprl::LogError("bad config", {{"error", std::string(resolved.status().message())}});
    return 2;
  }
  const pprl::DaemonConfig& config = *resolved;
  pprl::DisclosurePolicy policy;
  if (!flags.config_path().empty()) {
    absl::Status s = pprl::LoadDisclosurePolicy(flags.config_path(), &policy);
    if (!s.ok()) {
      pprl::LogError("bad config", {{"error", std::string(s.message())}});
      return 2;
    }
  }
  if (min_cell > 0) policy.min_cell = min_cell;
  if (min_residual_df > 0) policy.min_residual_df = min_residual_df;
  pprl::LogInfo("disclosure policy", {{"policy", pprl::DisclosurePolicyJson(policy).dump()}});
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      pprl::OpenChannel(config.linker_address, config.ClientTls(), {pprl::Role::kLinker, ""});
  if (!channel.ok()) {
    pprl::LogError("bad TLS files", {{"error", std::string(channel.status().message())}});
    return 2;
  }
  pprl::AnalyzerService service(pprl::v1::Linker::NewStub(*channel), config.limits, policy);
  service.set_released_part_bytes(part_bytes);
  {
    // The per-subject input tags of the release record are keyed by a secret only the analyzer
    // holds: derived (domain-separated) from its private TLS key.
    std::ifstream key_file(config.client_key, std::ios::binary);
    std::string pem((std::istreambuf_iterator<char>(key_file)), std::istreambuf_iterator<char>());
    if (pem.empty()) {
      pprl::LogError("bad TLS files",
                     {{"error", "cannot read the client key " + config.client_key}});
      return 2;
    }
    service.set_inputs_key(pprl::Sha256Hex("pprl analyzer input tags v1\n" + pem));
  }
  return pprl::RunDaemon(config, {&service}, {{"linker", config.linker_address}});
}
