// The analyzer's gRPC service (callback API): an analyst sends a study, the analyzer reads the
// cohort from the linker with its own (analyzer) certificate, computes the study behind
// disclosure control and returns aggregates only. Every release and refusal is written to the
// linker's audit log. The subject sets of released reports are kept at the linker (the
// analyzer holds nothing on disk), so differencing is refused across analyzer restarts; so are
// the statistics released about them (the release budget, core/disclosure_budget.h).
// Thread-safe (studies are computed one at a time against the released sets).
#ifndef PPRL_ANALYZER_ANALYZER_SERVICE_H_
#define PPRL_ANALYZER_ANALYZER_SERVICE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "proto/analyzer.grpc.pb.h"
#include "proto/linker.grpc.pb.h"
#include "service/call_limits.h"
#include "service/rpc_util.h"

namespace pprl {

class AnalyzerService final : public v1::Analyzer::CallbackService {
 public:
  // A study whose caller set no earlier deadline is cancelled after limits.max_call_seconds;
  // each analyst certificate gets limits.concurrent_per_caller studies at once and
  // limits.calls_per_minute (RESOURCE_EXHAUSTED beyond, and an audit entry). `policy`: the
  // disclosure thresholds and caps, which a study may only tighten.
  explicit AnalyzerService(std::shared_ptr<v1::Linker::StubInterface> linker,
                           CallLimits limits = {}, DisclosurePolicy policy = {})
      : linker_(std::move(linker)),
        policy_(policy),
        admission_(limits),
        watchdog_(std::chrono::seconds(limits.max_call_seconds)) {}

  // The secret that keys the per-subject input tags of the release record (InputsSets in
  // core/study_report.h): main derives it from the analyzer's private TLS key, which only the
  // analyzer reads, so the linker's store holds no per-person digest open to a dictionary.
  void set_inputs_key(std::string key) { inputs_key_ = std::move(key); }
  // The largest part a released set is stored in at the linker (tests set it low).
  void set_released_part_bytes(size_t bytes) { released_part_bytes_ = bytes; }

  grpc::ServerUnaryReactor* Analyze(grpc::CallbackServerContext* context,
                                    const v1::AnalyzeRequest* request,
                                    v1::AnalyzeResponse* response) override;

 private:
  [[nodiscard]] absl::Status Run(const Peer& peer, const std::string& study_toml,
                                 v1::AnalyzeResponse* response);
  void Audit(const std::string& action, const std::string& detail_json);

  std::shared_ptr<v1::Linker::StubInterface> linker_;
  const DisclosurePolicy policy_;
  std::string inputs_key_;
  size_t released_part_bytes_ = 16 << 20;
  CallAdmission admission_;
  std::mutex mu_;  // one check-and-release at a time
  CallWatchdog watchdog_;
};

}  // namespace pprl

#endif  // PPRL_ANALYZER_ANALYZER_SERVICE_H_
