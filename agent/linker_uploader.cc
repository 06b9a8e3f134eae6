#include "agent/linker_uploader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <tuple>

#include "core/text.h"
#include "proto/extract_codec.h"
#include "service/rpc_util.h"

namespace pprl {

std::vector<size_t> UploadOrder(const std::vector<v1::PseudonymisedRecord>& records) {
  // 16 bytes of each digest: records equal in them are equal (or a SHA-256 collision), and the
  // order among equal records changes nothing that is sent.
  struct Entry {
    std::array<uint64_t, 2> digest;
    size_t index;
  };
  std::vector<Entry> entries(records.size());
  std::string bytes;
  for (size_t i = 0; i < records.size(); ++i) {
    SerializeDeterministic(records[i], &bytes);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
    uint64_t hi = 0, lo = 0;
    for (int b = 0; b < 8; ++b) hi = (hi << 8) | md[b];
    for (int b = 8; b < 16; ++b) lo = (lo << 8) | md[b];
    entries[i] = Entry{{hi, lo}, i};
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.digest, a.index) < std::tie(b.digest, b.index);
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
