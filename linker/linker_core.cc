#include "linker/linker_core.h"

#include <map>

#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {

nlohmann::json LinkageReportData::ToJson() const {
  nlohmann::json by_level = nlohmann::json::object();
  for (KeyLevel level : kAllKeyLevels) {
    by_level[std::string(KeyLevelName(level))] = links_by_level[static_cast<int>(level)];
  }
  return {{"cases", cases},
          {"incident_records", incident_records},
          {"conviction_records", conviction_records},
          {"subjects", subjects},
          {"cases_linked_incidents", cases_linked_incidents},
          {"cases_linked_convictions", cases_linked_convictions},
          {"unlinked_cases", unlinked_cases},
          {"ambiguous_keys", ambiguous_keys},
          {"by_level", by_level},
          {"inputs_digest", inputs_digest},
          {"linked_unix_ms", linked_unix_ms}};
}

absl::StatusOr<LinkageReportData> LinkageReportData::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return absl::DataLossError("damaged linkage report");
  try {
    LinkageReportData r;
    r.cases = j.at("cases");
    r.incident_records = j.at("incident_records");
    r.conviction_records = j.at("conviction_records");
    r.subjects = j.at("subjects");
    r.cases_linked_incidents = j.at("cases_linked_incidents");
    r.cases_linked_convictions = j.at("cases_linked_convictions");
    r.unlinked_cases = j.at("unlinked_cases");
    r.ambiguous_keys = j.at("ambiguous_keys");
    for (KeyLevel level : kAllKeyLevels) {
      r.links_by_level[static_cast<int>(level)] =
          j.at("by_level").at(std::string(KeyLevelName(level)));
    }
    r.inputs_digest = j.at("inputs_digest");
    r.linked_unix_ms = j.at("linked_unix_ms");
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(Cat("damaged linkage report: ", e.what()));
  }
}

std::vector<CohortSubjectIn> SubjectsOf(const LinkageSnapshot& s, bool pool) {
  std::vector<uint8_t> has_case(s.subject_ids.size(), 0);
  for (const LinkedRecord& r : s.records) {
    if (r.source == ExportKind::kCases) has_case[r.subject] = 1;
  }
  struct Person {
    CohortSubjectIn subject;
    std::map<char, int> gender;
    std::map<int, int> band;
  };
  std::map<uint32_t, Person> people;  // ordered by subject number: stable
  for (const LinkedRecord& r : s.records) {
    if (static_cast<bool>(has_case[r.subject]) == pool) continue;
    Person& p = people[r.subject];
    if (r.source == ExportKind::kCases) {
      p.subject.cases.push_back({r.event_day, r.case_attributes});
      continue;
    }
    if (r.source == ExportKind::kIncidents) {
      p.subject.incidents.push_back(
          {r.event_day, r.incident_attributes.category, r.incident_attributes.role});
    } else {
      p.subject.convictions.push_back({r.event_day, "", ""});
    }
    if (r.person.gender != 'o') ++p.gender[r.person.gender];
    if (r.person.birth_band != 0) ++p.band[r.person.birth_band];
  }
  auto most_frequent = [](const auto& counts, auto none) {
    auto best = none;
    int n = 0;
    for (const auto& [value, count] : counts) {
      if (count > n) best = value, n = count;  // ties: the smallest value
    }
    return best;
  };
  std::vector<CohortSubjectIn> out;
  out.reserve(people.size());
  for (auto& [number, p] : people) {
    p.subject.subject_id = s.subject_ids[number];
    p.subject.gender = most_frequent(p.gender, 'o');
    p.subject.birth_band = most_frequent(p.band, 0);
    out.push_back(std::move(p.subject));
  }
  return out;
}

LinkerCore::LinkerCore(RecordStore* store, std::function<int64_t()> clock_ms, AuditLog* audit)
    : store_(store), clock_(std::move(clock_ms)), audit_(audit) {}

absl::StatusOr<AuditLog*> LinkerCore::audit_log() {
  std::lock_guard<std::mutex> lock(audit_mu_);
  if (audit_ != nullptr) return audit_;
  // No log configured (simulations, fuzzing): one signed with a key made for this process.
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(store_, *key, clock_);
  if (!log.ok()) return log.status();
  owned_audit_ = std::move(*log);
  audit_ = owned_audit_.get();
  return audit_;
}

absl::Status LinkerCore::AuditWritable() {
  absl::StatusOr<AuditLog*> log = audit_log();
  if (!log.ok()) return log.status();
  absl::Status damage = (*log)->damage();
  if (damage.ok()) return damage;
  return absl::FailedPreconditionError(
      Cat("the audit log is damaged (", damage.message(),
          "): the linker stores, links and releases nothing until the operator restores it"));
}

