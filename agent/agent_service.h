// The agent's gRPC service (callback API). Data officers stream an export in; the agent
// spools it to a private file (mode 0600, removed afterwards), runs the submission on a worker
// thread and answers with the report. Only the data-officer role may call it, and only the
// officers in its allowlist (certificate CNs); the officer's CN goes with the upload to the
// linker's audit log.
// RAW IDENTITIES pass through the spool file and never leave the agent. Thread-safe.
#ifndef PPRL_AGENT_AGENT_SERVICE_H_
#define PPRL_AGENT_AGENT_SERVICE_H_

#include <memory>
#include <set>
#include <string>

#include "agent/submission.h"
#include "proto/agent.grpc.pb.h"
#include "proto/linker.grpc.pb.h"
#include "service/call_limits.h"
#include "service/rpc_util.h"

namespace pprl {

inline constexpr uint64_t kMaxExportBytes = uint64_t{8} << 30;  // 8 GiB

class AgentService final : public v1::Agent::CallbackService {
 public:
  AgentService(SubmissionSettings settings, HmacKey key, std::string spool_dir,
               std::shared_ptr<v1::Linker::StubInterface> linker, CallLimits limits = {},
               std::set<std::string> officers = {});

  grpc::ServerReadReactor<v1::SubmitRequest>* Submit(grpc::CallbackServerContext* context,
                                                     v1::SubmitReport* report) override;

  const SubmissionSettings& settings() const { return settings_; }
  const HmacKey& key() const { return key_; }
  const std::string& spool_dir() const { return spool_dir_; }
  v1::Linker::StubInterface* linker() { return linker_.get(); }
  StreamLimits& stream_limits() { return stream_limits_; }
  bool OfficerAllowed(const std::string& cn) const { return officers_.contains(cn); }

 private:
  SubmissionSettings settings_;
  HmacKey key_;
  std::string spool_dir_;
  std::shared_ptr<v1::Linker::StubInterface> linker_;
  StreamLimits stream_limits_;  // submissions per officer certificate, and their deadline
  std::set<std::string> officers_;
};

}  // namespace pprl

#endif  // PPRL_AGENT_AGENT_SERVICE_H_
