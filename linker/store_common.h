// Rules every RecordStore implementation applies the same way: what a new extract is checked
// against, and what a finished upload must match. Internal to linker/. Pure.
#ifndef PPRL_LINKER_STORE_COMMON_H_
#define PPRL_LINKER_STORE_COMMON_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "linker/record_store.h"
#include "proto/extract_codec.h"

namespace pprl::store_internal {

// What BeginExtract decides from what is stored already.
struct Admission {
  bool already_committed = false;
  ExtractInfo existing;  // when already_committed
};

// `existing`: the extract stored under the same id, if any; `store_key_id`: the store's key id.
[[nodiscard]] absl::StatusOr<Admission> Admit(const ExtractInfo& announced,
                                              const std::optional<ExtractInfo>& existing,
                                              const std::optional<std::string>& store_key_id);

// Checks the received records against the announced count and digest.
[[nodiscard]] absl::Status CheckReceived(const ExtractInfo& announced, uint64_t count,
                                         const std::string& digest);

std::string ExtractInfoToJson(const ExtractInfo& info);
[[nodiscard]] absl::StatusOr<ExtractInfo> ExtractInfoFromJson(const std::string& json);

}  // namespace pprl::store_internal

#endif  // PPRL_LINKER_STORE_COMMON_H_
