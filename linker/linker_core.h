// What the linker does, independent of gRPC: link the stored extracts into subjects, report
// on it, export links and the analyzer's cohort, and keep the audit log.
//
// PSEUDONYMS only. Thread-safe: link runs are serialised; readers share the last result.
#ifndef PPRL_LINKER_LINKER_CORE_H_
#define PPRL_LINKER_LINKER_CORE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cohort_variables.h"
#include "core/linkage.h"
#include "linker/audit_log.h"
#include "linker/record_store.h"

namespace pprl {

struct LinkageReportData {
  int64_t cases = 0;
  int64_t incident_records = 0;
  int64_t conviction_records = 0;
  int64_t subjects = 0;
  int64_t cases_linked_incidents = 0;
  int64_t cases_linked_convictions = 0;
  int64_t unlinked_cases = 0;
  int64_t ambiguous_keys = 0;
  int64_t links_by_level[6] = {};
  // The probabilistic stage (core/linkage.h LinkOptions).
  int64_t probabilistic_links = 0;
  int64_t possible_links = 0;
  int64_t candidate_pairs = 0;
  int64_t twin_vetoes = 0;
  // Joins refused because a cluster without a given name would have joined one whose given
  // names were a case's only (core/linkage.h LinkageCounts::uncorroborated).
  int64_t uncorroborated = 0;
  // Records sent again in a later extract of their site and kind (same record id, person, day
  // and, for incidents, category and role): linked once, from the latest extract.
  int64_t repeated_records = 0;
  // Joins refused that would have made two case groups (cases the case file alone does not
  // join) one subject (core/linkage.h LinkageCounts::case_groups_kept_apart).
  int64_t case_groups_kept_apart = 0;
  bool em_estimated = false;
  int64_t subjects_kept_id = 0;  // subjects that kept the previous run's id by membership
  // Case records by the level of the join that took each into a subject holding police
  // records (index: level, kProbabilisticLevel included; 0 = case not linked to police), apart
  // from the joins among police records themselves.
  int64_t case_links_by_level[7] = {};
  int64_t police_joins_by_level[7] = {};
  // The encoding frequency self-audit: for every encoding, how concentrated its values are.
  struct EncodingAudit {
    std::string encoding;
    int64_t records = 0;       // records holding it
    int64_t distinct = 0;      // distinct values
    double largest_share = 0;  // largest frequency of one value / records
    double entropy_bits = 0;   // Shannon entropy of the value distribution
  };
  std::vector<EncodingAudit> encoding_audit;
  std::string inputs_digest;
  int64_t linked_unix_ms = 0;

