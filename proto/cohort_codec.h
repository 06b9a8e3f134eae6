// Conversion between the analyzer's cohort input (core/cohort_variables.h) and the linker's
// wire message. PSEUDONYMS only: subject ids, event days, attributes. Pure, thread-safe.
#ifndef PPRL_PROTO_COHORT_CODEC_H_
#define PPRL_PROTO_COHORT_CODEC_H_

#include "absl/status/statusor.h"
#include "core/cohort_variables.h"
#include "proto/linker.pb.h"

namespace pprl {

void ToProto(const CohortSubjectIn& subject, v1::CohortSubject* out);
// Validates what the wire may carry (case attributes, gender code, birth band).
[[nodiscard]] absl::StatusOr<CohortSubjectIn> FromProto(const v1::CohortSubject& in);

// The police data's coverage sent with the cohort (GetCohort); a range whose last day precedes
// its first is refused.
[[nodiscard]] absl::StatusOr<PoliceCoverage> CoverageFromProto(const v1::CohortResponse& in);

}  // namespace pprl

#endif  // PPRL_PROTO_COHORT_CODEC_H_
