// A RecordStore in memory, for tests of the layers above. Same rules as the RocksDB store
// (store_common.h); nothing survives the process. Thread-safe (one mutex).
#ifndef PPRL_LINKER_MEMORY_RECORD_STORE_H_
#define PPRL_LINKER_MEMORY_RECORD_STORE_H_

#include <functional>
#include <memory>

#include "linker/record_store.h"

namespace pprl {

// `clock_ms` gives commit times (injected so tests are repeatable).
std::unique_ptr<RecordStore> NewMemoryRecordStore(std::function<int64_t()> clock_ms);

}  // namespace pprl

#endif  // PPRL_LINKER_MEMORY_RECORD_STORE_H_
