#include "analyzer/analyzer_service.h"

#include <thread>

#include "analyzer/report_render.h"
#include "core/cohort_variables.h"
#include "core/hmac_key.h"
#include "core/study.h"
#include "core/study_report.h"
#include "core/text.h"
#include "proto/extract_codec.h"

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
  subjects.reserve(static_cast<size_t>(cohort_wire.subjects_size()));
  for (const v1::CohortSubject& cs : cohort_wire.subjects()) {
    CohortSubjectIn s;
    s.subject_id = cs.subject_id();
    for (const v1::CohortCase& c : cs.cases()) {
      CohortCaseIn in;
      in.first_discussed_day = c.event_day();
      absl::StatusOr<CaseAttributes> attributes = FromProto(c.attributes());
      if (!attributes.ok()) {
        return absl::DataLossError(Cat("the linker sent a malformed case: ", attributes.status().message()));
      }
      in.attributes = std::move(*attributes);
      s.cases.push_back(std::move(in));
    }
    for (const v1::CohortEvent& e : cs.incidents())
      s.incidents.push_back({e.event_day(), e.category(), e.role()});
    for (const v1::CohortEvent& e : cs.convictions())
      s.convictions.push_back({e.event_day(), "", ""});
    subjects.push_back(std::move(s));
  }
  std::vector<SubjectVariables> cohort = BuildCohort(subjects, *study);
  std::vector<std::vector<std::string>> sets = ReleasedSets(cohort);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::vector<std::string>> released;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    v1::ReleasedCohorts wire;
    grpc::Status s = linker_->GetReleasedCohorts(&ctx, v1::GetReleasedCohortsRequest(), &wire);
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
    for (const v1::ReleasedSet& set : wire.sets())
      released.emplace_back(set.subject_ids().begin(), set.subject_ids().end());
  }
  {
    for (const std::vector<std::string>& set : sets) {
      absl::Status d = CheckDifferencing(set, released, study->min_cell);
      if (!d.ok()) {
        Audit("query_refused", nlohmann::json({{"analyst", peer.name},
                                               {"study", study->name},
                                               {"reason", std::string(d.message())}})
                                   .dump());
        return d;
      }
    }
  }
  absl::StatusOr<nlohmann::json> report = BuildStudyReport(*study, cohort, LinkageJson(linkage));
  if (!report.ok()) {
    Audit("query_refused", nlohmann::json({{"analyst", peer.name},
                                           {"study", study->name},
                                           {"reason", std::string(report.status().message())}})
                               .dump());
    return report.status();
  }
  response->set_report_json(report->dump(2));
  response->set_report_html(RenderReportHtml(*report));
  response->set_report_text(RenderReportText(*report));
  {
    // Remember the released sets before the report leaves: if this fails, nothing is released.
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    v1::ReleasedCohorts add;
    for (const std::vector<std::string>& set : sets) {
      if (set.empty()) continue;
      v1::ReleasedSet* w = add.add_sets();
      for (const std::string& id : set) w->add_subject_ids(id);
    }
    v1::AddReleasedCohortsResponse ack;
    grpc::Status s = linker_->AddReleasedCohorts(&ctx, add, &ack);
    if (!s.ok()) {
      response->Clear();
      return absl::Status(FromGrpc(s).code(),
                          Cat("the linker could not record the release: ", s.error_message()));
    }
  }
  Audit("report_released", nlohmann::json({{"analyst", peer.name},
                                           {"study", study->name},
                                           {"cohort_n", cohort.size()},
                                           {"suppressed", (*report)["suppressed"].size()},
                                           {"report_sha256", Sha256Hex(response->report_json())},
                                           {"inputs_digest", cohort_wire.inputs_digest()}})
                               .dump());
  LogInfo("report released", {{"analyst", peer.name},
                              {"study", study->name},
                              {"cohort_n", std::to_string(cohort.size())}});
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
  std::thread([this, reactor, peer, study, response] {
    absl::Status s = Run(peer, study, response);
    if (!s.ok())
      LogError("study refused", {{"analyst", peer.name}, {"error", std::string(s.message())}});
    reactor->Finish(ToGrpc(s));
  }).detach();
  return reactor;
}

}  // namespace pprl
