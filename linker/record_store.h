// The linker's durable state: extracts and their records, link results, the audit log.
//
// PSEUDONYMS only: match keys, record ids, event dates and the allowed attributes; never a
// name, initial or birth date. Implementations: RocksDB (rocksdb_record_store.h) and memory
// (memory_record_store.h, for tests). Thread-safe: every method may be called concurrently.
//
// Durability contract: when CommitExtract's writer returns OK, the extract and all its records
// survive a crash (synced); before that, none of it is visible, now or after a restart.
#ifndef PPRL_LINKER_RECORD_STORE_H_
#define PPRL_LINKER_RECORD_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/audit_chain.h"
#include "core/columns.h"
#include "core/pseudonymous_record.h"

namespace pprl {

struct ExtractInfo {
  std::string extract_id;         // assigned by the store from site and client id
  std::string site;               // from the uploader's certificate
  std::string client_extract_id;  // chosen by the agent; a retry reuses it
  ExportKind kind = ExportKind::kCases;
  std::string key_id;
  std::string content_digest;  // hex SHA-256 over the serialised records, in order
  uint64_t record_count = 0;
  int64_t committed_unix_ms = 0;
  bool withdrawn = false;
};

// The id an extract gets: a function of site and client id, so a retry finds it again.
std::string ExtractIdFor(const std::string& site, const std::string& client_extract_id);

struct CommitOutcome {
  ExtractInfo info;
  bool created = false;  // false: the same extract was committed before (idempotent retry)
};

// Receives one extract's records in chunks. Destroying it without Commit() discards them.
class ExtractWriter {
 public:
  virtual ~ExtractWriter() = default;
  [[nodiscard]] virtual absl::Status Add(const std::vector<PseudonymousRecord>& records) = 0;
  // Checks count and digest against the announced ones, then commits atomically and durably.
  [[nodiscard]] virtual absl::StatusOr<CommitOutcome> Commit() = 0;
  // True when the extract was already committed (the writer accepts and ignores records).
  virtual bool already_committed() const = 0;
};

// One record as stored, with its extract.
struct StoredRecord {
  const ExtractInfo* extract;
  const PseudonymousRecord* record;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  // Starts an extract. Refuses (FailedPrecondition) a key id other than the store's, and
  // (AlreadyExists) a different extract under a client id already used by the site.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<ExtractWriter>> BeginExtract(
      ExtractInfo announced) = 0;

  [[nodiscard]] virtual absl::StatusOr<std::vector<ExtractInfo>> ListExtracts() = 0;

  // Removes the extract's records and marks it withdrawn. NotFound if unknown.
  [[nodiscard]] virtual absl::StatusOr<ExtractInfo> WithdrawExtract(
      const std::string& extract_id) = 0;

  // Calls fn for every record of every committed, not withdrawn extract, in a fixed order
  // (extract id, then upload order).
  [[nodiscard]] virtual absl::Status ScanRecords(
      const std::function<absl::Status(const StoredRecord&)>& fn) = 0;

  // The key id of the first committed extract, if any.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> KeyId() = 0;

  // Opaque blobs the linker keeps (the last linkage result, released-cohort digests).
  [[nodiscard]] virtual absl::Status PutMeta(const std::string& name, const std::string& value) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> GetMeta(
      const std::string& name) = 0;

  // Appends an audit entry: `body_for(sequence, time)` builds the canonical body; the store
  // chains and writes it and the head atomically and durably.
  [[nodiscard]] virtual absl::StatusOr<AuditRecord> AppendAudit(
      const std::function<std::string(uint64_t sequence)>& body_for) = 0;
  struct AuditLog {
    std::vector<AuditRecord> records;  // in key order, as stored
    uint64_t head_count = 0;
    std::string head_hash;
  };
  [[nodiscard]] virtual absl::StatusOr<AuditLog> ReadAudit() = 0;
};

}  // namespace pprl

#endif  // PPRL_LINKER_RECORD_STORE_H_
