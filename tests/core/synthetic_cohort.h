// A synthetic cohort for the disclosure tests: n subjects discussed in 2013 with varied
// attributes and police histories; every `unlinked_every`-th has none (not known to the
// police; 0: everyone is). Ids start at S(10000 + offset).
#ifndef PPRL_TESTS_CORE_SYNTHETIC_COHORT_H_
#define PPRL_TESTS_CORE_SYNTHETIC_COHORT_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "core/cohort_variables.h"
#include "core/dates.h"
#include "core/text.h"

namespace pprl {

inline std::vector<CohortSubjectIn> Subjects(int n, uint64_t seed = 7, int offset = 0,
                                             int unlinked_every = 4) {
  std::mt19937_64 rng(seed);
  std::vector<CohortSubjectIn> out;
  for (int i = 0; i < n; ++i) {
    CohortSubjectIn s;
    s.subject_id = Cat("S", 10000 + offset + i);
    s.gender = i % 3 ? 'm' : 'v';
    s.birth_band = 1985 + 5 * (i % 3);
    CohortCaseIn c;
    const int32_t t = DaysSinceEpoch({2013, 1 + i % 12, 1 + i % 27});
    c.first_discussed_day = t;
    // The age agrees with the band (a cohort subject's band comes from its case's age).
    c.attributes.age = 2013 - (s.birth_band + static_cast<int>(rng() % 5));
    c.attributes.gender = s.gender;
    c.attributes.kader = i % 2 ? "hic" : "jeugd";
    c.attributes.times_discussed = 1 + static_cast<int>(rng() % 4);
    c.attributes.life_domains = static_cast<int>(rng() % 9);
    c.attributes.goals = rng() % 2 == 0;
    c.attributes.decisions = rng() % 2 == 0;
    c.attributes.actions = rng() % 2 == 0;
    s.cases.push_back(c);
    const int events = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < events; ++e) {
      const int32_t day = t - 400 + static_cast<int32_t>(rng() % 800);
      s.incidents.push_back({day, "misdrijf", "verdachte"});
      if (rng() % 2) s.convictions.push_back({day + 30, "", ""});
    }
    auto by_day = [](const CohortEventIn& a, const CohortEventIn& b) { return a.day < b.day; };
    std::sort(s.incidents.begin(), s.incidents.end(), by_day);
    std::sort(s.convictions.begin(), s.convictions.end(), by_day);
    if (unlinked_every > 0 && i % unlinked_every == unlinked_every - 1) {
      s.incidents.clear();
      s.convictions.clear();
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pprl

#endif  // PPRL_TESTS_CORE_SYNTHETIC_COHORT_H_
