// The linker's gRPC service (callback API): an adapter from the wire to LinkerCore with a role
// check on every call. A wrong role gets PERMISSION_DENIED and an audit entry.
//
// An upload is accepted only from an agent certificate in the allowlist (CN -> site and
// kinds; [agents] in the config), for a kind it may upload, with the header's site equal to
// the allowlisted site; the extract is stored under that site, and the audit entry names the
// agent and the data officer the agent says submitted it.
//
// Roles: agent (Upload, ListExtracts and WithdrawExtract of its own site), analyzer (only what
// a study needs: GetCohort, GetComparisonPool, RecordAudit, Get/AddReleasedCohorts), auditor
// (everything that reads: ListExtracts, RunLinkage, GetLinkageReport, GetLinks, and the audit
// log's signed head, pages and proofs). PSEUDONYMS only. Thread-safe.
#ifndef PPRL_LINKER_LINKER_SERVICE_H_
#define PPRL_LINKER_LINKER_SERVICE_H_

#include <mutex>

#include "linker/linker_core.h"
#include "proto/linker.grpc.pb.h"
#include "service/call_limits.h"
#include "service/daemon_config.h"
#include "service/rpc_util.h"

namespace pprl {

class LinkerService final : public v1::Linker::CallbackService {
 public:
  // `agents`: who may upload what; an agent not in it is refused.
  explicit LinkerService(LinkerCore* core, CallLimits limits = {},
                         std::map<std::string, AgentGrant> agents = {})
      : core_(core), stream_limits_(limits), agents_(std::move(agents)) {}

  grpc::ServerReadReactor<v1::UploadRequest>* Upload(grpc::CallbackServerContext* context,
                                                     v1::UploadReceipt* receipt) override;
  grpc::ServerUnaryReactor* ListExtracts(grpc::CallbackServerContext* context,
                                         const v1::ListExtractsRequest* request,
                                         v1::ListExtractsResponse* response) override;
  grpc::ServerUnaryReactor* WithdrawExtract(grpc::CallbackServerContext* context,
                                            const v1::WithdrawExtractRequest* request,
                                            v1::ExtractSummary* response) override;
  grpc::ServerUnaryReactor* RunLinkage(grpc::CallbackServerContext* context,
                                       const v1::RunLinkageRequest* request,
                                       v1::LinkageReport* response) override;
  grpc::ServerUnaryReactor* GetLinkageReport(grpc::CallbackServerContext* context,
                                             const v1::GetLinkageReportRequest* request,
                                             v1::LinkageReport* response) override;
  grpc::ServerUnaryReactor* GetLinks(grpc::CallbackServerContext* context,
                                     const v1::LinksRequest* request,
                                     v1::LinksResponse* response) override;
  grpc::ServerUnaryReactor* GetCohort(grpc::CallbackServerContext* context,
                                      const v1::CohortRequest* request,
                                      v1::CohortResponse* response) override;
  grpc::ServerUnaryReactor* GetComparisonPool(grpc::CallbackServerContext* context,
                                              const v1::ComparisonPoolRequest* request,
                                              v1::CohortResponse* response) override;
  grpc::ServerUnaryReactor* GetAuditTreeHead(grpc::CallbackServerContext* context,
                                             const v1::AuditTreeHeadRequest* request,
                                             v1::AuditTreeHeadResponse* response) override;
  grpc::ServerUnaryReactor* GetAuditEntries(grpc::CallbackServerContext* context,
                                            const v1::AuditEntriesRequest* request,
                                            v1::AuditEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetAuditInclusionProof(grpc::CallbackServerContext* context,
                                                   const v1::AuditInclusionProofRequest* request,
                                                   v1::AuditProof* response) override;
  grpc::ServerUnaryReactor* GetAuditConsistencyProof(
      grpc::CallbackServerContext* context, const v1::AuditConsistencyProofRequest* request,
      v1::AuditProof* response) override;
  grpc::ServerUnaryReactor* RecordAudit(grpc::CallbackServerContext* context,
                                        const v1::RecordAuditRequest* request,
                                        v1::RecordAuditResponse* response) override;
  grpc::ServerUnaryReactor* GetReleasedCohorts(grpc::CallbackServerContext* context,
                                               const v1::GetReleasedCohortsRequest* request,
                                               v1::ReleasedCohorts* response) override;
  grpc::ServerUnaryReactor* AddReleasedCohorts(grpc::CallbackServerContext* context,
                                               const v1::ReleasedCohorts* request,
                                               v1::AddReleasedCohortsResponse* response) override;

  // Checks the caller's role; on refusal logs, audits and returns the status to send.
  [[nodiscard]] absl::Status Authorize(const Peer& peer, std::string_view rpc,
                                       std::initializer_list<Role> allowed);
  LinkerCore& core() { return *core_; }
  // The grant of an agent certificate CN, or null.
  const AgentGrant* GrantOf(const std::string& agent_cn) const {
    auto it = agents_.find(agent_cn);
    return it == agents_.end() ? nullptr : &it->second;
  }
  StreamLimits& stream_limits() { return stream_limits_; }
  // About how many bytes of subjects a page of the cohort or the pool holds (tests set it low).
  void set_subject_page_bytes(size_t bytes) { subject_page_bytes_ = bytes; }
  // Likewise for a page of released sets' parts.
  void set_released_page_bytes(size_t bytes) { released_page_bytes_ = bytes; }

 private:
  // An agent certificate outside the allowlist: logged, audited, PERMISSION_DENIED.
  [[nodiscard]] absl::Status AgentNotAllowed(const Peer& peer, std::string_view rpc);
  // The cohort (subjects holding a case) or the comparison pool (police records only).
  // One page of them from position `start`.
  grpc::ServerUnaryReactor* Subjects(grpc::CallbackServerContext* context, bool pool,
                                     uint64_t start, v1::CohortResponse* response);
  // The order of the cohort's or the pool's subjects in `snapshot`, made once per snapshot.
  std::shared_ptr<const SubjectOrder> OrderOf(
      const std::shared_ptr<const LinkageSnapshot>& snapshot, bool pool);

  LinkerCore* core_;
  StreamLimits stream_limits_;  // uploads per agent certificate, and their deadline
  std::mutex released_mu_;      // read-modify-write of the released sets
  std::map<std::string, AgentGrant> agents_;
  size_t subject_page_bytes_ = 16 << 20;
  size_t released_page_bytes_ = 16 << 20;
  std::mutex order_mu_;  // the subject orders of the latest snapshot served
  std::weak_ptr<const LinkageSnapshot> order_of_;
  std::shared_ptr<const SubjectOrder> orders_[2];  // cohort, pool
};

void ToProto(const ExtractInfo& info, v1::ExtractSummary* out);
void ToProto(const LinkageReportData& report, v1::LinkageReport* out);
void ToProto(const TreeHead& head, v1::SignedTreeHead* out);
// The police data's coverage sent with the cohort: per police kind the first and last event
// day over every stored record of it and the months holding at least one (ascending, each
// once); unset when the kind has none. Dates and months only, no identity.
void SetPoliceCoverage(const LinkageSnapshot& snapshot, v1::CohortResponse* out);

// The largest detail an analyzer may record in one audit entry.
inline constexpr size_t kMaxAuditDetailBytes = 64 << 10;

}  // namespace pprl

#endif  // PPRL_LINKER_LINKER_SERVICE_H_
