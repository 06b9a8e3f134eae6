#include "agent/linker_uploader.h"

#include <algorithm>
#include <tuple>

#include "core/text.h"
#include "proto/extract_codec.h"
#include "service/rpc_util.h"

namespace pprl {

std::vector<size_t> UploadOrder(const std::vector<v1::PseudonymisedRecord>& records) {
  // Any function of the bytes the linker receives hides the row order; it need not be secret,
  // only fixed across processes (a retried upload must announce the same digest), so a plain
  // 64-bit FNV-1a is enough and costs far less than a second SHA-256 pass. Records with equal
  // hashes (equal records, or a 1-in-10^6 collision among 10 million) keep their relative row
  // order, which tells nothing of the rest.
  struct Entry {
    uint64_t hash;
    size_t index;
  };
  std::vector<Entry> entries(records.size());
  std::string bytes;
  for (size_t i = 0; i < records.size(); ++i) {
    SerializeDeterministic(records[i], &bytes);
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
    entries[i] = Entry{h, i};
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.hash, a.index) < std::tie(b.hash, b.index);
  });
  std::vector<size_t> order(records.size());
  for (size_t i = 0; i < entries.size(); ++i) order[i] = entries[i].index;
  return order;
}

absl::StatusOr<v1::UploadReceipt> UploadExtract(v1::Linker::StubInterface& stub,
                                                const v1::ExtractHeader& header,
                                                const std::vector<v1::PseudonymisedRecord>& records,
                                                const UploadOptions& options) {
  const std::vector<size_t> order = UploadOrder(records);
  RecordDigester digester;
  for (size_t i : order) digester.Add(records[i]);
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
    for (size_t k = i; k < end; ++k) *chunk->add_records() = records[order[k]];
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
