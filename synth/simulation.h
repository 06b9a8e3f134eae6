// A study on synthetic data without processes or network: synthesise the exports, pseudonymise
// them, link them with the linker's own code on an in-memory store and analyse them as the
// analyzer does. For the simulation test of the comparison group and the coverage bench; the
// end-to-end path over TLS is what `pprl demo` and its test run.
#ifndef PPRL_SYNTH_SIMULATION_H_
#define PPRL_SYNTH_SIMULATION_H_

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "synth/synthetic_exports.h"

namespace pprl {

// Writes the synthetic exports to `dir` and returns report.json for `study`.
[[nodiscard]] absl::StatusOr<nlohmann::json> SimulateStudy(const SynthOptions& synth,
                                                           const Study& study,
                                                           const std::string& dir);

}  // namespace pprl

#endif  // PPRL_SYNTH_SIMULATION_H_
