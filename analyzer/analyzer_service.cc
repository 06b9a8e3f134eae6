#include "analyzer/analyzer_service.h"

#include <thread>

#include "analyzer/report_render.h"
#include "core/cohort_variables.h"
#include "core/hmac_key.h"
#include "core/study.h"
#include "core/study_analysis.h"
#include "core/study_report.h"
#include "core/text.h"
#include "proto/cohort_codec.h"

namespace pprl {
namespace {

nlohmann::json LinkageJson(const v1::LinkageReport& l) {
  nlohmann::json by_level = nlohmann::json::object();
  for (const v1::LevelCount& c : l.by_level()) by_level[c.level()] = c.links();
  return {{"cases", l.cases()},
          {"incident_records", l.incident_records()},
          {"conviction_records", l.conviction_records()},
          {"subjects", l.subjects()},
          {"cases_linked_incidents", l.cases_linked_incidents()},
          {"cases_linked_convictions", l.cases_linked_convictions()},
          {"ambiguous_keys", l.ambiguous_keys()},
          {"by_level", by_level}};
}

absl::Status FromWire(const v1::CohortResponse& wire, std::vector<CohortSubjectIn>* out) {
  out->reserve(static_cast<size_t>(wire.subjects_size()));
  for (const v1::CohortSubject& cs : wire.subjects()) {
    absl::StatusOr<CohortSubjectIn> s = FromProto(cs);
    if (!s.ok()) return absl::DataLossError(Cat("the linker sent ", s.status().message()));
    out->push_back(std::move(*s));
  }
  return absl::OkStatus();
}

// report.json's "audit" member (README, report.json): the release's entry in the linker's signed
// audit log.
nlohmann::json AuditReference(const v1::RecordAuditResponse& entry) {
  const v1::SignedTreeHead& h = entry.tree_head();
  return {{"entry_sequence", entry.sequence()},
          {"leaf_index", entry.sequence() - 1},
          {"entry", entry.body()},
          {"tree_head",
           {{"tree_size", h.tree_size()},
            {"root_hash", h.root_hash()},
            {"timestamp_ms", h.timestamp_ms()},
            {"key_id", h.key_id()},
            {"signature", h.signature()}}},
          {"inclusion_proof", std::vector<std::string>(entry.inclusion_proof().begin(),
                                                       entry.inclusion_proof().end())}};
}

}  // namespace

void AnalyzerService::Audit(const std::string& action, const std::string& detail_json) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, 30);
  v1::RecordAuditRequest req;
  req.set_action(action);
  req.set_detail_json(detail_json);
  v1::RecordAuditResponse resp;
  grpc::Status s = linker_->RecordAudit(&ctx, req, &resp);
  if (!s.ok())
    LogError("cannot write the audit entry", {{"action", action}, {"error", s.error_message()}});
}