  nlohmann::json ToJson() const;
  static absl::StatusOr<LinkageReportData> FromJson(const std::string& text);
};

// One linked record with what the cohort needs. The linker holds one per stored record (10M
// and more, beside the linkage inputs while it links): 88 bytes, the attributes that only
// some kinds have kept in the snapshot beside them.
struct LinkedRecord {
  ExportKind source;
  ExtractId extract_id;  // interned (core/link_input.h): one copy per extract
  std::string record_id;
  uint32_t subject;
  uint8_t level;  // 0: not joined to anything; kProbabilisticLevel: by the probabilistic stage
  int32_t evidence = -1;  // index into LinkageSnapshot::evidence of the link that joined it
  int32_t event_day;
  PersonAttributes person;
  int32_t case_attributes = -1;  // cases: index into LinkageSnapshot::case_attributes
  // Incidents: indexes into LinkageSnapshot::attribute_values (0: "").
  uint32_t category = 0;
  uint32_t role = 0;
};

struct LinkageSnapshot {
  LinkageReportData report;
  std::vector<LinkedRecord> records;
  std::vector<std::string> subject_ids;
  std::vector<LinkEvidence> evidence;  // probabilistic links made (no values, weights only)
  std::vector<CaseAttributes> case_attributes;  // of the case records
  // Per case record (as case_attributes): a digest of its match keys and field encodings
  // (CaseIdentity), sent with the cohort.
  std::vector<std::string> case_identity;
  std::vector<std::string> attribute_values = {""};  // distinct incident categories and roles
  // "member\tsubject id\n" of every record of a subject holding a case or carrying an id of
  // the run before, and of the cases of the run before that this run does not hold (a case
  // file withdrawn, to be submitted again), after the line "pprl.membership.v2": persisted
  // after a run so that the next run can keep subject ids (core/linkage.h KeepSubjectIds). A
  // member is MemberName(kind, site, record id): named by site, not extract, so that a record
  // sent again in a new extract of its site keeps its subject's id, linked or not.
  std::string membership;
};

// "surname=close(+5.6) first_name=exact(+6.4, tf -0.3) birth_date=exact(+14.5) = 26.2 bits":
// the waterfall of one link, with levels and partial weights only.
std::string FormatEvidence(const LinkEvidence& evidence);

// The self-audit of the field encodings over the records linked: the frequency of every
// encoding's values, then "token_graph_components": the components of records chained through
// shared tokens (largest_share: the largest component's share of records; core/field_encodings.h).
// `one_thread`: the audit runs beside the link run's cascade, which has the other core; its own
// threads then held more at once (the two name filters' sorts, a kind's tokens gathered in two
// halves) than the 4 GiB budget has room for beside the cascade.
std::vector<LinkageReportData::EncodingAudit> AuditEncodings(const std::vector<LinkInput>& inputs,
                                                             bool one_thread = false);

// The subjects holding a case (the cohort), or with `pool` those holding police records only
// (never discussed: the comparison pool), ordered by subject number. Gender and birth band are
// the most frequent known values among the subject's police records.
std::vector<CohortSubjectIn> SubjectsOf(const LinkageSnapshot& snapshot, bool pool);

// The same subjects as an index into the snapshot's records, so that they can be served in
// pages without building them all (a national pool holds millions).
struct SubjectOrder {
  std::vector<uint32_t> subjects;  // subject numbers, ascending
  std::vector<uint32_t> starts;    // subjects[k]'s records: records[starts[k] .. starts[k + 1])
  std::vector<uint32_t> records;   // indexes into the snapshot's records, in record order
};
SubjectOrder OrderSubjects(const LinkageSnapshot& snapshot, bool pool);
// The k-th subject of `order` (SubjectsOf(snapshot, pool)[k]).
CohortSubjectIn SubjectAt(const LinkageSnapshot& snapshot, const SubjectOrder& order, size_t k);

class LinkerCore {
 public:
  // `audit`: the audit log (linker/audit_log.h) on `store`, not owned; without one, the core
  // opens its own, signed with a key made for this process (simulations and fuzzing only).
  LinkerCore(RecordStore* store, std::function<int64_t()> clock_ms, AuditLog* audit = nullptr);

  // Links everything stored now; keeps and persists the report.
  [[nodiscard]] absl::StatusOr<LinkageReportData> RunLinkage();
  // The last run's report (NotFound before the first run).
  [[nodiscard]] absl::StatusOr<LinkageReportData> LastReport();
  // The last run's full result; after a restart it is recomputed (linkage is deterministic)
  // and refused if the extracts changed since the last run.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> Snapshot();

  // Appends an audit entry: who, what, outcome and details (ids, counts, digests only).
  [[nodiscard]] absl::StatusOr<uint64_t> Audit(const std::string& actor, const std::string& role,
                                               const std::string& action,
                                               const std::string& outcome,
                                               const nlohmann::json& detail);
  // The same, returning the signed tree head just after the entry and its inclusion proof.
  [[nodiscard]] absl::StatusOr<AuditAppended> AuditAppend(const std::string& actor,
                                                          const std::string& role,
                                                          const std::string& action,
                                                          const std::string& outcome,
                                                          const nlohmann::json& detail);
  // OK unless the audit log was found damaged (then nothing that needs an entry may be done).
  [[nodiscard]] absl::Status AuditWritable();
  [[nodiscard]] absl::StatusOr<AuditLog*> audit_log();

  RecordStore& store() { return *store_; }

  // Benchmarks: called at the end of each phase of a link run with the phase's name ("load",
  // "cascade_and_audit": the exact cascade and the encoding audit, run together; "link": the
  // probabilistic stage and the numbering; "subject_ids", "records"), to take its time and peak
  // memory. Set before the first run, not while one runs.
  void set_phase_observer(std::function<void(std::string_view phase)> observer) {
    phase_observer_ = std::move(observer);
  }
  // Benchmarks: the options of Link() (default: the product's).
  void set_link_options(const LinkOptions& options) { link_options_ = options; }

 private:
  void PhaseDone(std::string_view phase) {
    if (phase_observer_) phase_observer_(phase);
  }

  [[nodiscard]] absl::StatusOr<std::shared_ptr<LinkageSnapshot>> Compute();

  RecordStore* store_;
  std::function<int64_t()> clock_;
  std::mutex mu_;
  std::shared_ptr<const LinkageSnapshot> snapshot_;
  std::mutex audit_mu_;
  AuditLog* audit_;
  std::unique_ptr<AuditLog> owned_audit_;
  std::function<void(std::string_view)> phase_observer_;
  LinkOptions link_options_;
};

}  // namespace pprl

#endif  // PPRL_LINKER_LINKER_CORE_H_
