#include "linker/linker_service.h"

#include <climits>
#include <set>

#include "core/text.h"
#include "proto/cohort_codec.h"
#include "proto/extract_codec.h"

namespace pprl {
namespace {

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Finishes a unary call with the result of `body` (an adapter returning absl::Status).
template <typename Body>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = body();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

class UploadReactor : public grpc::ServerReadReactor<v1::UploadRequest> {
 public:
  UploadReactor(LinkerService* service, grpc::CallbackServerContext* context,
                v1::UploadReceipt* receipt)
      : service_(service), receipt_(receipt), peer_(PeerOf(*context)) {
    absl::Status allowed = service_->Authorize(peer_, "Upload", {Role::kAgent});
    if (!allowed.ok()) {
      Finish(ToGrpc(allowed));
      return;
    }
    grant_ = service_->GrantOf(peer_.name);
    if (grant_ == nullptr) {
      Finish(ToGrpc(Audited(absl::PermissionDeniedError(
          Cat("agent ", peer_.name, " is not in the linker's allowlist of agents")))));
      return;
    }
    absl::StatusOr<std::unique_ptr<StreamLimits::Slot>> slot =
        service_->stream_limits().Enter(Cat(RoleName(peer_.role), ":", peer_.name), context);
    if (!slot.ok()) {
      LogError("upload refused",
               {{"site", peer_.name}, {"error", std::string(slot.status().message())}});
      Finish(ToGrpc(slot.status()));
      return;
    }
    slot_ = std::move(*slot);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the agent has sent everything
      Finish(ToGrpc(Complete()));
      return;
    }
    absl::Status s = Take();
    if (!s.ok()) {
      Fail(s);
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

  void OnCancel() override {
    LogError("upload cancelled", {{"site", peer_.name}, {"records", std::to_string(received_)}});
  }

 private:
  absl::Status Take() {
    if (request_.has_header()) {
      if (writer_) return absl::InvalidArgumentError("a second upload header");
      absl::Status writable = service_->core().AuditWritable();
      if (!writable.ok()) return writable;
      const v1::UploadHeader& h = request_.header();
      absl::StatusOr<ExportKind> kind = FromProto(h.kind());
      if (!kind.ok()) return kind.status();
      if (h.client_extract_id().empty() || h.client_extract_id().size() > 128) {
        return absl::InvalidArgumentError("the client extract id must have 1 to 128 characters");
      }
      // Both come back on the auditor's terminal (pprl extracts list): an escape sequence in
      // them would rewrite it.
      if (HasControlCharacter(h.client_extract_id()) || HasControlCharacter(h.officer())) {
        return absl::InvalidArgumentError(
            "the client extract id or the officer's name holds a control character");
      }
      info_.client_extract_id = h.client_extract_id();
      if (h.site().empty()) {
        return absl::PermissionDeniedError(
            Cat("the upload names no site; agent ", peer_.name, " uploads for site ", grant_->site,
                " (an extract file needs pprl pseudonymise --site ", grant_->site, ")"));
      }
      if (h.site() != grant_->site) {
        return absl::PermissionDeniedError(Cat("agent ", peer_.name, " uploads for site ",
                                               grant_->site, ", not for '", h.site(), "'"));
      }
      if (!grant_->kinds.contains(*kind)) {
        return absl::PermissionDeniedError(
            Cat("agent ", peer_.name, " may not upload ", ExportKindName(*kind), " extracts"));
      }
      if (h.officer().size() > 256)
        return absl::InvalidArgumentError("the officer's name has more than 256 characters");
      officer_ = h.officer();
      info_.site = grant_->site;
      info_.client_extract_id = h.client_extract_id();
      info_.kind = *kind;
      info_.key_id = h.key_id();
      info_.record_count = h.record_count();
      info_.content_digest = h.content_digest();
      absl::StatusOr<std::unique_ptr<ExtractWriter>> w =
          service_->core().store().BeginExtract(info_);
      if (!w.ok()) return w.status();
      writer_ = std::move(*w);
      return absl::OkStatus();
    }
    if (!writer_) return absl::InvalidArgumentError("records before the upload header");
    if (writer_->already_committed()) return absl::OkStatus();
    chunk_.clear();
    for (const v1::PseudonymisedRecord& r : request_.chunk().records()) {
      absl::StatusOr<PseudonymousRecord> rec = FromProto(info_.kind, r);
      if (!rec.ok())
        return absl::InvalidArgumentError(
            Cat("record ", received_ + chunk_.size() + 1, ": ", rec.status().message()));
      chunk_.push_back(std::move(*rec));
    }
    received_ += chunk_.size();
    return writer_->Add(chunk_);
  }

  absl::Status Complete() {
    if (!writer_) return Audited(absl::InvalidArgumentError("an upload without a header"));
    absl::StatusOr<CommitOutcome> outcome = writer_->Commit();
    writer_.reset();
    if (!outcome.ok()) return Audited(outcome.status());
    ToProto(outcome->info, receipt_->mutable_extract());
    receipt_->set_created(outcome->created);
    absl::StatusOr<uint64_t> seq =
        service_->core().Audit(peer_.name, std::string(RoleName(peer_.role)), "submission",
                               outcome->created ? "committed" : "already committed",
                               {{"extract_id", outcome->info.extract_id},
                                {"client_extract_id", outcome->info.client_extract_id},
                                {"kind", std::string(ExportKindName(outcome->info.kind))},
                                {"records", outcome->info.record_count},
                                {"content_digest", outcome->info.content_digest},
                                {"site", outcome->info.site},
                                {"officer", officer_}});
    if (!seq.ok()) return seq.status();
    receipt_->set_audit_sequence(*seq);
    LogInfo("extract committed", {{"extract_id", outcome->info.extract_id},
                                  {"site", peer_.name},
                                  {"records", std::to_string(outcome->info.record_count)},
                                  {"created", outcome->created ? "true" : "false"}});
    return absl::OkStatus();
  }

  absl::Status Audited(const absl::Status& error) {
    (void)service_->core().Audit(peer_.name, std::string(RoleName(peer_.role)), "submission",
                                 "refused",
                                 {{"client_extract_id", info_.client_extract_id},
                                  {"officer", officer_},
                                  {"reason", std::string(error.message())}});
    LogError("upload refused", {{"site", peer_.name}, {"error", std::string(error.message())}});
    return error;
  }

  void Fail(const absl::Status& s) {
    writer_.reset();  // discards what was staged
    Finish(ToGrpc(Audited(s)));
  }

  LinkerService* service_;
  v1::UploadReceipt* receipt_;
  Peer peer_;
  v1::UploadRequest request_;
  ExtractInfo info_;
  std::unique_ptr<ExtractWriter> writer_;
  std::vector<PseudonymousRecord> chunk_;
  uint64_t received_ = 0;
  std::unique_ptr<StreamLimits::Slot> slot_;
  const AgentGrant* grant_ = nullptr;
  std::string officer_;
};

v1::RecordKind KindToProto(ExportKind kind) { return ToProto(kind); }

}  // namespace

void ToProto(const ExtractInfo& info, v1::ExtractSummary* out) {
  out->set_extract_id(info.extract_id);
  out->set_site(info.site);
  out->set_client_extract_id(info.client_extract_id);
  out->set_kind(KindToProto(info.kind));
  out->set_key_id(info.key_id);
  out->set_content_digest(info.content_digest);
  out->set_record_count(info.record_count);
  out->set_committed_unix_ms(info.committed_unix_ms);
  out->set_withdrawn(info.withdrawn);
}

void ToProto(const LinkageReportData& r, v1::LinkageReport* out) {
  out->set_cases(r.cases);
  out->set_incident_records(r.incident_records);
  out->set_conviction_records(r.conviction_records);
  out->set_subjects(r.subjects);
  out->set_cases_linked_incidents(r.cases_linked_incidents);
  out->set_cases_linked_convictions(r.cases_linked_convictions);
  out->set_ambiguous_keys(r.ambiguous_keys);
  out->set_unlinked_cases(r.unlinked_cases);
  for (KeyLevel level : kAllKeyLevels) {
    v1::LevelCount* c = out->add_by_level();
    c->set_level(std::string(KeyLevelName(level)));
    c->set_links(r.links_by_level[static_cast<int>(level)]);
  }
  {
    v1::LevelCount* c = out->add_by_level();
    c->set_level("probabilistic");
    c->set_links(r.probabilistic_links);
  }
  out->set_inputs_digest(r.inputs_digest);
  out->set_linked_unix_ms(r.linked_unix_ms);
  out->set_probabilistic_links(r.probabilistic_links);
  out->set_possible_links(r.possible_links);
  out->set_candidate_pairs(r.candidate_pairs);
  out->set_twin_vetoes(r.twin_vetoes);
  out->set_uncorroborated(r.uncorroborated);
  out->set_repeated_records(r.repeated_records);
  out->set_case_groups_kept_apart(r.case_groups_kept_apart);
  out->set_em_estimated(r.em_estimated);
  out->set_subjects_kept_id(r.subjects_kept_id);
  for (int l = 0; l <= kProbabilisticLevel; ++l) {
    std::string name = l == 0 ? "unlinked" : std::string(LinkLevelName(static_cast<uint8_t>(l)));
    v1::LevelCount* c = out->add_case_links_by_level();
    c->set_level(name);
    c->set_links(r.case_links_by_level[l]);
    if (l > 0) {
      v1::LevelCount* p = out->add_police_joins_by_level();
      p->set_level(name);
      p->set_links(r.police_joins_by_level[l]);
    }
  }
  for (const LinkageReportData::EncodingAudit& a : r.encoding_audit) {
    v1::EncodingAudit* e = out->add_encoding_audit();
    e->set_encoding(a.encoding);
    e->set_records(a.records);
    e->set_distinct(a.distinct);
    e->set_largest_share(a.largest_share);
    e->set_entropy_bits(a.entropy_bits);
  }
}

absl::Status LinkerService::Authorize(const Peer& peer, std::string_view rpc,
                                      std::initializer_list<Role> allowed) {
  for (Role r : allowed) {
    if (peer.role == r) return absl::OkStatus();
  }
  std::string role(RoleName(peer.role));
  (void)core_->Audit(peer.name.empty() ? "(unauthenticated)" : peer.name, role, "denied_call",
                     "refused", {{"rpc", std::string(rpc)}});
  LogError("call denied", {{"rpc", std::string(rpc)}, {"caller", peer.name}, {"role", role}});
  return absl::PermissionDeniedError(Cat("role ", role, " may not call ", rpc));
}

absl::Status LinkerService::AgentNotAllowed(const Peer& peer, std::string_view rpc) {
  (void)core_->Audit(peer.name, std::string(RoleName(peer.role)), "denied_call", "refused",
                     {{"rpc", std::string(rpc)}, {"reason", "not in the allowlist of agents"}});
  LogError("call denied", {{"rpc", std::string(rpc)}, {"caller", peer.name}, {"role", "agent"}});
  return absl::PermissionDeniedError(
      Cat("agent ", peer.name, " is not in the linker's allowlist of agents"));
}

grpc::ServerReadReactor<v1::UploadRequest>* LinkerService::Upload(
    grpc::CallbackServerContext* context, v1::UploadReceipt* receipt) {
  return new UploadReactor(this, context, receipt);
}

grpc::ServerUnaryReactor* LinkerService::ListExtracts(grpc::CallbackServerContext* context,
                                                      const v1::ListExtractsRequest*,
                                                      v1::ListExtractsResponse* response) {
  return Unary(context, [&]() -> absl::Status {
    Peer peer = PeerOf(*context);
    absl::Status allowed = Authorize(peer, "ListExtracts", {Role::kAgent, Role::kAuditor});
    if (!allowed.ok()) return allowed;
    // An agent sees its grant's site only: the site in the allowlist, not its certificate's CN
    // (an agent outside the allowlist has no site here).
    const AgentGrant* grant = nullptr;
    if (peer.role == Role::kAgent) {
      grant = GrantOf(peer.name);
      if (grant == nullptr) return AgentNotAllowed(peer, "ListExtracts");
    }
    absl::StatusOr<std::vector<ExtractInfo>> list = core_->store().ListExtracts();
    if (!list.ok()) return list.status();
    for (const ExtractInfo& e : *list) {
      if (grant != nullptr && e.site != grant->site) continue;  // own site only
      ToProto(e, response->add_extracts());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::WithdrawExtract(grpc::CallbackServerContext* context,
                                                         const v1::WithdrawExtractRequest* request,
                                                         v1::ExtractSummary* response) {
  return Unary(context, [&]() -> absl::Status {
    Peer peer = PeerOf(*context);
    absl::Status allowed = Authorize(peer, "WithdrawExtract", {Role::kAgent});
    if (!allowed.ok()) return allowed;
    // Bound as uploads are: by the allowlist's site for this agent, never by a CN that merely
    // equals a site's name (red-team 5, C2).
    const AgentGrant* grant = GrantOf(peer.name);
    if (grant == nullptr) return AgentNotAllowed(peer, "WithdrawExtract");
    absl::Status writable = core_->AuditWritable();
    if (!writable.ok()) return writable;
    absl::StatusOr<std::vector<ExtractInfo>> list = core_->store().ListExtracts();
    if (!list.ok()) return list.status();
    auto it = std::find_if(list->begin(), list->end(), [&](const ExtractInfo& e) {
      return e.extract_id == request->extract_id() && e.site == grant->site;
    });
    if (it == list->end()) {
      return absl::NotFoundError(
          Cat("site ", grant->site, " has no extract ", request->extract_id()));
    }
    absl::StatusOr<ExtractInfo> w = core_->store().WithdrawExtract(request->extract_id());
    if (!w.ok()) return w.status();
    absl::StatusOr<uint64_t> seq = core_->Audit(peer.name, "agent", "withdrawal", "withdrawn",
                                                {{"extract_id", w->extract_id},
                                                 {"site", grant->site},
                                                 {"records", w->record_count},
                                                 {"content_digest", w->content_digest}});
    if (!seq.ok()) return seq.status();
    ToProto(*w, response);
    LogInfo("extract withdrawn", {{"extract_id", w->extract_id}, {"site", peer.name}});
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::RunLinkage(grpc::CallbackServerContext* context,
                                                    const v1::RunLinkageRequest*,
                                                    v1::LinkageReport* response) {
  return Unary(context, [&]() -> absl::Status {
    Peer peer = PeerOf(*context);
    absl::Status allowed = Authorize(peer, "RunLinkage", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::Status writable = core_->AuditWritable();
    if (!writable.ok()) return writable;
    absl::StatusOr<LinkageReportData> report = core_->RunLinkage();
    if (!report.ok()) return report.status();
    absl::StatusOr<uint64_t> seq =
        core_->Audit(peer.name, "auditor", "link_run", "done", report->ToJson());
    if (!seq.ok()) return seq.status();
    ToProto(*report, response);
    LogInfo("link run", {{"subjects", std::to_string(report->subjects)},
                         {"cases", std::to_string(report->cases)},
                         {"ambiguous_keys", std::to_string(report->ambiguous_keys)}});
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::GetLinkageReport(grpc::CallbackServerContext* context,
                                                          const v1::GetLinkageReportRequest*,
                                                          v1::LinkageReport* response) {
  return Unary(context, [&]() -> absl::Status {
    Peer peer = PeerOf(*context);
    absl::Status allowed = Authorize(peer, "GetLinkageReport", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::StatusOr<LinkageReportData> report = core_->LastReport();
    if (!report.ok()) return report.status();
    ToProto(*report, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::GetLinks(grpc::CallbackServerContext* context,
                                                  const v1::LinksRequest*,
                                                  v1::LinksResponse* response) {
  return Unary(context, [&]() -> absl::Status {
    Peer peer = PeerOf(*context);
    absl::Status allowed = Authorize(peer, "GetLinks", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::Status writable = core_->AuditWritable();
    if (!writable.ok()) return writable;
    absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> snap = core_->Snapshot();
    if (!snap.ok()) return snap.status();
    // Every record of every subject that holds at least one case.
    std::vector<uint8_t> has_case((*snap)->subject_ids.size(), 0);
    for (const LinkedRecord& r : (*snap)->records) {
      if (r.source == ExportKind::kCases) has_case[r.subject] = 1;
    }
    std::vector<const LinkedRecord*> rows;
    for (const LinkedRecord& r : (*snap)->records) {
      if (has_case[r.subject]) rows.push_back(&r);
    }
    std::sort(rows.begin(), rows.end(), [&](const LinkedRecord* a, const LinkedRecord* b) {
      const std::string& sa = (*snap)->subject_ids[a->subject];
      const std::string& sb = (*snap)->subject_ids[b->subject];
      return std::tie(sa, a->source, a->record_id) < std::tie(sb, b->source, b->record_id);
    });
    for (const LinkedRecord* r : rows) {
      v1::LinkRow* row = response->add_rows();
      row->set_subject_id((*snap)->subject_ids[r->subject]);
      row->set_source(KindToProto(r->source));
      row->set_record_id(r->record_id);
      row->set_level(std::string(LinkLevelName(r->level)));
      if (r->evidence >= 0 && r->evidence < static_cast<int32_t>((*snap)->evidence.size())) {
        const LinkEvidence& e = (*snap)->evidence[r->evidence];
        row->set_weight(e.weight);
        row->set_evidence(FormatEvidence(e));
      }
    }
    absl::StatusOr<uint64_t> seq =
        core_->Audit(peer.name, "auditor", "links_released", "released",
                     {{"rows", rows.size()}, {"inputs_digest", (*snap)->report.inputs_digest}});
    return seq.status();
  });
}

grpc::ServerUnaryReactor* LinkerService::GetCohort(grpc::CallbackServerContext* context,
                                                   const v1::CohortRequest* request,
                                                   v1::CohortResponse* response) {
  return Subjects(context, /*pool=*/false, request->start(), response);
}

grpc::ServerUnaryReactor* LinkerService::GetComparisonPool(grpc::CallbackServerContext* context,
                                                           const v1::ComparisonPoolRequest* request,
                                                           v1::CohortResponse* response) {
  return Subjects(context, /*pool=*/true, request->start(), response);
}

std::shared_ptr<const SubjectOrder> LinkerService::OrderOf(
    const std::shared_ptr<const LinkageSnapshot>& snapshot, bool pool) {
  std::lock_guard<std::mutex> lock(order_mu_);
  if (order_of_.lock() != snapshot) {
    order_of_ = snapshot;
    orders_[0].reset();
    orders_[1].reset();
  }
  std::shared_ptr<const SubjectOrder>& order = orders_[pool ? 1 : 0];
  if (!order) order = std::make_shared<const SubjectOrder>(OrderSubjects(*snapshot, pool));
  return order;
}

grpc::ServerUnaryReactor* LinkerService::Subjects(grpc::CallbackServerContext* context, bool pool,
                                                  uint64_t start, v1::CohortResponse* response) {
  return Unary(context, [this, context, pool, start, response]() -> absl::Status {
    Peer peer = PeerOf(*context);
    const char* rpc = pool ? "GetComparisonPool" : "GetCohort";
    absl::Status allowed = Authorize(peer, rpc, {Role::kAnalyzer});
    if (!allowed.ok()) return allowed;
    absl::Status writable = core_->AuditWritable();
    if (!writable.ok()) return writable;
    absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> snap = core_->Snapshot();
    if (!snap.ok()) return snap.status();
    const LinkageSnapshot& s = **snap;
    // The subjects in pages of about subject_page_bytes_ (at least one subject a page), in the
    // order of this snapshot; the analyzer checks that every page carries the same inputs
    // digest, so pages of two link runs are never mixed.
    std::shared_ptr<const SubjectOrder> order = OrderOf(*snap, pool);
    const size_t total = order->subjects.size();
    if (start > total) {
      return absl::OutOfRangeError(Cat("no subject at position ", start, " (", total, " in all)"));
    }
    size_t k = static_cast<size_t>(start);
    size_t bytes = 0;
    while (k < total && (k == start || bytes < subject_page_bytes_)) {
      v1::CohortSubject* out = response->add_subjects();
      ToProto(SubjectAt(s, *order, k), out);
      bytes += out->ByteSizeLong() + 8;
      ++k;
    }
    response->set_next_start(k < total ? k : 0);
    response->set_total_subjects(total);
    response->set_inputs_digest(s.report.inputs_digest);
    // The police data's coverage, over every stored record (not only the cohort's): the
    // analyzer leaves out cases whose windows run past it. A scan of every record: sent with
    // the first page only, which is where the analyzer reads it.
    if (!pool && start == 0) SetPoliceCoverage(s, response);
    absl::StatusOr<uint64_t> seq = core_->Audit(
        peer.name, "analyzer", pool ? "comparison_pool_request" : "cohort_request", "released",
        {{"subjects", response->subjects_size()},
         {"from", start},
         {"total_subjects", total},
         {"inputs_digest", s.report.inputs_digest}});
    return seq.status();
  });
}

void SetPoliceCoverage(const LinkageSnapshot& snapshot, v1::CohortResponse* out) {
  // Per kind the months holding a record (a gap between extracts shows as months without
  // any); records mostly come in date order, so the last month seen skips most set inserts.
  std::set<int32_t> months[2];
  int32_t last_month[2] = {INT32_MIN, INT32_MIN};
  for (const LinkedRecord& r : snapshot.records) {
    if (r.source == ExportKind::kCases) continue;
    const bool incidents = r.source == ExportKind::kIncidents;
    const bool first =
        incidents ? !out->has_incidents_coverage() : !out->has_convictions_coverage();
    v1::PoliceCoverage* c =
        incidents ? out->mutable_incidents_coverage() : out->mutable_convictions_coverage();
    if (first || r.event_day < c->first_day()) c->set_first_day(r.event_day);
    if (first || r.event_day > c->last_day()) c->set_last_day(r.event_day);
    const int32_t month = MonthIndexOfDay(r.event_day);
    if (month != last_month[incidents]) months[incidents].insert(month);
    last_month[incidents] = month;
  }
  for (bool incidents : {true, false}) {
    if (!(incidents ? out->has_incidents_coverage() : out->has_convictions_coverage())) continue;
    v1::PoliceCoverage* c =
        incidents ? out->mutable_incidents_coverage() : out->mutable_convictions_coverage();
    for (int32_t m : months[incidents]) c->add_months_with_records(m);
  }
}

void ToProto(const TreeHead& head, v1::SignedTreeHead* out) {
  out->set_tree_size(head.tree_size);
  out->set_root_hash(head.root_hash);
  out->set_timestamp_ms(head.timestamp_ms);
  out->set_key_id(head.key_id);
  out->set_signature(head.signature);
}

grpc::ServerUnaryReactor* LinkerService::GetAuditTreeHead(grpc::CallbackServerContext* context,
                                                          const v1::AuditTreeHeadRequest*,
                                                          v1::AuditTreeHeadResponse* response) {
  return Unary(context, [&]() -> absl::Status {
    absl::Status allowed = Authorize(PeerOf(*context), "GetAuditTreeHead", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::StatusOr<AuditLog*> log = core_->audit_log();
    if (!log.ok()) return log.status();
    std::optional<TreeHead> head = (*log)->head();
    if (head) ToProto(*head, response->mutable_head());
    response->set_stored_entries((*log)->stored_entries());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::GetAuditEntries(grpc::CallbackServerContext* context,
                                                         const v1::AuditEntriesRequest* request,
                                                         v1::AuditEntriesResponse* response) {
  return Unary(context, [&]() -> absl::Status {
    absl::Status allowed = Authorize(PeerOf(*context), "GetAuditEntries", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::StatusOr<AuditLog*> log = core_->audit_log();
    if (!log.ok()) return log.status();
    absl::StatusOr<std::vector<AuditLogEntry>> page =
        (*log)->Page(request->start(), request->limit());
    if (!page.ok()) return page.status();
    for (const AuditLogEntry& e : *page) {
      v1::AuditEntry* out = response->add_entries();
      out->set_sequence(e.sequence);
      out->set_body(e.body);
    }
    response->set_next_start(page->empty() ? 0 : page->back().sequence + 1);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::GetAuditInclusionProof(
    grpc::CallbackServerContext* context, const v1::AuditInclusionProofRequest* request,
    v1::AuditProof* response) {
  return Unary(context, [&]() -> absl::Status {
    absl::Status allowed = Authorize(PeerOf(*context), "GetAuditInclusionProof", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::StatusOr<AuditLog*> log = core_->audit_log();
    if (!log.ok()) return log.status();
    absl::StatusOr<std::vector<std::string>> proof =
        (*log)->InclusionProof(request->leaf_index(), request->tree_size());
    if (!proof.ok()) return proof.status();
    for (const std::string& h : *proof) response->add_hashes(HashHex(h));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::GetAuditConsistencyProof(
    grpc::CallbackServerContext* context, const v1::AuditConsistencyProofRequest* request,
    v1::AuditProof* response) {
  return Unary(context, [&]() -> absl::Status {
    absl::Status allowed =
        Authorize(PeerOf(*context), "GetAuditConsistencyProof", {Role::kAuditor});
    if (!allowed.ok()) return allowed;
    absl::StatusOr<AuditLog*> log = core_->audit_log();
    if (!log.ok()) return log.status();
    absl::StatusOr<std::vector<std::string>> proof =
        (*log)->ConsistencyProof(request->first(), request->second());
    if (!proof.ok()) return proof.status();
    for (const std::string& h : *proof) response->add_hashes(HashHex(h));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::RecordAudit(grpc::CallbackServerContext* context,
                                                     const v1::RecordAuditRequest* request,
                                                     v1::RecordAuditResponse* response) {
  return Unary(context, [&]() -> absl::Status {
    Peer peer = PeerOf(*context);
    absl::Status allowed = Authorize(peer, "RecordAudit", {Role::kAnalyzer});
    if (!allowed.ok()) return allowed;
    nlohmann::json detail = nlohmann::json::parse(request->detail_json(), nullptr, false);
    if (detail.is_discarded() || !detail.is_object()) {
      return absl::InvalidArgumentError("detail_json is not a JSON object");
    }
    if (request->action().empty() || request->action().size() > 64) {
      return absl::InvalidArgumentError("action must have 1 to 64 characters");
    }
    // An entry every auditor can page through: no entry may fill a page on its own.
    if (request->detail_json().size() > kMaxAuditDetailBytes) {
      return absl::InvalidArgumentError(Cat("detail_json has ", request->detail_json().size(),
                                            " bytes; an audit entry's detail may have at most ",
                                            kMaxAuditDetailBytes));
    }
    absl::StatusOr<AuditAppended> appended =
        core_->AuditAppend(peer.name, "analyzer", request->action(), "recorded", detail);
    if (!appended.ok()) return appended.status();
    response->set_sequence(appended->sequence);
    ToProto(appended->head, response->mutable_tree_head());
    for (const std::string& h : appended->inclusion_proof)
      response->add_inclusion_proof(HashHex(h));
    response->set_body(appended->body);
    return absl::OkStatus();
  });
}

namespace {

// The released sets are stored part by part ("released_part/<position>", 12 digits), with the
// number of parts acknowledged in "released_parts": parts are written first, the number last,
// so a part past the number (a write the linker never acknowledged) is never read, and the
// next write takes its place. Until session 10 the record was one value, "released_cohorts",
// rewritten whole at every release and read whole by every study, which stopped working once
// it passed a message (a national comparison pool's ids are tens of megabytes); it is read
// once, as parts, when "released_parts" is absent.
constexpr char kReleasedParts[] = "released_parts";
constexpr char kFormerReleasedRecord[] = "released_cohorts";

std::string ReleasedPartKey(uint64_t position) {
  char key[40];
  std::snprintf(key, sizeof key, "released_part/%012llu",
                static_cast<unsigned long long>(position));
  return key;
}

absl::StatusOr<uint64_t> StoredReleasedParts(RecordStore& store) {
  absl::StatusOr<std::optional<std::string>> n = store.GetMeta(kReleasedParts);
  if (!n.ok()) return n.status();
  if (*n) {
    uint64_t parts = 0;
    if (!absl::SimpleAtoi(**n, &parts))
      return absl::DataLossError("the released sets' part count is damaged");
    return parts;
  }
  // The former record: each of its sets becomes one part.
  absl::StatusOr<std::optional<std::string>> blob = store.GetMeta(kFormerReleasedRecord);
  if (!blob.ok()) return blob.status();
  uint64_t parts = 0;
  if (*blob) {
    v1::ReleasedCohorts former;
    if (!former.ParseFromString(**blob))
      return absl::DataLossError("the released cohorts record is damaged");
    for (const v1::ReleasedSet& set : former.sets()) {
      v1::ReleasedSetPart part;
      part.set_set_key(Cat("former-", parts));
      part.set_part(0);
      part.set_parts(1);
      part.set_data(set.SerializeAsString());
      absl::Status s = store.PutMeta(ReleasedPartKey(parts), part.SerializeAsString());
      if (!s.ok()) return s;
      ++parts;
    }
  }
  absl::Status s = store.PutMeta(kReleasedParts, std::to_string(parts));
  if (!s.ok()) return s;
  return parts;
}

}  // namespace

grpc::ServerUnaryReactor* LinkerService::GetReleasedCohorts(
    grpc::CallbackServerContext* context, const v1::GetReleasedCohortsRequest* request,
    v1::ReleasedCohorts* response) {
  return Unary(context, [&]() -> absl::Status {
    absl::Status allowed = Authorize(PeerOf(*context), "GetReleasedCohorts", {Role::kAnalyzer});
    if (!allowed.ok()) return allowed;
    std::lock_guard<std::mutex> lock(released_mu_);
    absl::StatusOr<uint64_t> parts = StoredReleasedParts(core_->store());
    if (!parts.ok()) return parts.status();
    uint64_t k = request->start();
    if (k > *parts) return absl::OutOfRangeError(Cat("no part at position ", k, " (", *parts, ")"));
    size_t bytes = 0;
    while (k < *parts && (k == request->start() || bytes < released_page_bytes_)) {
      absl::StatusOr<std::optional<std::string>> stored =
          core_->store().GetMeta(ReleasedPartKey(k));
      if (!stored.ok()) return stored.status();
      if (!*stored || !response->add_parts()->ParseFromString(**stored))
        return absl::DataLossError(Cat("the released sets' part ", k, " is missing or damaged"));
      bytes += (*stored)->size();
      ++k;
    }
    response->set_next_start(k < *parts ? k : 0);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LinkerService::AddReleasedCohorts(
    grpc::CallbackServerContext* context, const v1::ReleasedCohorts* request,
    v1::AddReleasedCohortsResponse* response) {
  return Unary(context, [&]() -> absl::Status {
    absl::Status allowed = Authorize(PeerOf(*context), "AddReleasedCohorts", {Role::kAnalyzer});
    if (!allowed.ok()) return allowed;
    std::lock_guard<std::mutex> lock(released_mu_);
    absl::StatusOr<uint64_t> parts = StoredReleasedParts(core_->store());
    if (!parts.ok()) return parts.status();
    uint64_t n = *parts;
    auto put = [&](const v1::ReleasedSetPart& part) {
      absl::Status s = core_->store().PutMeta(ReleasedPartKey(n), part.SerializeAsString());
      if (s.ok()) ++n;
      return s;
    };
    for (const v1::ReleasedSetPart& part : request->parts()) {
      if (part.set_key().empty() || part.parts() == 0 || part.part() >= part.parts())
        return absl::InvalidArgumentError("a released set's part without a key or number");
      absl::Status s = put(part);
      if (!s.ok()) return s;
    }
    // A whole set in the former field is one part of its own.
    for (const v1::ReleasedSet& set : request->sets()) {
      if (set.subject_ids_size() == 0) continue;
      v1::ReleasedSetPart part;
      part.set_set_key(Cat("set-", n));
      part.set_parts(1);
      part.set_data(set.SerializeAsString());
      absl::Status s = put(part);
      if (!s.ok()) return s;
    }
    absl::Status s = core_->store().PutMeta(kReleasedParts, std::to_string(n));
    if (!s.ok()) return s;
    response->set_total_sets(n);
    return absl::OkStatus();
  });
}

}  // namespace pprl
