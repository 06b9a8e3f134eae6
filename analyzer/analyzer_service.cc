#include "analyzer/analyzer_service.h"

#include <openssl/rand.h>

#include <map>
#include <set>
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

absl::Status FromWire(const v1::CohortResponse& wire, std::vector<CohortSubjectIn>* out) {
  out->reserve(static_cast<size_t>(wire.subjects_size()));
  for (const v1::CohortSubject& cs : wire.subjects()) {
    absl::StatusOr<CohortSubjectIn> s = FromProto(cs);
    if (!s.ok()) return absl::DataLossError(Cat("the linker sent ", s.status().message()));
    out->push_back(std::move(*s));
  }
  return absl::OkStatus();
}

// Every page of the cohort (`pool` false) or the comparison pool: `first` receives the first
// page (its coverage and inputs digest), `out` every page's subjects. A page of another link
// run than the first's is UNAVAILABLE (the study reads the data again).
absl::Status FetchSubjects(v1::Linker::StubInterface& linker, bool pool, v1::CohortResponse* first,
                           std::vector<CohortSubjectIn>* out) {
  uint64_t start = 0;
  for (bool first_page = true;; first_page = false) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 600);
    v1::CohortResponse page;
    v1::CohortResponse* into = first_page ? first : &page;
    grpc::Status s;
    if (pool) {
      v1::ComparisonPoolRequest request;
      request.set_start(start);
      s = linker.GetComparisonPool(&ctx, request, into);
    } else {
      v1::CohortRequest request;
      request.set_start(start);
      s = linker.GetCohort(&ctx, request, into);
    }
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
    if (into->inputs_digest() != first->inputs_digest()) {
      return absl::UnavailableError("the linker linked again while the study read its data: retry");
    }
    if (first_page) out->reserve(static_cast<size_t>(first->total_subjects()));
    absl::Status decoded = FromWire(*into, out);
    if (!decoded.ok()) return decoded;
    if (first_page) first->mutable_subjects()->Clear();  // decoded: only its header is kept
    if (into->next_start() == 0) break;
    if (into->next_start() <= start)
      return absl::DataLossError("the linker sent a page that does not move forward");
    start = into->next_start();
  }
  return absl::OkStatus();
}

// The released sets the linker keeps, page by page, each put together from its parts, in the
// order they were stored (the restore reads the last release holding a person).
absl::StatusOr<std::vector<SubjectSet>> ReadReleasedSets(v1::Linker::StubInterface& linker) {
  struct Parts {
    uint64_t position;  // of its first part: the set's place in the order
    uint32_t parts = 0;
    std::map<uint32_t, std::string> data;
  };
  std::map<std::string, Parts> by_key;
  uint64_t start = 0, position = 0;
  while (true) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 120);
    v1::GetReleasedCohortsRequest request;
    request.set_start(start);
    v1::ReleasedCohorts page;
    grpc::Status s = linker.GetReleasedCohorts(&ctx, request, &page);
    if (!s.ok()) return absl::Status(FromGrpc(s).code(), Cat("the linker: ", s.error_message()));
    for (v1::ReleasedSetPart& part : *page.mutable_parts()) {
      auto [it, fresh] = by_key.try_emplace(part.set_key(), Parts{position});
      it->second.parts = part.parts();
      it->second.data[part.part()] = std::move(*part.mutable_data());
      ++position;
    }
    if (page.next_start() == 0) break;
    if (page.next_start() <= start)
      return absl::DataLossError("the linker sent a page that does not move forward");
    start = page.next_start();
  }
  std::vector<std::pair<uint64_t, const Parts*>> order;
  for (const auto& [key, parts] : by_key) {
    // A set with a part missing never left: its analyzer stopped between two requests.
    if (parts.parts == 0 || parts.data.size() != parts.parts ||
        parts.data.rbegin()->first != parts.parts - 1)
      continue;
    order.push_back({parts.position, &parts});
  }
  std::sort(order.begin(), order.end());
  std::vector<SubjectSet> released;
  released.reserve(order.size());
  for (const auto& [pos, parts] : order) {
    std::string bytes;
    for (const auto& [k, piece] : parts->data) bytes += piece;
    v1::ReleasedSet set;
    if (!set.ParseFromString(bytes)) return absl::DataLossError("a released set is damaged");
    released.push_back({set.family().empty() ? "cohort" : set.family(),
                        {set.subject_ids().begin(), set.subject_ids().end()},
                        {set.statistics().begin(), set.statistics().end()}});
    for (const v1::EquationRow& row : set.rows()) {
      released.back().rows[row.statistic()].assign(row.weights().begin(), row.weights().end());
    }
  }
  return released;
}

