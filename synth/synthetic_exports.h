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
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pprl {

// The registration errors of issue 13, each a probability per written row (namesakes: per
// person). Rows draw every kind independently, so kinds combine (a swapped day and month on a
// row without a first name happens at the product of the two rates).
struct ErrorRates {
  double surname_letter_substituted = 0;  // "Verhulst" -> "Verhukst"
  double surname_letter_added = 0;        // "Bakker" -> "Bakkerr"
  double surname_letter_dropped = 0;      // "Visser" -> "Viser"
  double surname_letters_transposed = 0;  // "Mulder" -> "Mudler"
  double first_name_changed = 0;          // another first name (or initial), same person
  double names_swapped = 0;               // first name in the surname field and back
  double birth_date_digit = 0;            // one digit of the birth date wrong (still a date)
  double day_month_swapped = 0;           // 1980-03-05 -> 1980-05-03 (day <= 12)
  double stray_space = 0;                 // "Ward" -> "War d" (read as a prefix)
  double missing_first_name = 0;          // no first name or initials at all
  double sound_typo = 0;                  // ij/y, doubled letters (what the phonetic key fixes)
  double partial_initials = 0;            // only the first of several initials
  double dropped_diacritics = 0;          // of a name that has them
};
// Per source; namesakes per person: another person with the same surname and birth date.
struct ErrorModel {
  ErrorRates cases, incidents, convictions;
  double namesakes = 0;
};
// `pprl synth`'s and `pprl demo`'s default: the kinds the exact-key cascade was built for at
// the rates of the reference study, and the other kinds rarely, on police rows only.
ErrorModel DefaultErrorModel();
// "Realistic registration errors": every kind on every source at rates seen in real
// registers (a few percent per kind), for the linkage-quality bench.
ErrorModel RealisticErrorModel();
// The named preset ("default", "realistic" or "none").
[[nodiscard]] absl::StatusOr<ErrorModel> ErrorModelPreset(std::string_view name);
// Sets one kind's rate on every source ("birth_date_digit=0.03"; "namesakes=0.01").
[[nodiscard]] absl::Status SetErrorRate(std::string_view assignment, ErrorModel* model);
// The names of the kinds, as written in the ground truth.
const std::vector<std::string>& ErrorKindNames();

// How offending, convictions and referral are generated, beyond the error model. Two presets:
// StudyCalibration() (the default of `pprl synth` and `pprl demo`) reproduces the reference
// study's drop in convictions (1.24 -> 0.55 in the year); SelectionOnlyCalibration() is the
// older model in which referral follows incidents only, kept byte-identical for the simulation
// test of the comparison group and the comparison-coverage bench.
struct Calibration {
  // Conviction rate during an episode of offending: 1 + weight * (incident multiplier - 1).
  double conviction_episode_weight = 0.5;
  // Referral weight per conviction in the year before a candidate discussion date (besides
  // one per counted incident in the quarter before).
  double referral_conviction_weight = 0;
  // The true change of incidents and of convictions in the year after: effect * these (at least
  // -1).
  double incident_effect_scale = 1;
  double conviction_effect_scale = 1;
};
Calibration StudyCalibration();
Calibration SelectionOnlyCalibration();

struct SynthOptions {
  uint64_t seed = 2013;
  int people = 20000;  // police population
  int cases = 213;     // Veiligheidshuis case subjects discussed in the study year
  int year = 2013;
  double effect = 0;  // true relative change of offending after a discussion (0: none)
  Calibration calibration = StudyCalibration();
  ErrorModel errors = DefaultErrorModel();
};

struct SynthSummary {
  int people = 0, cases = 0;
  int64_t incident_rows = 0, conviction_rows = 0;
};

// Writes DIR/cases.csv, DIR/incidents.csv, DIR/convictions.csv and DIR/truth/truth.csv.
// truth.csv: source,record_id,person_id,errors — one row per written record; source is cases,
// incidents or convictions; person_id the invented person; errors the kinds applied to that
// row joined by '+' (ErrorKindNames(), plus "twin" and "namesake" for people who share surname
// and birth date with another), empty for a row written without error.
[[nodiscard]] absl::StatusOr<SynthSummary> WriteSyntheticExports(const std::string& dir,
                                                                 const SynthOptions& options);

}  // namespace pprl

#endif  // PPRL_SYNTH_SYNTHETIC_EXPORTS_H_
