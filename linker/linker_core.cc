#include "linker/linker_core.h"

#include <cmath>
#include <cstring>
#include <map>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {

std::string FormatEvidence(const LinkEvidence& e) {
  std::string out;
  for (int f = 0; f < kCompareFields; ++f) {
    CompareField field = static_cast<CompareField>(f);
    char weight[32];
    std::snprintf(weight, sizeof weight, "%+.1f", e.partial[f]);
    Append(&out, f ? " " : "", CompareFieldName(field), "=", LevelName(field, e.level[f]), "(",
           weight, ")");
  }
  char total[64];
  std::snprintf(total, sizeof total, " = %.1f bits", e.weight);
  Append(&out, total);
  if (e.tf_adjustment != 0) {
    char tf[64];
    std::snprintf(tf, sizeof tf, " (term frequency %+.1f included)", e.tf_adjustment);
    Append(&out, tf);
  }
  return out;
}

namespace {

std::string_view LevelKey(int level) {
  return level == 0 ? std::string_view("unlinked") : LinkLevelName(static_cast<uint8_t>(level));
}

// Frequencies of one encoding's values over the records holding it.
LinkageReportData::EncodingAudit AuditValues(std::string name, std::vector<uint64_t>& values) {
  LinkageReportData::EncodingAudit a;
  a.encoding = std::move(name);
  a.records = static_cast<int64_t>(values.size());
  std::sort(values.begin(), values.end());
  int64_t largest = 0;
  double entropy = 0;
  for (size_t b = 0; b < values.size();) {
    size_t e = b;
    while (e < values.size() && values[e] == values[b]) ++e;
    int64_t c = static_cast<int64_t>(e - b);
    ++a.distinct;
    largest = std::max(largest, c);
    double p = static_cast<double>(c) / values.size();
    entropy -= p * std::log2(p);
    b = e;
  }
  a.largest_share = values.empty() ? 0 : static_cast<double>(largest) / values.size();
  a.entropy_bits = entropy;
  values.clear();
  values.shrink_to_fit();
  return a;
}

uint64_t HashFilter(const BloomFilter& f) {
  uint64_t a, b;
  std::memcpy(&a, f.data(), 8);
  std::memcpy(&b, f.data() + 8, 8);
  return a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
}

}  // namespace

