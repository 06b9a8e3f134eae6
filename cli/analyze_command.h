// `pprl analyze`: an analyst runs a study on the analyzer and gets report.json, report.html
// and the report on the terminal. Aggregates only.
#ifndef PPRL_CLI_ANALYZE_COMMAND_H_
#define PPRL_CLI_ANALYZE_COMMAND_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "service/rpc_util.h"

namespace pprl {

struct AnalyzeOptions {
  std::string analyzer;  // host:port
  TlsFiles tls;
  std::string study;     // a study TOML file; empty: the default (reference) study
  std::string json_out;  // where to write report.json (optional)
  std::string html_out;  // where to write report.html (optional)
  double deadline_seconds = 900;
};

[[nodiscard]] absl::Status RunAnalyze(const AnalyzeOptions& options, std::ostream& out);

}  // namespace pprl

#endif  // PPRL_CLI_ANALYZE_COMMAND_H_
