#include "proto/cohort_codec.h"

#include "core/text.h"
#include "proto/extract_codec.h"

namespace pprl {

void ToProto(const CohortSubjectIn& s, v1::CohortSubject* out) {
  out->Clear();
  out->set_subject_id(s.subject_id);
  for (const CohortCaseIn& c : s.cases) {
    v1::CohortCase* w = out->add_cases();
    w->set_event_day(c.first_discussed_day);
    ToProto(c.attributes, w->mutable_attributes());
    w->set_identity(c.identity);
  }
  for (const CohortEventIn& e : s.incidents) {
    v1::CohortEvent* w = out->add_incidents();
    w->set_event_day(e.day);
    w->set_category(e.category);
    w->set_role(e.role);
  }
  for (const CohortEventIn& e : s.convictions) out->add_convictions()->set_event_day(e.day);
  out->set_gender(std::string(1, s.gender));
  out->set_birth_band(s.birth_band);
}

absl::StatusOr<CohortSubjectIn> FromProto(const v1::CohortSubject& in) {
  CohortSubjectIn s;
  s.subject_id = in.subject_id();
  for (const v1::CohortCase& c : in.cases()) {
    CohortCaseIn out;
    out.first_discussed_day = c.event_day();
    absl::StatusOr<CaseAttributes> a = FromProto(c.attributes());
    if (!a.ok()) return absl::DataLossError(Cat("a malformed case: ", a.status().message()));
    out.attributes = std::move(*a);
    out.identity = c.identity();
    s.cases.push_back(std::move(out));
  }
  for (const v1::CohortEvent& e : in.incidents())
    s.incidents.push_back({e.event_day(), e.category(), e.role()});
  for (const v1::CohortEvent& e : in.convictions())
    s.convictions.push_back({e.event_day(), "", ""});
  if (in.gender() == "m" || in.gender() == "v" || in.gender() == "o") {
    s.gender = in.gender()[0];
  } else if (!in.gender().empty()) {
    return absl::DataLossError("a subject's gender is not m, v or o");
  }
  if (in.birth_band() != 0 && (in.birth_band() < 1800 || in.birth_band() > 2200 ||
                               in.birth_band() % kBirthBandYears != 0)) {
    return absl::DataLossError("a subject's birth band is not a multiple of 5 in 1800..2200");
  }
  s.birth_band = in.birth_band();
  return s;
}

absl::StatusOr<PoliceCoverage> CoverageFromProto(const v1::CohortResponse& in) {
  PoliceCoverage out;
  for (bool incidents : {true, false}) {
    if (!(incidents ? in.has_incidents_coverage() : in.has_convictions_coverage())) continue;
    const v1::PoliceCoverage& c = incidents ? in.incidents_coverage() : in.convictions_coverage();
    if (c.last_day() < c.first_day())
      return absl::InvalidArgumentError("a police coverage range ending before it starts");
    (incidents ? out.incidents : out.convictions) = DayRange{c.first_day(), c.last_day()};
    // The months with records: none (an older linker), or ascending, each once, from the
    // first day's month to the last day's, within years 1800..2200.
    const auto& months = c.months_with_records();
    if (months.empty()) continue;
    const int32_t first = MonthIndexOfDay(c.first_day()), last = MonthIndexOfDay(c.last_day());
    if (first < 1800 * 12 || last > 2200 * 12 + 11)
      return absl::InvalidArgumentError("a police coverage outside the years 1800 to 2200");
    if (months[0] != first || months[months.size() - 1] != last)
      return absl::InvalidArgumentError(
          "police coverage months that do not begin and end with its first and last day");
    for (int i = 1; i < months.size(); ++i) {
      if (months[i] <= months[i - 1])
        return absl::InvalidArgumentError("police coverage months not ascending or repeated");
    }
    (incidents ? out.incident_months : out.conviction_months).assign(months.begin(), months.end());
  }
  return out;
}

}  // namespace pprl
