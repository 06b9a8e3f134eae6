// Conversion between core's PseudonymousRecord and the wire message, both PSEUDONYMS only.
// Pure, thread-safe.
#ifndef PPRL_AGENT_EXTRACT_CODEC_H_
#define PPRL_AGENT_EXTRACT_CODEC_H_

#include "absl/status/statusor.h"
#include "core/pseudonymous_record.h"
#include "proto/extract.pb.h"

namespace pprl {

v1::RecordKind ToProto(ExportKind kind);
[[nodiscard]] absl::StatusOr<ExportKind> FromProto(v1::RecordKind kind);

void ToProto(const PseudonymousRecord& record, v1::PseudonymisedRecord* out);
// Validates what the wire may carry (key sizes, levels, attribute ranges).
[[nodiscard]] absl::StatusOr<PseudonymousRecord> FromProto(ExportKind kind,
                                                           const v1::PseudonymisedRecord& in);

}  // namespace pprl

#endif  // PPRL_AGENT_EXTRACT_CODEC_H_
