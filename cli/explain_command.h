// `pprl explain`: why two rows of a site's exports do or do not link. For the data officer, AT
// THE SITE: it reads the exports (RAW IDENTITIES) and the site key, and prints both rows'
// normalised fields and their match keys level by level (from core/match_keys, so every level
// the cascade has is shown). It sends nothing anywhere; identities go only to the officer's
// terminal.
#ifndef PPRL_CLI_EXPLAIN_COMMAND_H_
#define PPRL_CLI_EXPLAIN_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/columns.h"
#include "core/hmac_key.h"
#include "core/match_keys.h"
#include "core/row_parser.h"

namespace pprl {

struct ExplainOptions {
  std::string key_file;           // the site key; or from the agent's config
  std::string config_file;        // the agent's config: key_file and [columns]
  std::string kind;               // cases, incidents or convictions; empty: from each file's header
  std::vector<std::string> rows;  // two references FILE:LINE (the line as errors name it)
};

// One row as the agent sees it.
struct ExplainedRow {
  std::string file;
  int64_t line = 0;
  ExportKind kind = ExportKind::kCases;
  bool valid = false;
  std::vector<RowError> errors;  // when not valid
  NormalisedIdentity identity;   // RAW IDENTITY
  std::string glued_surname;     // RAW IDENTITY: the second reading ("vandijk"), or empty
  IdentityShape shape;
  std::vector<MatchKey> keys;  // per level the row's own reading first, then the glued one
};

// Reads the row that starts at `line` of `file` ("FILE:LINE" split by the caller) and
// validates, normalises and keys it as a submission would. `kind` empty: the kind whose
// columns the header has.
[[nodiscard]] absl::StatusOr<ExplainedRow> ExplainRow(const HmacKey& key, const std::string& file,
                                                      int64_t line, std::optional<ExportKind> kind,
                                                      const ColumnMapping& mapping = {});

// The levels at which both rows have a key in common (either reading of either row, as the
// linker compares them), strongest first.
std::vector<KeyLevel> SharedLevels(const ExplainedRow& a, const ExplainedRow& b);

// Prints both rows and the levels they share to `out`. InvalidArgument for a bad reference.
[[nodiscard]] absl::Status RunExplain(const ExplainOptions& options, std::ostream& out);

}  // namespace pprl

#endif  // PPRL_CLI_EXPLAIN_COMMAND_H_
