// Realistic synthetic site exports for the demo and the tests: a population of made-up
// Dutch-named people (common surnames with prefixes; Moroccan, Turkish, Surinamese and other
// names with diacritics; twins who share surname and birth date), police incidents and
// convictions over several years, and a Veiligheidshuis cohort discussed in one year whose
// referral follows a rise in incidents. The exports carry the registration errors real ones
// have (typos, missing or partial initials, swapped day and month, dropped diacritics,
// prefixes written three ways, mixed date formats, ';' exports with Dutch headers).
//
// The ground truth (which person each record belongs to, and what was distorted) goes to a
// separate file the pipeline never reads. Every name is invented by the generator. Pure given
// the seed; writes files only in WriteSyntheticExports.
#ifndef PPRL_SYNTH_SYNTHETIC_EXPORTS_H_
#define PPRL_SYNTH_SYNTHETIC_EXPORTS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace pprl {

struct SynthOptions {
  uint64_t seed = 2013;
  int people = 20000;  // police population
  int cases = 213;     // Veiligheidshuis case subjects discussed in the study year
  int year = 2013;
  double effect = 0;  // true relative change of offending after a discussion (0: none)
};

struct SynthSummary {
  int people = 0, cases = 0;
  int64_t incident_rows = 0, conviction_rows = 0;
};

// Writes DIR/cases.csv, DIR/incidents.csv, DIR/convictions.csv and DIR/truth/truth.csv.
[[nodiscard]] absl::StatusOr<SynthSummary> WriteSyntheticExports(const std::string& dir,
                                                                 const SynthOptions& options);

}  // namespace pprl

#endif  // PPRL_SYNTH_SYNTHETIC_EXPORTS_H_