// Stores `sets` at the linker, each in parts of at most `part_bytes`, in requests of about
// that much. OK only when every part was acknowledged.
grpc::Status RecordReleasedSets(v1::Linker::StubInterface& linker,
                                const std::vector<v1::ReleasedSet>& sets, size_t part_bytes) {
  v1::ReleasedCohorts request;
  size_t pending = 0;
  auto send = [&]() {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 120);
    v1::AddReleasedCohortsResponse ack;
    grpc::Status s = linker.AddReleasedCohorts(&ctx, request, &ack);
    request.Clear();
    pending = 0;
    return s;
  };
  for (const v1::ReleasedSet& set : sets) {
    const std::string bytes = set.SerializeAsString();
    uint8_t random[16];
    if (RAND_bytes(random, sizeof random) != 1)
      return grpc::Status(grpc::StatusCode::INTERNAL, "no random bytes for a released set's key");
    const std::string key = ToHex(random);
    const size_t parts = std::max<size_t>(1, (bytes.size() + part_bytes - 1) / part_bytes);
    for (size_t p = 0; p < parts; ++p) {
      v1::ReleasedSetPart* part = request.add_parts();
      part->set_set_key(key);
      part->set_part(static_cast<uint32_t>(p));
      part->set_parts(static_cast<uint32_t>(parts));
      part->set_data(bytes.substr(p * part_bytes, part_bytes));
      pending += part->data().size();
      if (pending >= part_bytes) {
        grpc::Status s = send();
        if (!s.ok()) return s;
      }
    }
  }
  if (request.parts_size() > 0) return send();
  return grpc::Status::OK;
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

