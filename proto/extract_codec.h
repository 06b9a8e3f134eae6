// Conversion between core's PseudonymousRecord and the wire message, both PSEUDONYMS only.
// Pure, thread-safe.
#ifndef PPRL_PROTO_EXTRACT_CODEC_H_
#define PPRL_PROTO_EXTRACT_CODEC_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/pseudonymous_record.h"
#include "proto/extract.pb.h"

namespace pprl {

v1::RecordKind ToProto(ExportKind kind);
[[nodiscard]] absl::StatusOr<ExportKind> FromProto(v1::RecordKind kind);

void ToProto(const CaseAttributes& attributes, v1::CaseAttributes* out);
// Validates the ranges the wire may carry.
[[nodiscard]] absl::StatusOr<CaseAttributes> FromProto(const v1::CaseAttributes& in);

void ToProto(const PseudonymousRecord& record, v1::PseudonymisedRecord* out);
// Validates what the wire may carry (key sizes, levels, attribute ranges).
[[nodiscard]] absl::StatusOr<PseudonymousRecord> FromProto(ExportKind kind,
                                                           const v1::PseudonymisedRecord& in);
// The same into *out, reusing its buffers (a store's scan decodes 10M records); on an error
// *out holds part of the record.
[[nodiscard]] absl::Status FromProto(ExportKind kind, const v1::PseudonymisedRecord& in,
                                     PseudonymousRecord* out);

// The deterministic serialisation the content digest is computed over.
void SerializeDeterministic(const v1::PseudonymisedRecord& record, std::string* out);

// The content digest of an extract: SHA-256 over each record's deterministic serialisation,
// in order. The agent announces it; the linker recomputes it from what arrived.
class RecordDigester {
 public:
  RecordDigester();
  ~RecordDigester();
  RecordDigester(const RecordDigester&) = delete;
  RecordDigester& operator=(const RecordDigester&) = delete;
  void Add(const v1::PseudonymisedRecord& record);
  void Add(ExportKind kind, const PseudonymousRecord& record);
  // Bytes already serialised deterministically (see SerializeDeterministic).
  void AddSerialized(std::string_view bytes);
  std::string HexDigest();  // finishes; call once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pprl

#endif  // PPRL_PROTO_EXTRACT_CODEC_H_
