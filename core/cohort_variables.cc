#include "core/cohort_variables.h"

#include <algorithm>

namespace pprl {

WindowCounts CountWindows(const std::vector<int32_t>& days, Date t) {
  const int32_t t0 = DaysSinceEpoch(t);
  const int32_t q_before = DaysSinceEpoch(AddMonths(t, -3));
  const int32_t y_before = DaysSinceEpoch(AddMonths(t, -12));
  const int32_t q_after = DaysSinceEpoch(AddMonths(t, 3));
  const int32_t y_after = DaysSinceEpoch(AddMonths(t, 12));
  WindowCounts c;
  for (int32_t d : days) {
    if (d >= q_before && d < t0) ++c.quarter_before;
    if (d >= y_before && d < t0) ++c.year_before;
    if (d >= t0 && d < q_after) ++c.quarter_after;
    if (d >= t0 && d < y_after) ++c.year_after;
  }
  return c;
}

bool StudyCountsIncident(const Study& study, const CohortEventIn& e) {
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  if (contains(study.excluded_categories, e.category)) return false;
  return study.roles.empty() || contains(study.roles, e.role);
}

std::optional<CoveredMonths> CoveredWholeMonths(const PoliceCoverage& coverage) {
  std::optional<int32_t> first, last;
  for (const std::optional<DayRange>& kind : {coverage.incidents, coverage.convictions}) {
    if (!kind) continue;
    first = first ? std::max(*first, kind->first) : kind->first;
    last = last ? std::min(*last, kind->last) : kind->last;
  }
  if (!first) return std::nullopt;
  Date f = DateFromDays(*first);
  if (f.day != 1) f = AddMonths(Date{f.year, f.month, 1}, 1);
  Date l = DateFromDays(*last);
  if (l.day != DaysInMonth(l.year, l.month))
    l = DateFromDays(DaysSinceEpoch(Date{l.year, l.month, 1}) - 1);
  return CoveredMonths{f, l};
}

Study StudyWithinCoverage(const Study& study, const CoveredMonths& months) {
  // months.first is a month's first day, so t - 12m >= first exactly when t >= first + 12m
  // (clamping moves only a 29 February, within its month). The day after months.last is a
  // month's first day, so t + 12m <= that day exactly when t <= that day - 12m.
  const Date from = AddMonths(months.first, 12);
  const Date to = AddMonths(DateFromDays(DaysSinceEpoch(months.last) + 1), -12);
  Study s = study;
  if (!s.first_discussed_from || *s.first_discussed_from < from) s.first_discussed_from = from;
  if (!s.first_discussed_to || to < *s.first_discussed_to) s.first_discussed_to = to;
  return s;
}

Study StudyWithinCoverage(const Study& study, const PoliceCoverage& coverage) {
  const std::optional<CoveredMonths> months = CoveredWholeMonths(coverage);
  return months ? StudyWithinCoverage(study, *months) : study;
}

std::vector<SubjectVariables> BuildCohort(const std::vector<CohortSubjectIn>& subjects,
                                          const Study& study) {
  std::vector<SubjectVariables> out;
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (const CohortSubjectIn& s : subjects) {
    // The subject's qualifying cases; the earliest one is the reference.
    const CohortCaseIn* first = nullptr;
    for (const CohortCaseIn& c : s.cases) {
      if (!contains(study.kaders, c.attributes.kader)) continue;
      Date d = DateFromDays(c.first_discussed_day);
      if (study.first_discussed_from && d < *study.first_discussed_from) continue;
      if (study.first_discussed_to && *study.first_discussed_to < d) continue;
      if (first == nullptr || c.first_discussed_day < first->first_discussed_day) first = &c;
    }
    if (first == nullptr) continue;
    SubjectVariables v;
    v.subject_id = s.subject_id;
    v.reference_day = first->first_discussed_day;
    v.gender = first->attributes.gender;
    const Date t = DateFromDays(first->first_discussed_day);
    const CaseAttributes& a = first->attributes;
    if (a.age) v.values["age"] = *a.age;  // unknown for a placeholder birth date
    if (a.times_discussed) v.values["times_discussed"] = *a.times_discussed;
    if (a.life_domains) {
      v.values["life_domains"] = *a.life_domains;
      v.values["life_domains_capped"] = std::min(*a.life_domains, 8);
    }
    if (a.goals && a.decisions && a.actions) {
      v.values["plan"] = (*a.goals ? 1 : 0) + (*a.decisions ? 1 : 0) + (*a.actions ? 1 : 0);
    }
    v.in_incident_set = !s.incidents.empty() || study.unlinked_as_zero;
    v.in_conviction_set = !s.convictions.empty() || study.unlinked_as_zero;
    if (v.in_incident_set) {
      std::vector<int32_t> days;
      for (const CohortEventIn& e : s.incidents) {
        if (StudyCountsIncident(study, e)) days.push_back(e.day);
      }
      WindowCounts w = CountWindows(days, t);
      v.values["incidents_quarter_before"] = w.quarter_before;
      v.values["incidents_year_before"] = w.year_before;
      v.values["incidents_quarter_after"] = w.quarter_after;
      v.values["incidents_year_after"] = w.year_after;
    }
    if (v.in_conviction_set) {
      std::vector<int32_t> days;
      for (const CohortEventIn& e : s.convictions) days.push_back(e.day);
      WindowCounts w = CountWindows(days, t);
      v.values["convictions_quarter_before"] = w.quarter_before;
      v.values["convictions_year_before"] = w.year_before;
      v.values["convictions_quarter_after"] = w.quarter_after;
      v.values["convictions_year_after"] = w.year_after;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace pprl
