// Extract files: a pseudonymised extract written to disk (by `pprl pseudonymise`) in the same
// messages the agent sends over gRPC.
//
// Layout: the line "PPRL-EXTRACT-1\n", then length-delimited ExtractFrame messages: one header,
// the records in the export's row order, one trailer with the count and the content digest (hex
// SHA-256 over the records' deterministic serialisation in file order; an upload sends the
// records in UploadOrder, agent/linker_uploader.h, and announces that order's digest). The writer
// writes to "<path>.partial", syncs and renames, so a reader never sees half a file.
// PSEUDONYMS only. Not thread-safe.
#ifndef PPRL_AGENT_EXTRACT_FILE_H_
#define PPRL_AGENT_EXTRACT_FILE_H_

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/pseudonymous_record.h"
#include "proto/extract.pb.h"
#include "proto/extract_codec.h"

namespace pprl {

class ExtractFileWriter {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ExtractFileWriter>> Create(
      const std::string& path, const v1::ExtractHeader& header);
  ~ExtractFileWriter();  // removes the partial file unless Commit() succeeded

  [[nodiscard]] absl::Status Append(const PseudonymousRecord& record);
  // Writes the trailer, syncs and renames into place.
  [[nodiscard]] absl::Status Commit();
  uint64_t record_count() const { return count_; }

 private:
  ExtractFileWriter(std::string path, std::ofstream out);
  [[nodiscard]] absl::Status WriteFrame(const v1::ExtractFrame& frame);

  std::string path_;
  std::string partial_path_;
  std::ofstream out_;
  RecordDigester digester_;
  uint64_t count_ = 0;
  bool committed_ = false;
  v1::PseudonymisedRecord record_;
  std::string record_bytes_;
  std::string scratch_;
};

struct ExtractFileContents {
  v1::ExtractHeader header;
  std::vector<v1::PseudonymisedRecord> records;
};

// Reads and checks a whole extract file (count and digest).
[[nodiscard]] absl::StatusOr<ExtractFileContents> ReadExtractFile(const std::string& path);

}  // namespace pprl

#endif  // PPRL_AGENT_EXTRACT_FILE_H_
