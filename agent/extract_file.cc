#include "agent/extract_file.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <unistd.h>

#include <cstdio>

#include "core/text.h"
#include "proto/extract_codec.h"

namespace pprl {
namespace {

constexpr std::string_view kMagic = "PPRL-EXTRACT-1\n";

absl::Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(Cat("cannot open ", path, " to sync"));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::UnavailableError(Cat("cannot sync ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExtractFileWriter>> ExtractFileWriter::Create(
    const std::string& path, const v1::ExtractHeader& header) {
  std::string partial = path + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) return absl::UnavailableError(Cat("cannot create ", partial));
  out.write(kMagic.data(), static_cast<std::streamsize>(kMagic.size()));
  std::unique_ptr<ExtractFileWriter> w(new ExtractFileWriter(path, std::move(out)));
  v1::ExtractFrame frame;
  *frame.mutable_header() = header;
  absl::Status s = w->WriteFrame(frame);
  if (!s.ok()) return s;
  return w;
}

ExtractFileWriter::ExtractFileWriter(std::string path, std::ofstream out)
    : path_(std::move(path)), partial_path_(path_ + ".partial"), out_(std::move(out)) {
  digest_ = EVP_MD_CTX_new();
  EVP_DigestInit_ex(digest_, EVP_sha256(), nullptr);
}

ExtractFileWriter::~ExtractFileWriter() {
  EVP_MD_CTX_free(digest_);
  if (!committed_) {
    out_.close();
    std::remove(partial_path_.c_str());
  }
}

absl::Status ExtractFileWriter::WriteFrame(const v1::ExtractFrame& frame) {
  scratch_.clear();
  {
    google::protobuf::io::StringOutputStream sos(&scratch_);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.WriteVarint32(static_cast<uint32_t>(frame.ByteSizeLong()));
    frame.SerializeWithCachedSizes(&cos);
  }
  out_.write(scratch_.data(), static_cast<std::streamsize>(scratch_.size()));
  if (!out_) return absl::UnavailableError(Cat("cannot write ", partial_path_));
  return absl::OkStatus();
}

absl::Status ExtractFileWriter::Append(const PseudonymousRecord& record) {
  ToProto(record, frame_.mutable_record());
  std::string bytes = frame_.record().SerializeAsString();
  EVP_DigestUpdate(digest_, bytes.data(), bytes.size());
  ++count_;
  return WriteFrame(frame_);
}

absl::Status ExtractFileWriter::Commit() {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(digest_, md, &len);
  v1::ExtractFrame frame;
  frame.mutable_trailer()->set_record_count(count_);
  frame.mutable_trailer()->set_records_digest(reinterpret_cast<char*>(md), len);
  absl::Status s = WriteFrame(frame);
  if (!s.ok()) return s;
  out_.close();
  if (!out_) return absl::UnavailableError(Cat("cannot write ", partial_path_));
  s = SyncFile(partial_path_);
  if (!s.ok()) return s;
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    return absl::UnavailableError(Cat("cannot rename ", partial_path_, " to ", path_));
  }
  committed_ = true;
  return absl::OkStatus();
}

absl::StatusOr<ExtractFileContents> ReadExtractFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(Cat("cannot open ", path));
  google::protobuf::io::FileInputStream fis(fd);
  fis.SetCloseOnDelete(true);
  google::protobuf::io::CodedInputStream in(&fis);
  in.SetTotalBytesLimit(INT32_MAX);
  std::string magic;
  if (!in.ReadString(&magic, static_cast<int>(kMagic.size())) || magic != kMagic) {
    return absl::InvalidArgumentError(Cat(path, " is not a pprl extract file"));
  }
  ExtractFileContents contents;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  bool have_header = false, have_trailer = false;
  v1::ExtractTrailer trailer;
  uint32_t size = 0;
  while (in.ReadVarint32(&size)) {
    auto limit = in.PushLimit(static_cast<int>(size));
    v1::ExtractFrame frame;
    bool ok = frame.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
    in.PopLimit(limit);
    if (!ok || have_trailer) {
      EVP_MD_CTX_free(md);
      return absl::DataLossError(Cat(path, ": a damaged frame"));
    }
    if (frame.has_header() && !have_header) {
      contents.header = frame.header();
      have_header = true;
    } else if (frame.has_record() && have_header) {
      std::string bytes = frame.record().SerializeAsString();
      EVP_DigestUpdate(md, bytes.data(), bytes.size());
      contents.records.push_back(frame.record());
    } else if (frame.has_trailer() && have_header) {
      trailer = frame.trailer();
      have_trailer = true;
    } else {
      EVP_MD_CTX_free(md);
      return absl::DataLossError(Cat(path, ": frames out of order"));
    }
  }
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md, digest, &len);
  EVP_MD_CTX_free(md);
  if (!have_trailer) return absl::DataLossError(Cat(path, ": truncated (no trailer)"));
  if (trailer.record_count() != contents.records.size() ||
      trailer.records_digest() != std::string(reinterpret_cast<char*>(digest), len)) {
    return absl::DataLossError(Cat(path, ": record count or digest does not match"));
  }
  return contents;
}

}  // namespace pprl
