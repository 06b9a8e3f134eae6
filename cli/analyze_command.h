// `pprl analyze`: an analyst runs a study on the analyzer and gets report.json, report.html
// and the report on the terminal. Aggregates only.
#ifndef PPRL_CLI_ANALYZE_COMMAND_H_
#define PPRL_CLI_ANALYZE_COMMAND_H_

#include <iosfwd>
#include <string>
#include <string_view>

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

// When the analyzer refuses the study (FailedPrecondition: disclosure control, e.g. a cohort
// smaller than min_cell), report.json and report.html are still written, holding only the
// refusal and its reason (`{"schema": "pprl.report.v1", "refused": {"reason": ...}}`), and the
// refusal is returned.
[[nodiscard]] absl::Status RunAnalyze(const AnalyzeOptions& options, std::ostream& out);

// The report.json and report.html of a refused study.
std::string RefusedReportJson(std::string_view reason);
std::string RefusedReportHtml(std::string_view reason);

}  // namespace pprl

#endif  // PPRL_CLI_ANALYZE_COMMAND_H_