absl::Status AnalyzerService::Run(const Peer& peer, const std::string& study_toml,
                                  v1::AnalyzeResponse* response) {
  absl::StatusOr<Study> study = ParseStudy(study_toml);
  if (!study.ok()) return study.status();
  v1::CohortResponse cohort_wire;
  v1::LinkageReport linkage;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 600);
    grpc::Status s = linker_->GetCohort(&ctx, v1::CohortRequest(), &cohort_wire);
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
  }
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    grpc::Status s = linker_->GetLinkageReport(&ctx, v1::GetLinkageReportRequest(), &linkage);
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
  }
  std::vector<CohortSubjectIn> subjects;
  absl::Status decoded = FromWire(cohort_wire, &subjects);
  if (!decoded.ok()) return decoded;
  std::vector<CohortSubjectIn> pool;
  if (study->comparison.enabled) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 600);
    v1::CohortResponse pool_wire;
    grpc::Status s = linker_->GetComparisonPool(&ctx, v1::ComparisonPoolRequest(), &pool_wire);
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
    if (pool_wire.inputs_digest() != cohort_wire.inputs_digest()) {
      return absl::UnavailableError("the linker linked again while the study read its data: retry");
    }
    decoded = FromWire(pool_wire, &pool);
    if (!decoded.ok()) return decoded;
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SubjectSet> released;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    v1::ReleasedCohorts wire;
    grpc::Status s = linker_->GetReleasedCohorts(&ctx, v1::GetReleasedCohortsRequest(), &wire);
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
    for (const v1::ReleasedSet& set : wire.sets()) {
      released.push_back({set.family().empty() ? "cohort" : set.family(),
                          {set.subject_ids().begin(), set.subject_ids().end()}});
    }
  }
  absl::StatusOr<StudyResult> result =
      AnalyzeStudy(*study, subjects, pool, LinkageJson(linkage), released);
  if (!result.ok()) {
    Audit("query_refused", nlohmann::json({{"analyst", peer.name},
                                           {"study", study->name},
                                           {"reason", std::string(result.status().message())}})
                               .dump());
    return result.status();
  }
  const nlohmann::json* report = &result->report;
  const std::vector<SubjectSet>& sets = result->released_sets;
  response->set_report_json(report->dump(2));
  response->set_report_html(RenderReportHtml(*report));
  response->set_report_text(RenderReportText(*report));
  {
    // Remember the released sets before the report leaves: if this fails, nothing is released.
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    v1::ReleasedCohorts add;
    for (const SubjectSet& set : sets) {
      if (set.ids.empty()) continue;
      v1::ReleasedSet* w = add.add_sets();
      w->set_family(set.family);
      for (const std::string& id : set.ids) w->add_subject_ids(id);
    }
    v1::AddReleasedCohortsResponse ack;
    grpc::Status s = linker_->AddReleasedCohorts(&ctx, add, &ack);
    if (!s.ok()) {
      response->Clear();
      return absl::Status(FromGrpc(s).code(),
                          Cat("the linker could not record the release: ", s.error_message()));
    }
  }
  {
    // The release's audit entry names the report by the SHA-256 of its canonical JSON (without
    // "audit"); report.json then carries the entry, the signed tree head just after it and the
    // inclusion proof, so anyone with the log's public key can check that the published figures
    // are in the log (pprl audit check-report). No entry, no release.
    nlohmann::json& released = result->report;
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    v1::RecordAuditRequest req;
    req.set_action("report_released");
    req.set_detail_json(
        nlohmann::json({{"analyst", peer.name},
                        {"study", study->name},
                        {"cohort_n", result->cohort_n},
                        {"suppressed", released["suppressed"].size()},
                        {"comparison", released["comparison"].is_null() ? "withheld" : "released"},
                        {"report_sha256", Sha256Hex(released.dump())},
                        {"inputs_digest", cohort_wire.inputs_digest()}})
            .dump());
    v1::RecordAuditResponse entry;
    grpc::Status s = linker_->RecordAudit(&ctx, req, &entry);
    if (!s.ok()) {
      response->Clear();
      return absl::Status(FromGrpc(s).code(),
                          Cat("the linker could not log the release: ", s.error_message()));
    }
    released["audit"] = AuditReference(entry);
    response->set_report_json(released.dump(2));
  }
  LogInfo("report released", {{"analyst", peer.name},
                              {"study", study->name},
                              {"cohort_n", std::to_string(result->cohort_n)}});
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AnalyzerService::Analyze(grpc::CallbackServerContext* context,
                                                   const v1::AnalyzeRequest* request,
                                                   v1::AnalyzeResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Peer peer = PeerOf(*context);
  if (peer.role != Role::kAnalyst) {
    LogError(
        "call denied",
        {{"rpc", "Analyze"}, {"caller", peer.name}, {"role", std::string(RoleName(peer.role))}});
    Audit("denied_call", nlohmann::json({{"rpc", "Analyze"},
                                         {"caller", peer.name},
                                         {"role", std::string(RoleName(peer.role))}})
                             .dump());
    reactor->Finish(ToGrpc(absl::PermissionDeniedError(
        Cat("role ", RoleName(peer.role), " may not run studies: analysts only"))));
    return reactor;
  }
  // The analysis can take a while: off the callback thread.
  std::string study = request->study_toml();
  const uint64_t watch = watchdog_.Watch(context);
  std::thread([this, reactor, peer, study, response, watch] {
    absl::Status s = Run(peer, study, response);
    watchdog_.Forget(watch);
    if (!s.ok())
      LogError("study refused", {{"analyst", peer.name}, {"error", std::string(s.message())}});
    reactor->Finish(ToGrpc(s));
  }).detach();
  return reactor;
}

}  // namespace pprl
