// A study on synthetic data without processes or network: synthesise the exports, pseudonymise
// them, link them with the linker's own code on an in-memory store and analyse them as the
// analyzer does. For the simulation test of the comparison group and the coverage bench; the
// end-to-end path over TLS is what `pprl demo` and its test run.
#ifndef PPRL_SYNTH_SIMULATION_H_
#define PPRL_SYNTH_SIMULATION_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "core/hmac_key.h"
#include "core/study.h"
#include "linker/linker_core.h"
#include "synth/synthetic_exports.h"

namespace pprl {

// Pseudonymises the three exports in `dir` with `key` and links them with the linker's own code
// on an in-memory store. With `skip_invalid` bad rows are left out (and counted in
// *rows_refused) instead of refusing the export.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> LinkExportsInMemory(
    const std::string& dir, const HmacKey& key, bool skip_invalid, int64_t* rows_refused);

// Writes the synthetic exports to `dir` and returns report.json for `study`.
[[nodiscard]] absl::StatusOr<nlohmann::json> SimulateStudy(const SynthOptions& synth,
                                                           const Study& study,
                                                           const std::string& dir);

}  // namespace pprl

#endif  // PPRL_SYNTH_SIMULATION_H_
