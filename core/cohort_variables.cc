#include "core/cohort_variables.h"

#include <algorithm>
#include <tuple>

namespace pprl {

std::array<int32_t, 8> CountQuarters(const std::vector<int32_t>& days, Date t) {
  std::array<int32_t, 9> bounds;
  for (int q = 0; q <= 8; ++q) bounds[q] = DaysSinceEpoch(AddMonths(t, 3 * (q - 4)));
  std::array<int32_t, 8> c{};
  for (int32_t d : days) {
    if (d < bounds[0] || d >= bounds[8]) continue;
    int q = 0;
    while (d >= bounds[q + 1]) ++q;
    ++c[q];
  }
  return c;
}

namespace {
// The four windows as sums of the eight quarters (q = 3 is the one just before the reference
// day, 4 the one from it).
WindowCounts WindowsOfQuarters(const std::array<int32_t, 8>& c) {
  return {c[3], c[0] + c[1] + c[2] + c[3], c[4], c[4] + c[5] + c[6] + c[7]};
}
}  // namespace

WindowCounts CountWindows(const std::vector<int32_t>& days, Date t) {
  return WindowsOfQuarters(CountQuarters(days, t));
}

void SetPoliceCounts(SubjectVariables& v, bool linked_incidents, bool linked_convictions,
                     const std::array<int32_t, 8>& incident_quarters,
                     const std::array<int32_t, 8>& conviction_quarters, const Study& study) {
  v.linked_incidents = linked_incidents;
  v.linked_convictions = linked_convictions;
  v.in_incident_set = linked_incidents || study.unlinked_as_zero;
  v.in_conviction_set = linked_convictions || study.unlinked_as_zero;
  v.incident_quarters = linked_incidents ? incident_quarters : std::array<int32_t, 8>{};
  v.conviction_quarters = linked_convictions ? conviction_quarters : std::array<int32_t, 8>{};
  for (const auto& [kind, in_set, q] :
       {std::tuple{"incidents", v.in_incident_set, &v.incident_quarters},
        std::tuple{"convictions", v.in_conviction_set, &v.conviction_quarters}}) {
    const WindowCounts w = WindowsOfQuarters(*q);
    const std::pair<const char*, double> windows[] = {{"_quarter_before", w.quarter_before},
                                                      {"_year_before", w.year_before},
                                                      {"_quarter_after", w.quarter_after},
                                                      {"_year_after", w.year_after}};
    for (const auto& [suffix, count] : windows) {
      const std::string name = std::string(kind) + suffix;
      if (in_set) {
        v.values[name] = count;
      } else {
        v.values.erase(name);
      }
    }
  }
}

bool StudyCountsIncident(const Study& study, const CohortEventIn& e) {
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  if (contains(study.excluded_categories, e.category)) return false;
  return study.roles.empty() || contains(study.roles, e.role);
}

int32_t MonthIndex(const Date& d) { return d.year * 12 + d.month - 1; }

Date MonthStart(int32_t month) {
  const int32_t year = month >= 0 ? month / 12 : (month - 11) / 12;
  return Date{year, month - year * 12 + 1, 1};
}

std::vector<MonthStretch> StretchesOfMonths(const std::vector<int32_t>& months) {
  std::vector<MonthStretch> out;
  for (int32_t m : months) {
    if (!out.empty() && m - out.back().last - 1 <= kBridgedEmptyMonths) {
      out.back().last = std::max(out.back().last, m);
    } else {
      out.push_back({m, m});
    }
  }
  return out;
}

namespace {

// A kind's stretches: from its months, or (an older linker) the whole months inside its days.
std::vector<MonthStretch> KindStretches(const DayRange& days, const std::vector<int32_t>& months) {
  if (!months.empty()) return StretchesOfMonths(months);
  const Date f = DateFromDays(days.first), l = DateFromDays(days.last);
  const int32_t first = MonthIndex(f) + (f.day != 1 ? 1 : 0);
  const int32_t last = MonthIndex(l) - (l.day != DaysInMonth(l.year, l.month) ? 1 : 0);
  if (last < first) return {};
  return {{first, last}};
}

// The months in both lists of stretches (each ascending and disjoint).
std::vector<MonthStretch> Intersect(const std::vector<MonthStretch>& a,
                                    const std::vector<MonthStretch>& b) {
  std::vector<MonthStretch> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int32_t first = std::max(a[i].first, b[j].first);
    const int32_t last = std::min(a[i].last, b[j].last);
    if (first <= last) out.push_back({first, last});
    if (a[i].last < b[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<MonthStretch>> CoveredStretches(const PoliceCoverage& coverage) {
  std::optional<std::vector<MonthStretch>> out;
  if (coverage.incidents) out = KindStretches(*coverage.incidents, coverage.incident_months);
  if (coverage.convictions) {
    std::vector<MonthStretch> c = KindStretches(*coverage.convictions, coverage.conviction_months);
    out = out ? Intersect(*out, c) : std::move(c);
  }
  return out;
}

std::vector<std::pair<Date, Date>> AllowedReferenceDays(
    const std::vector<MonthStretch>& stretches) {
  // t - 12m >= the 1st of m1 exactly when t >= the 1st of m1 + 12 (clamping moves only a 29
  // February, within its month); t + 12m <= the 1st of m2 + 1 (the window is half-open)
  // exactly when t <= the 1st of m2 - 11.
  std::vector<std::pair<Date, Date>> out;
  for (const MonthStretch& s : stretches) {
    if (s.last - 11 >= s.first + 12)
      out.emplace_back(MonthStart(s.first + 12), MonthStart(s.last - 11));
  }
  return out;
}

Study StudyWithinCoverage(const Study& study, const std::vector<MonthStretch>& stretches) {
  Study s = study;
  s.covered_first_discussed = AllowedReferenceDays(stretches);
  return s;
}

Study StudyWithinCoverage(const Study& study, const PoliceCoverage& coverage) {
  const std::optional<std::vector<MonthStretch>> stretches = CoveredStretches(coverage);
  return stretches ? StudyWithinCoverage(study, *stretches) : study;
}

bool StudySelectsCase(const Study& study, const CohortCaseIn& c) {
  if (std::find(study.kaders.begin(), study.kaders.end(), c.attributes.kader) == study.kaders.end())
    return false;
  const Date d = DateFromDays(c.first_discussed_day);
  if (study.first_discussed_from && d < *study.first_discussed_from) return false;
  if (study.first_discussed_to && *study.first_discussed_to < d) return false;
  if (!study.covered_first_discussed) return true;
  for (const auto& [from, to] : *study.covered_first_discussed) {
    if (!(d < from) && !(to < d)) return true;
  }
  return false;
}

std::vector<SubjectVariables> BuildCohort(const std::vector<CohortSubjectIn>& subjects,
                                          const Study& study) {
  std::vector<SubjectVariables> out;
  for (const CohortSubjectIn& s : subjects) {
    // The subject's qualifying cases; the earliest one is the reference.
    const CohortCaseIn* first = nullptr;
    for (const CohortCaseIn& c : s.cases) {
      if (!StudySelectsCase(study, c)) continue;
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
    std::vector<int32_t> incident_days, conviction_days;
    for (const CohortEventIn& e : s.incidents) {
      if (StudyCountsIncident(study, e)) incident_days.push_back(e.day);
    }
    for (const CohortEventIn& e : s.convictions) conviction_days.push_back(e.day);
    SetPoliceCounts(v, !s.incidents.empty(), !s.convictions.empty(),
                    CountQuarters(incident_days, t), CountQuarters(conviction_days, t), study);
    out.push_back(std::move(v));
  }
  // A case attribute the case file lacks is the median of the cohort's known values (the lower
  // one of two), for models and correlations; one nobody in the cohort has stays missing. All of
  // this is the case file's, which the analyst holds: who is filled does not depend on police
  // data, and every subject of a count's set is in the models over it.
  for (const std::string& name : StudyVariableNames()) {
    if (PoliceCountVariable(name)) continue;
    std::vector<double> known;
    for (const SubjectVariables& v : out) {
      if (auto it = v.values.find(name); it != v.values.end()) known.push_back(it->second);
    }
    if (known.empty()) continue;
    std::sort(known.begin(), known.end());
    const double median = known[(known.size() - 1) / 2];
    for (SubjectVariables& v : out) {
      if (!v.values.contains(name)) v.filled[name] = median;
    }
  }
  return out;
}

double AnalysisValue(const SubjectVariables& s, const std::string& variable) {
  if (auto it = s.values.find(variable); it != s.values.end()) return it->second;
  return s.filled.at(variable);
}

}  // namespace pprl
