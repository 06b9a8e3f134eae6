// `pprl synth`, `pprl evaluate-linkage` and `pprl demo`: the whole study on one machine.
#ifndef PPRL_CLI_DEMO_COMMAND_H_
#define PPRL_CLI_DEMO_COMMAND_H_

#include <iosfwd>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "synth/synthetic_exports.h"

namespace pprl {

[[nodiscard]] absl::Status RunSynth(const std::string& out_dir, const SynthOptions& options,
                                    std::ostream& out);

struct LinkageQuality {
  int64_t true_pairs = 0, found_pairs = 0, correct_pairs = 0;
  double precision = 0, recall = 0, f1 = 0;
  std::map<std::string, int64_t> misses_by_cause;       // true pairs not found
  std::map<std::string, int64_t> false_links_by_cause;  // found pairs that are wrong
};
// Case-to-police-record pairs of links.csv against the synthetic ground truth.
[[nodiscard]] absl::StatusOr<LinkageQuality> EvaluateLinkage(const std::string& truth_csv,
                                                             const std::string& links_csv);
std::string FormatLinkageQuality(const LinkageQuality& q);

struct DemoOptions {
  std::string data_dir;  // empty: synthesise
  std::string out_dir = "pprl-demo";
  SynthOptions synth = {.effect = -0.25};  // the demo shows a real, known effect
  // Keep the daemons running after the study until SIGINT or SIGTERM, with their addresses
  // and the certificate directory in OUT/serve.env (for scripts playing a role against them).
  bool serve = false;
  // Submit the exports with --skip-invalid: bad rows are listed and left out instead of
  // refusing their whole export.
  bool skip_invalid = false;
};
// Starts a linker, an analyzer, a police and a Veiligheidshuis agent on loopback with fresh
// certificates and key, submits the three exports, links, runs the default study, writes
// OUT/report.json, OUT/report.html and OUT/links.csv, prints the report and stops everything.
// An export refused for bad rows: its first errors are printed (file, line, column, reason)
// and InvalidArgument returned. A study the analyzer refuses (disclosure control): the report
// files hold the refusal and its reason, the rest of the demo runs, and the refusal
// (FailedPrecondition) is returned.
[[nodiscard]] absl::Status RunDemo(const DemoOptions& options, const std::string& self_path,
                                   std::ostream& out);

}  // namespace pprl

#endif  // PPRL_CLI_DEMO_COMMAND_H_
