// The RecordStore on RocksDB, in one directory with column families "extracts", "records",
// "meta", "audit_tree" (the audit log) and "audit" (the chain-based audit log of earlier
// versions, emptied when it is carried over). No rocksdb type leaves this header's implementation.
//
// Commit protocol: an upload's records are written under a fresh upload id as they arrive
// (unsynced); the commit is one synced write of the extract entry naming that upload id. The
// write-ahead log is sequential, so the synced commit makes the records durable too, and an
// upload that never committed is invisible and removed when the store is next opened.
// Thread-safe.
#ifndef PPRL_LINKER_ROCKSDB_RECORD_STORE_H_
#define PPRL_LINKER_ROCKSDB_RECORD_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "linker/record_store.h"

namespace pprl {

// Writes are refused (RESOURCE_EXHAUSTED, nothing stored) when they would leave less than
// `min_free_bytes` free on the store's file system: RocksDB must never meet a full disk (the
// Debian build aborts on an assertion when a write fails for lack of space).
struct RocksDbStoreOptions {
  uint64_t min_free_bytes = uint64_t{256} << 20;
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<RecordStore>> OpenRocksDbRecordStore(
    const std::string& directory, std::function<int64_t()> clock_ms,
    RocksDbStoreOptions options = {});

}  // namespace pprl

#endif  // PPRL_LINKER_ROCKSDB_RECORD_STORE_H_
