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

struct AuditLogEntry {
  uint64_t sequence = 0;  // 1, 2, 3, ...: entry N is leaf N-1 of the tree
  std::string body;       // canonical JSON holding "seq" equal to sequence
};

// The hash-chained audit log of earlier versions (core/audit_chain.h), kept for migration.
struct LegacyAuditChain {
  std::vector<AuditRecord> records;  // in key order, as stored
  uint64_t head_count = 0;
  std::string head_hash;
  bool has_head = false;
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
  // (extract id, then upload order), on the calling thread (the RocksDB store reads and decodes
  // on a thread of its own, ahead of fn).
  [[nodiscard]] virtual absl::Status ScanRecords(
      const std::function<absl::Status(const StoredRecord&)>& fn) = 0;

  // The key id of the first committed extract, if any.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> KeyId() = 0;

  // Opaque blobs the linker keeps (the last linkage result, released-cohort digests).
  [[nodiscard]] virtual absl::Status PutMeta(const std::string& name, const std::string& value) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> GetMeta(
      const std::string& name) = 0;

  // Audit storage. The log itself (Merkle tree, signed heads, checks) is linker/audit_log.h.
  //
  // Stored entries with sequence >= `first`, in sequence order: at most `limit`, and none more
  // once `max_bytes` of bodies were read (at least one when any is left).
  [[nodiscard]] virtual absl::StatusOr<std::vector<AuditLogEntry>> ReadAuditEntries(
      uint64_t first, uint64_t limit, uint64_t max_bytes) = 0;
  // Writes the entries and the meta value `head_name` = `head` in one durable batch; with
  // `drop_legacy` the batch also removes the chain-based log of earlier versions (migration).
  [[nodiscard]] virtual absl::Status WriteAuditEntries(const std::vector<AuditLogEntry>& entries,
                                                       const std::string& head_name,
                                                       const std::string& head,
                                                       bool drop_legacy) = 0;
  // The chain-based log of earlier versions, as stored (empty once carried over).
  [[nodiscard]] virtual absl::StatusOr<LegacyAuditChain> ReadLegacyAudit() = 0;
};

}  // namespace pprl

#endif  // PPRL_LINKER_RECORD_STORE_H_