absl::StatusOr<std::shared_ptr<LinkageSnapshot>> LinkerCore::Compute() {
  auto snap = std::make_shared<LinkageSnapshot>();
  std::vector<LinkInput> inputs;
  std::string inputs_list;
  std::string last_extract;
  absl::Status scan = store_->ScanRecords([&](const StoredRecord& r) {
    if (r.extract->extract_id != last_extract) {
      last_extract = r.extract->extract_id;
      Append(&inputs_list, r.extract->extract_id, ":", r.extract->content_digest, "\n");
    }
    LinkInput in;
    in.source = r.extract->kind;
    in.extract_id = r.extract->extract_id;
    in.record_id = r.record->record_id;
    in.keys = r.record->keys;
    inputs.push_back(std::move(in));
    LinkedRecord lr;
    lr.source = r.extract->kind;
    lr.extract_id = r.extract->extract_id;
    lr.record_id = r.record->record_id;
    lr.subject = 0;
    lr.level = 0;
    lr.event_day = r.record->event_day;
    lr.case_attributes = r.record->case_attributes;
    lr.incident_attributes = r.record->incident_attributes;
    lr.person = r.record->person;
    snap->records.push_back(std::move(lr));
    return absl::OkStatus();
  });
  if (!scan.ok()) return scan;
  LinkageResult result = Link(inputs);
  inputs.clear();
  LinkageReportData& rep = snap->report;
  std::vector<uint8_t> has_incident(result.subject_ids.size(), 0),
      has_conviction(result.subject_ids.size(), 0);
  for (size_t i = 0; i < snap->records.size(); ++i) {
    LinkedRecord& lr = snap->records[i];
    lr.subject = result.subject_of[i];
    lr.level = result.joined_at_level[i];
    if (lr.source == ExportKind::kIncidents) {
      ++rep.incident_records;
      has_incident[lr.subject] = 1;
    } else if (lr.source == ExportKind::kConvictions) {
      ++rep.conviction_records;
      has_conviction[lr.subject] = 1;
    } else {
      ++rep.cases;
    }
  }
  for (const LinkedRecord& lr : snap->records) {
    if (lr.source != ExportKind::kCases) continue;
    if (has_incident[lr.subject]) ++rep.cases_linked_incidents;
    if (has_conviction[lr.subject]) ++rep.cases_linked_convictions;
    if (!has_incident[lr.subject] && !has_conviction[lr.subject]) ++rep.unlinked_cases;
  }
  rep.subjects = result.counts.subjects;
  rep.ambiguous_keys = result.counts.ambiguous_keys;
  for (int l = 0; l < 6; ++l) rep.links_by_level[l] = result.counts.links_by_level[l];
  rep.inputs_digest = Sha256Hex(inputs_list);
  snap->subject_ids = std::move(result.subject_ids);
  return snap;
}

absl::StatusOr<LinkageReportData> LinkerCore::RunLinkage() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<std::shared_ptr<LinkageSnapshot>> snap = Compute();
  if (!snap.ok()) return snap.status();
  (*snap)->report.linked_unix_ms = clock_();
  absl::Status s = store_->PutMeta("linkage_report", (*snap)->report.ToJson().dump());
  if (!s.ok()) return s;
  snapshot_ = *snap;
  return (*snap)->report;
}

absl::StatusOr<LinkageReportData> LinkerCore::LastReport() {
  absl::StatusOr<std::optional<std::string>> text = store_->GetMeta("linkage_report");
  if (!text.ok()) return text.status();
  if (!*text) return absl::NotFoundError("no link run yet: run pprl link first");
  return LinkageReportData::FromJson(**text);
}

absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> LinkerCore::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_) return snapshot_;
  absl::StatusOr<LinkageReportData> last = LastReport();
  if (!last.ok()) return last.status();
  absl::StatusOr<std::shared_ptr<LinkageSnapshot>> snap = Compute();
  if (!snap.ok()) return snap.status();
  if ((*snap)->report.inputs_digest != last->inputs_digest) {
    return absl::FailedPreconditionError(
        "the extracts changed since the last link run: run pprl link again");
  }
  (*snap)->report.linked_unix_ms = last->linked_unix_ms;
  snapshot_ = *snap;
  return snapshot_;
}

absl::StatusOr<AuditAppended> LinkerCore::AuditAppend(const std::string& actor,
                                                      const std::string& role,
                                                      const std::string& action,
                                                      const std::string& outcome,
                                                      const nlohmann::json& detail) {
  absl::StatusOr<AuditLog*> log = audit_log();
  if (!log.ok()) return log.status();
  const int64_t now = clock_();
  return (*log)->Append(
      [&](uint64_t seq) { return AuditBody(seq, now, actor, role, action, outcome, detail); });
}

absl::StatusOr<uint64_t> LinkerCore::Audit(const std::string& actor, const std::string& role,
                                           const std::string& action, const std::string& outcome,
                                           const nlohmann::json& detail) {
  absl::StatusOr<AuditAppended> r = AuditAppend(actor, role, action, outcome, detail);
  if (!r.ok()) return r.status();
  return r->sequence;
}

}  // namespace pprl