// The release entry's list of withheld figures (red team 8, F1): each pointer with the reason the
// report itself gives, nothing else. Which rule withheld a figure and the counts behind it are
// the auditor's (the rule's name alone can tell "few linked" from "few not linked").
nlohmann::json AnalystVisibleWithheld(const nlohmann::json& withheld) {
  nlohmann::json out = nlohmann::json::array();
  for (const nlohmann::json& w : withheld)
    out.push_back({{"pointer", w.value("pointer", "")}, {"reason", w.value("reason", "")}});
  return out;
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
  // Refusals before the data are read are audited like the others.
  auto refuse = [&](const absl::Status& s, const std::string& name) {
    Audit("query_refused",
          nlohmann::json({{"analyst", peer.name},
                          {"study", name.substr(0, static_cast<size_t>(policy_.max_name_length))},
                          {"reason", std::string(s.message())},
                          {"policy", DisclosurePolicyJson(policy_)}})
              .dump());
    return absl::Status(s.code(), Cat("refused: ", s.message()));
  };
  if (static_cast<int64_t>(study_toml.size()) > policy_.max_study_bytes) {
    return refuse(absl::InvalidArgumentError(Cat("the study file is ", study_toml.size(),
                                                 " bytes; at most ", policy_.max_study_bytes)),
                  "");
  }
  absl::StatusOr<Study> study = ParseStudy(study_toml);
  if (!study.ok()) return study.status();
  absl::Status allowed = ApplyDisclosurePolicy(policy_, &*study);
  if (!allowed.ok()) return refuse(allowed, study->name);
  const std::string digest = StudyDigest(*study);
  v1::CohortResponse cohort_wire;
  std::vector<CohortSubjectIn> subjects;
  absl::Status fetched = FetchSubjects(*linker_, /*pool=*/false, &cohort_wire, &subjects);
  if (!fetched.ok()) return fetched;
  absl::StatusOr<PoliceCoverage> coverage = CoverageFromProto(cohort_wire);
  if (!coverage.ok())
    return absl::DataLossError(Cat("the linker sent ", coverage.status().message()));
  std::vector<CohortSubjectIn> pool;
  if (study->comparison.enabled) {
    v1::CohortResponse pool_wire;
    fetched = FetchSubjects(*linker_, /*pool=*/true, &pool_wire, &pool);
    if (!fetched.ok()) return fetched;
    if (pool_wire.inputs_digest() != cohort_wire.inputs_digest()) {
      return absl::UnavailableError("the linker linked again while the study read its data: retry");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<std::vector<SubjectSet>> read = ReadReleasedSets(*linker_);
  if (!read.ok()) return read.status();
  const std::vector<SubjectSet>& released = *read;
  absl::StatusOr<StudyResult> result =
      AnalyzeStudy(*study, subjects, pool, released, inputs_key_, *coverage);
  if (!result.ok()) {
    // The analyst reads the refusal without its details; the auditor reads them.
    const bool data_dependent = RefusalDependsOnData(result.status());
    Audit("query_refused", nlohmann::json({{"analyst", peer.name},
                                           {"study", study->name},
                                           {"study_digest", digest},
                                           {"reason", RefusalDetail(result.status())},
                                           {"recorded_as_released", data_dependent},
                                           {"policy", DisclosurePolicyJson(policy_)}})
                               .dump());
    if (data_dependent) {
      // A refusal that depends on police data (the budget, a model set, changed inputs) is
      // recorded as if its cohort had been released: a neighbouring probe (1 to min_cell - 1
      // cases away) is then refused by the cohort differencing, which the case file alone
      // decides, so the decision cannot be stepped through case by case as an oracle.
      SubjectSet cohort =
          ReleasedSets(BuildCohort(subjects, StudyWithinCoverage(*study, *coverage)))[0];
      bool known = false;
      for (const SubjectSet& set : released)
        known = known || (set.family == cohort.family && set.ids == cohort.ids);
      if (!known && !cohort.ids.empty()) {
        v1::ReleasedSet w;
        w.set_family(cohort.family);
        for (const std::string& id : cohort.ids) w.add_subject_ids(id);
        grpc::Status s = RecordReleasedSets(*linker_, {w}, released_part_bytes_);
        if (!s.ok()) LogError("cannot record the refused cohort", {{"error", s.error_message()}});
      }
    }
    return absl::Status(result.status().code(), result.status().message());
  }
  const nlohmann::json* report = &result->report;
  const std::vector<SubjectSet>& sets = result->released_sets;
  response->set_report_json(report->dump(2));
  // The renderers read the JSON (nlohmann throws on a shape they do not expect): a rendering
  // fault refuses this study, it must not take the daemon down.
  try {
    response->set_report_html(RenderReportHtml(*report));
    response->set_report_text(RenderReportText(*report));
  } catch (const std::exception& e) {
    response->Clear();
    LogError("cannot render the report", {{"study", study->name}, {"error", e.what()}});
    return absl::InternalError(Cat("the report could not be rendered: ", e.what()));
  }
  {
    // Remember the released sets before the report leaves: if this fails, nothing is released.
    // Only what the record lacks (NotYetRecorded: the record grows by what is new).
    std::vector<v1::ReleasedSet> add;
    for (const SubjectSet& set : NotYetRecorded(*study, sets, released)) {
      v1::ReleasedSet& w = add.emplace_back();
      w.set_family(set.family);
      for (const std::string& id : set.ids) w.add_subject_ids(id);
      for (const std::string& key : set.statistics) {
        w.add_statistics(key);
        if (auto row = set.rows.find(key); row != set.rows.end()) {
          v1::EquationRow* r = w.add_rows();
          r->set_statistic(key);
          r->mutable_weights()->Assign(row->second.begin(), row->second.end());
        }
      }
    }
    grpc::Status s = RecordReleasedSets(*linker_, add, released_part_bytes_);
    if (!s.ok()) {
      response->Clear();
      return absl::Status(FromGrpc(s).code(),
                          Cat("the linker could not record the release: ", s.error_message()));
    }
  }
  {
    // Two entries (red team 8, F1). report.json carries the release's entry, so that entry is
    // released to the analyst and to whoever reads a published report: it holds only what the
    // analyst may read (the study, the policy, each withheld figure with the reason the report
    // gives, the report's digest). The details behind the data-dependent decisions (the rules
    // that withheld each figure with their counts, the cohort's size, the inputs' digest) go
    // into an auditor-only `release_details` entry written just before it, which the release
    // entry names by its place in the log. Both carry a random nonce (linker/audit_log.h), so
    // the details entry's leaf hash, a sibling in the release's inclusion proof, gives nothing
    // away.
    //
    // The release's entry names the report by the SHA-256 of its canonical JSON (without
    // "audit"); report.json then carries the entry, the signed tree head just after it and the
    // inclusion proof, so anyone with the log's public key can check that the published figures
    // are in the log (pprl audit check-report). No entry, no release.
    nlohmann::json& out = result->report;
    const std::string report_sha256 = Sha256Hex(out.dump());
    auto record = [&](const std::string& action, const nlohmann::json& detail,
                      v1::RecordAuditResponse* entry) {
      grpc::ClientContext ctx;
      SetDeadline(&ctx, 60);
      v1::RecordAuditRequest req;
      req.set_action(action);
      req.set_detail_json(detail.dump());
      return linker_->RecordAudit(&ctx, req, entry);
    };
    v1::RecordAuditResponse details;
    grpc::Status s = record("release_details",
                            {{"analyst", peer.name},
                             {"study", study->name},
                             {"study_digest", digest},
                             {"report_sha256", report_sha256},
                             // Every withheld figure with its reason and the rules (with, for
                             // the data-dependent ones, the counts behind them): the auditor's.
                             {"withheld", result->withheld},
                             {"cohort_n", result->cohort_n},
                             {"police_inputs_restored", result->police_inputs_restored},
                             {"inputs_digest", cohort_wire.inputs_digest()}},
                            &details);
    v1::RecordAuditResponse entry;
    if (s.ok()) {
      s = record("report_released",
                 {{"analyst", peer.name},
                  {"withheld", AnalystVisibleWithheld(result->withheld)},
                  {"details_entry", details.sequence()},
                  {"study", study->name},
                  {"study_digest", digest},
                  {"policy", DisclosurePolicyJson(policy_)},
                  {"study_thresholds",
                   {{"min_cell", study->min_cell},
                    {"min_residual_df", study->min_residual_df},
                    {"max_leverage", study->max_leverage}}},
                  {"suppressed", out["suppressed"].size()},
                  {"comparison", out["comparison"].is_null() ? "withheld" : "released"},
                  {"report_sha256", report_sha256}},
                 &entry);
    }
    if (!s.ok()) {
      response->Clear();
      return absl::Status(FromGrpc(s).code(),
                          Cat("the linker could not log the release: ", s.error_message()));
    }
    out["audit"] = AuditReference(entry);
    response->set_report_json(out.dump(2));
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
  // Per analyst certificate: so many studies at once and a minute.
  absl::StatusOr<std::unique_ptr<CallAdmission::Ticket>> admitted =
      admission_.Admit(Cat(RoleName(peer.role), ":", peer.name));
  if (!admitted.ok()) {
    Audit("call_limited", nlohmann::json({{"rpc", "Analyze"},
                                          {"caller", peer.name},
                                          {"reason", std::string(admitted.status().message())}})
                              .dump());
    reactor->Finish(ToGrpc(admitted.status()));
    return reactor;
  }
  std::shared_ptr<CallAdmission::Ticket> ticket = std::move(*admitted);
  // The analysis can take a while: off the callback thread.
  std::string study = request->study_toml();
  const uint64_t watch = watchdog_.Watch(context);
  std::thread([this, reactor, peer, study, response, watch, ticket] {
    absl::Status s = Run(peer, study, response);
    watchdog_.Forget(watch);
    if (!s.ok())
      LogError("study refused", {{"analyst", peer.name}, {"error", std::string(s.message())}});
    reactor->Finish(ToGrpc(s));
  }).detach();
  return reactor;
}

}  // namespace pprl
