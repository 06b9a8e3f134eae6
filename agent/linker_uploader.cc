#include "agent/linker_uploader.h"

#include "core/text.h"
#include "proto/extract_codec.h"
#include "service/rpc_util.h"

namespace pprl {

absl::StatusOr<v1::UploadReceipt> UploadExtract(v1::Linker::StubInterface& stub,
                                                const v1::ExtractHeader& header,
                                                const std::vector<v1::PseudonymisedRecord>& records,
                                                const UploadOptions& options) {
  RecordDigester digester;
  for (const v1::PseudonymisedRecord& r : records) digester.Add(r);
  std::string digest = digester.HexDigest();
  absl::StatusOr<ExportKind> kind = FromProto(header.kind());
  if (!kind.ok()) return kind.status();

  grpc::ClientContext context;
  SetDeadline(&context, options.deadline_seconds);
  v1::UploadReceipt receipt;
  std::unique_ptr<grpc::ClientWriterInterface<v1::UploadRequest>> writer =
      stub.Upload(&context, &receipt);
  v1::UploadRequest request;
  v1::UploadHeader* h = request.mutable_header();
  h->set_client_extract_id(options.client_extract_id.empty()
                               ? Cat(ExportKindName(*kind), "-", digest.substr(0, 16))
                               : options.client_extract_id);
  h->set_kind(header.kind());
  h->set_key_id(header.key_id());
  h->set_record_count(records.size());
  h->set_content_digest(digest);
  h->set_site(header.site());
  h->set_officer(options.officer);
  bool sending = writer->Write(request);
  for (size_t i = 0; sending && i < records.size(); i += options.records_per_chunk) {
    request.Clear();
    v1::RecordChunk* chunk = request.mutable_chunk();
    size_t end = std::min(records.size(), i + options.records_per_chunk);
    for (size_t k = i; k < end; ++k) *chunk->add_records() = records[k];
    sending = writer->Write(request);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return absl::UnavailableError(Cat("the linker is unreachable (", status.error_message(),
                                        "); nothing was stored, submit again later"));
    }
    return FromGrpc(status);
  }
  return receipt;
}

}  // namespace pprl
