// Uploads a pseudonymised extract to the linker as a client stream: a header announcing count
// and digest, then chunks of records; the linker commits all or nothing and returns a receipt.
// PSEUDONYMS only. Not thread-safe (one upload per object).
#ifndef PPRL_AGENT_LINKER_UPLOADER_H_
#define PPRL_AGENT_LINKER_UPLOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/extract.pb.h"
#include "proto/linker.grpc.pb.h"

namespace pprl {

struct UploadOptions {
  std::string client_extract_id;  // empty: "<kind>-<first 16 hex digits of the digest>"
  size_t records_per_chunk = 4096;
  double deadline_seconds = 600;
  std::string officer;  // the data officer who submitted the export (certificate CN), if any
};

// The records must all be of `header.kind()`; `header.key_id()` names the key and
// `header.site()` the site (which the linker checks against the agent's certificate).
// They are sent in UploadOrder, not in the order given (which is the export's row order).
[[nodiscard]] absl::StatusOr<v1::UploadReceipt> UploadExtract(
    v1::Linker::StubInterface& stub, const v1::ExtractHeader& header,
    const std::vector<v1::PseudonymisedRecord>& records, const UploadOptions& options = {});

// The order an extract's records are sent and stored in: by a fixed 64-bit hash (FNV-1a) of
// each record's deterministic serialisation, a function of what the linker receives and
// nothing else. The
// linker stores records in the order they arrive, so sending them in the export's row order
// would hand it the rows' ranks: an export sorted by surname or birth date gives every record
// its surname or birth date by aligning the ranks with a public distribution (red-team 5, O1).
// The same records in any order give the same sequence, hence the same digest and extract id.
// Returns indexes into `records`.
std::vector<size_t> UploadOrder(const std::vector<v1::PseudonymisedRecord>& records);

}  // namespace pprl

#endif  // PPRL_AGENT_LINKER_UPLOADER_H_