nlohmann::json LinkageReportData::ToJson() const {
  nlohmann::json by_level = nlohmann::json::object();
  for (KeyLevel level : kAllKeyLevels) {
    by_level[std::string(KeyLevelName(level))] = links_by_level[static_cast<int>(level)];
  }
  nlohmann::json case_links = nlohmann::json::object(), police_joins = nlohmann::json::object();
  for (int l = 0; l <= kProbabilisticLevel; ++l) {
    case_links[std::string(LevelKey(l))] = case_links_by_level[l];
    if (l > 0) police_joins[std::string(LevelKey(l))] = police_joins_by_level[l];
  }
  nlohmann::json audit = nlohmann::json::array();
  for (const EncodingAudit& a : encoding_audit) {
    audit.push_back({{"encoding", a.encoding},
                     {"records", a.records},
                     {"distinct", a.distinct},
                     {"largest_share", a.largest_share},
                     {"entropy_bits", a.entropy_bits}});
  }
  return {{"cases", cases},
          {"probabilistic_links", probabilistic_links},
          {"possible_links", possible_links},
          {"candidate_pairs", candidate_pairs},
          {"twin_vetoes", twin_vetoes},
          {"em_estimated", em_estimated},
          {"subjects_kept_id", subjects_kept_id},
          {"case_links_by_level", case_links},
          {"police_joins_by_level", police_joins},
          {"encoding_audit", audit},
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
    // Absent from reports written before the probabilistic stage.
    r.probabilistic_links = j.value("probabilistic_links", int64_t{0});
    r.possible_links = j.value("possible_links", int64_t{0});
    r.candidate_pairs = j.value("candidate_pairs", int64_t{0});
    r.twin_vetoes = j.value("twin_vetoes", int64_t{0});
    r.em_estimated = j.value("em_estimated", false);
    r.subjects_kept_id = j.value("subjects_kept_id", int64_t{0});
    for (int l = 0; l <= kProbabilisticLevel; ++l) {
      std::string key(LevelKey(l));
      if (j.contains("case_links_by_level")) {
        r.case_links_by_level[l] = j["case_links_by_level"].value(key, int64_t{0});
      }
      if (l > 0 && j.contains("police_joins_by_level")) {
        r.police_joins_by_level[l] = j["police_joins_by_level"].value(key, int64_t{0});
      }
    }
    if (j.contains("encoding_audit")) {
      for (const nlohmann::json& a : j.at("encoding_audit")) {
        r.encoding_audit.push_back({a.at("encoding"), a.at("records"), a.at("distinct"),
                                    a.at("largest_share"), a.at("entropy_bits")});
      }
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
      p.subject.cases.push_back({r.event_day, r.case_attributes >= 0
                                                  ? s.case_attributes[r.case_attributes]
                                                  : CaseAttributes()});
      continue;
    }
    if (r.source == ExportKind::kIncidents) {
      p.subject.incidents.push_back(
          {r.event_day, s.attribute_values[r.category], s.attribute_values[r.role]});
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

std::vector<LinkageReportData::EncodingAudit> AuditEncodings(const std::vector<LinkInput>& inputs) {
  std::vector<LinkageReportData::EncodingAudit> out;
  std::vector<uint64_t> values;
  values.reserve(inputs.size());
  auto filter = [&](const char* name, auto get) {
    for (const LinkInput& in : inputs) {
      const BloomFilter& f = get(in.encodings);
      if (BloomPopCount(f) > 0) values.push_back(HashFilter(f));
    }
    out.push_back(AuditValues(name, values));
  };
  filter("surname_bloom",
         [](const FieldEncodings& e) -> const BloomFilter& { return e.surname_bloom; });
  filter("first_name_bloom",
         [](const FieldEncodings& e) -> const BloomFilter& { return e.first_name_bloom; });
  for (TokenKind kind : LiveTokenKinds()) {
    for (const LinkInput& in : inputs) {
      if (in.encodings.token(kind) != 0) values.push_back(in.encodings.token(kind));
    }
    out.push_back(AuditValues(std::string(TokenKindName(kind)), values));
  }
  // The structural audit (issue 13, F1): records chained through shared tokens of any kind.
  // Every token holds the surname, so a component is one surname family (with its typo
  // variants): its largest share is that of the commonest surname. Date parts that travelled
  // alone joined everything into one component (share ~1) partitioned by the calendar.
  std::vector<uint32_t> component = TokenComponents(
      inputs.size(), [&](size_t i, TokenKind kind) { return inputs[i].encodings.token(kind); },
      LiveTokenKinds());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].encodings.empty()) values.push_back(component[i]);
  }
  out.push_back(AuditValues("token_graph_components", values));
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
  // Reserved from the extracts' record counts: grown by doubling, the vector held its old and
  // new copies at once (at 10M records, ~2 GB more at the peak).
  {
    absl::StatusOr<std::vector<ExtractInfo>> extracts = store_->ListExtracts();
    if (!extracts.ok()) return extracts.status();
    uint64_t records = 0;
    for (const ExtractInfo& e : *extracts) {
      if (!e.withdrawn) records += e.record_count;
    }
    inputs.reserve(records);
    snap->records.reserve(records);
  }
  std::string inputs_list;
  std::string last_extract;
  ExtractId extract_id;  // interned once per extract, shared by its records
  absl::flat_hash_map<std::string, uint32_t> attribute_index = {{"", 0}};
  auto attribute_value = [&](const std::string& v) {
    auto [it, added] = attribute_index.try_emplace(v, snap->attribute_values.size());
    if (added) snap->attribute_values.push_back(v);
    return it->second;
  };
  absl::Status scan = store_->ScanRecords([&](const StoredRecord& r) {
    if (r.extract->extract_id != last_extract) {
      last_extract = r.extract->extract_id;
      extract_id = ExtractId(last_extract);
      Append(&inputs_list, r.extract->extract_id, ":", r.extract->content_digest, "\n");
    }
    LinkInput in;
    in.source = r.extract->kind;
    in.extract_id = extract_id;
    in.record_id = r.record->record_id;
    in.keys = r.record->keys;
    in.encodings = r.record->encodings;
    inputs.push_back(std::move(in));
    LinkedRecord lr;
    lr.source = r.extract->kind;
    lr.extract_id = extract_id;
    lr.record_id = r.record->record_id;
    lr.subject = 0;
    lr.level = 0;
    lr.event_day = r.record->event_day;
    if (lr.source == ExportKind::kCases) {
      lr.case_attributes = static_cast<int32_t>(snap->case_attributes.size());
      snap->case_attributes.push_back(r.record->case_attributes);
    } else if (lr.source == ExportKind::kIncidents) {
      lr.category = attribute_value(r.record->incident_attributes.category);
      lr.role = attribute_value(r.record->incident_attributes.role);
    }
    lr.person = r.record->person;
    snap->records.push_back(std::move(lr));
    return absl::OkStatus();
  });
  if (!scan.ok()) return scan;
  LinkageResult result = Link(inputs);
  LinkageReportData& report = snap->report;
  report.encoding_audit = AuditEncodings(inputs);
  // Stable subject ids: the previous run's membership of subjects holding a case.
  {
    absl::StatusOr<std::optional<std::string>> text = store_->GetMeta("subject_membership");
    if (!text.ok()) return text.status();
    std::unordered_map<std::string, std::string> previous;
    if (*text) {
      std::string_view rest = **text;
      while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        size_t tab = line.rfind('\t');
        if (tab == std::string_view::npos) continue;
        previous.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
      }
    }
    report.subjects_kept_id = KeepSubjectIds(inputs, previous, &result);
    // Persisted for the next run: every subject that holds a case, and every subject that
    // carries an id of the previous run (a subject whose cases were withdrawn keeps its id
    // through its police records, so that its case, submitted again, finds it; without this
    // the first run after a withdrawal forgot those ids).
    std::unordered_set<std::string_view> previous_ids;
    for (const auto& [member, id] : previous) previous_ids.insert(id);
    std::vector<uint8_t> persist(result.subject_ids.size(), 0);
    for (size_t s = 0; s < result.subject_ids.size(); ++s) {
      if (previous_ids.contains(result.subject_ids[s])) persist[s] = 1;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].source == ExportKind::kCases) persist[result.subject_of[i]] = 1;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!persist[result.subject_of[i]]) continue;
      Append(&snap->membership, MemberName(inputs[i]), "\t",
             result.subject_ids[result.subject_of[i]], "\n");
    }
  }
  inputs.clear();
  inputs.shrink_to_fit();
  LinkageReportData& rep = snap->report;
  std::vector<uint8_t> has_incident(result.subject_ids.size(), 0),
      has_conviction(result.subject_ids.size(), 0);
  for (size_t i = 0; i < snap->records.size(); ++i) {
    LinkedRecord& lr = snap->records[i];
    lr.subject = result.subject_of[i];
    lr.level = result.joined_at_level[i];
    lr.evidence = result.evidence_of[i];
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
  // Case links per level, apart from the joins among police records.
  std::vector<uint8_t> has_police(result.subject_ids.size(), 0);
  for (size_t s = 0; s < has_police.size(); ++s)
    has_police[s] = has_incident[s] | has_conviction[s];
  for (const LinkedRecord& lr : snap->records) {
    if (lr.source == ExportKind::kCases) {
      ++rep.case_links_by_level[has_police[lr.subject] ? lr.level : 0];
    } else if (lr.level != 0) {
      ++rep.police_joins_by_level[lr.level];
    }
  }
  rep.probabilistic_links = result.counts.probabilistic_links;
  rep.possible_links = result.counts.possible_links;
  rep.candidate_pairs = result.counts.candidate_pairs;
  rep.twin_vetoes = result.counts.twin_vetoes;
  rep.em_estimated = result.parameters.estimated;
  for (const LinkEvidence& e : result.evidence) {
    if (e.linked) snap->evidence.push_back(e);
  }
  // evidence_of indexes all evidence; renumber to the links kept.
  {
    std::vector<int32_t> renumber(result.evidence.size(), -1);
    int32_t next = 0;
    for (size_t k = 0; k < result.evidence.size(); ++k) {
      if (result.evidence[k].linked) renumber[k] = next++;
    }
    for (LinkedRecord& lr : snap->records) {
      if (lr.evidence >= 0) lr.evidence = renumber[lr.evidence];
    }
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
  // The last run's snapshot (every record, ~200 bytes each) is let go before this run: held
  // through it, a second run needed the memory of both. A reader holding it keeps it; if this
  // run fails, Snapshot() recomputes it (or refuses when the extracts changed), as after a
  // restart.
  snapshot_.reset();
  absl::StatusOr<std::shared_ptr<LinkageSnapshot>> snap = Compute();
  if (!snap.ok()) return snap.status();
  (*snap)->report.linked_unix_ms = clock_();
  absl::Status s = store_->PutMeta("subject_membership", (*snap)->membership);
  if (!s.ok()) return s;
  s = store_->PutMeta("linkage_report", (*snap)->report.ToJson().dump());
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
