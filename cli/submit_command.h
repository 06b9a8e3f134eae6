// `pprl submit`: a data officer hands an export to the site's agent. The file's bytes go only
// to the agent (inside the site); the officer gets the agent's report.
#ifndef PPRL_CLI_SUBMIT_COMMAND_H_
#define PPRL_CLI_SUBMIT_COMMAND_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "core/columns.h"
#include "proto/agent.pb.h"
#include "service/rpc_util.h"

namespace pprl {

struct SubmitOptions {
  std::string agent;  // host:port
  TlsFiles tls;
  ExportKind kind = ExportKind::kCases;
  std::string file;
  bool dry_run = false;
  bool skip_invalid = false;
  double deadline_seconds = 3600;
};

// OK when the export was uploaded (or validated, for a dry run); InvalidArgument when it was
// refused for bad rows; another error when it could not be submitted. The agent's report is
// printed to `out` and, when `report` is given, kept there (the demo shows its errors).
[[nodiscard]] absl::Status RunSubmit(const SubmitOptions& options, std::ostream& out,
                                     v1::SubmitReport* report = nullptr);

}  // namespace pprl

#endif  // PPRL_CLI_SUBMIT_COMMAND_H_
