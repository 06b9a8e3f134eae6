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
    : path_(std::move(path)), partial_path_(path_ + ".partial"), out_(std::move(out)) {}

ExtractFileWriter::~ExtractFileWriter() {
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
  // Serialised once: the same bytes are digested and written as the frame's record field.
  ToProto(record, &record_);
  SerializeDeterministic(record_, &record_bytes_);
  digester_.AddSerialized(record_bytes_);
  ++count_;
  constexpr uint32_t kRecordTag = 0x12;  // ExtractFrame.record: field 2, length-delimited
  const uint32_t len = static_cast<uint32_t>(record_bytes_.size());
  scratch_.clear();
  {
    google::protobuf::io::StringOutputStream sos(&scratch_);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.WriteVarint32(1 + google::protobuf::io::CodedOutputStream::VarintSize32(len) + len);
    cos.WriteTag(kRecordTag);
    cos.WriteVarint32(len);
    cos.WriteRaw(record_bytes_.data(), static_cast<int>(len));
  }
  out_.write(scratch_.data(), static_cast<std::streamsize>(scratch_.size()));
  if (!out_) return absl::UnavailableError(Cat("cannot write ", partial_path_));
  return absl::OkStatus();
}

absl::Status ExtractFileWriter::Commit() {
  v1::ExtractFrame frame;
  frame.mutable_trailer()->set_record_count(count_);
  frame.mutable_trailer()->set_records_digest(digester_.HexDigest());
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
  RecordDigester digester;
  bool have_header = false, have_trailer = false;
  v1::ExtractTrailer trailer;
  uint32_t size = 0;
  while (in.ReadVarint32(&size)) {
    auto limit = in.PushLimit(static_cast<int>(size));
    v1::ExtractFrame frame;
    bool ok = frame.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
    in.PopLimit(limit);
    if (!ok || have_trailer) return absl::DataLossError(Cat(path, ": a damaged frame"));
    if (frame.has_header() && !have_header) {
      contents.header = frame.header();
      have_header = true;
    } else if (frame.has_record() && have_header) {
      digester.Add(frame.record());
      contents.records.push_back(frame.record());
    } else if (frame.has_trailer() && have_header) {
      trailer = frame.trailer();
      have_trailer = true;
    } else {
      return absl::DataLossError(Cat(path, ": frames out of order"));
    }
  }
  if (!have_trailer) return absl::DataLossError(Cat(path, ": truncated (no trailer)"));
  if (trailer.record_count() != contents.records.size() ||
      trailer.records_digest() != digester.HexDigest()) {
    return absl::DataLossError(Cat(path, ": record count or digest does not match"));
  }
  return contents;
}

}  // namespace pprl
