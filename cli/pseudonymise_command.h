// `pprl keygen` and `pprl pseudonymise`: the site-side commands that handle the key and raw
// exports. Parsing (flags -> options struct) is separate from running.
//
// Reads RAW IDENTITIES (the export) and writes PSEUDONYMS only (the extract file).
#ifndef PPRL_CLI_PSEUDONYMISE_COMMAND_H_
#define PPRL_CLI_PSEUDONYMISE_COMMAND_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "core/columns.h"

namespace pprl {

struct KeygenOptions {
  std::string out;
};
[[nodiscard]] absl::Status RunKeygen(const KeygenOptions& options, std::ostream& out);

struct PseudonymiseOptions {
  std::string key_file;
  ExportKind kind = ExportKind::kCases;
  std::string input;
  std::string output;
  std::string site;
  bool skip_invalid = false;
  int threads = 0;  // 0: one per core
};
// Exit status: OK when the extract was written; InvalidArgument when the export was refused.
[[nodiscard]] absl::Status RunPseudonymise(const PseudonymiseOptions& options, std::ostream& out);

}  // namespace pprl

#endif  // PPRL_CLI_PSEUDONYMISE_COMMAND_H_
