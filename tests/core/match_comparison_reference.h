// The matched comparison group's matching as it was first written: for every cohort subject,
// every pool subject of its birth band is counted in the four windows and ranked. O(cohort x
// pool) window counts; kept (test and bench only) as the reference the indexed MatchComparison
// must equal exactly, and as the benchmark's baseline.
#ifndef PPRL_TESTS_CORE_MATCH_COMPARISON_REFERENCE_H_
#define PPRL_TESTS_CORE_MATCH_COMPARISON_REFERENCE_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/comparison.h"
#include "core/dates.h"

namespace pprl::reference {

inline int CountIn(const std::vector<int32_t>& days, int32_t from, int32_t to) {
  return static_cast<int>(std::lower_bound(days.begin(), days.end(), to) -
                          std::lower_bound(days.begin(), days.end(), from));
}

inline int32_t MonthsFrom(int32_t t, int months) {
  return DaysSinceEpoch(AddMonths(DateFromDays(t), months));
}

inline uint64_t Mix(uint64_t x) {  // SplitMix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

struct Windows {
  int32_t year_before, quarter_before, t;
};
inline Windows WindowsAt(int32_t t) { return {MonthsFrom(t, -12), MonthsFrom(t, -3), t}; }

inline std::array<double, 4> PriorIn(const PersonHistory& h, const Windows& w) {
  return {static_cast<double>(CountIn(h.incidents, w.quarter_before, w.t)),
          static_cast<double>(CountIn(h.incidents, w.year_before, w.t)),
          static_cast<double>(CountIn(h.convictions, w.quarter_before, w.t)),
          static_cast<double>(CountIn(h.convictions, w.year_before, w.t))};
}

inline double SampleVariance(const std::vector<double>& v) {
  double sw = 0, sx = 0;
  for (double x : v) sw += 1.0, sx += x;
  const double mean = sx / sw;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return v.size() > 1 ? ss / sw * static_cast<double>(v.size()) / static_cast<double>(v.size() - 1)
                      : 0.0;
}

inline Matching MatchComparison(const std::vector<Treated>& treated,
                                const std::vector<PersonHistory>& pool,
                                const ComparisonSettings& s) {
  std::map<int, std::vector<size_t>> strata;
  std::vector<uint64_t> pool_hash(pool.size());
  for (size_t j = 0; j < pool.size(); ++j) {
    pool_hash[j] = Fnv1a(pool[j].subject_id);
    if (pool[j].birth_band == 0) continue;
    strata[pool[j].birth_band].push_back(j);
  }
  double scale[4] = {0.5, 0.5, 0.5, 0.5};
  if (treated.size() > 1) {
    std::vector<double> v[4];
    for (const Treated& t : treated) {
      const std::array<double, 4> c = PriorIn(t.history, WindowsAt(t.reference_day));
      for (int k = 0; k < 4; ++k) v[k].push_back(c[k]);
    }
    for (int k = 0; k < 4; ++k) scale[k] = std::max(0.5, std::sqrt(SampleVariance(v[k])));
  }
  Matching m;
  std::vector<std::tuple<double, uint64_t, size_t>> candidates;
  for (size_t i = 0; i < treated.size(); ++i) {
    const Treated& t = treated[i];
    auto it = strata.find(t.history.birth_band);
    if (t.history.birth_band == 0 || it == strata.end()) {
      ++m.unmatched;
      continue;
    }
    const Windows w = WindowsAt(t.reference_day);
    const std::array<double, 4> a = PriorIn(t.history, w);
    const uint64_t key = Mix(s.seed ^ Fnv1a(t.history.subject_id));
    candidates.clear();
    for (size_t j : it->second) {
      if (t.history.gender != 'o' && pool[j].gender != 'o' && pool[j].gender != t.history.gender)
        continue;
      const std::array<double, 4> c = PriorIn(pool[j], w);
      const double dq = std::fabs(a[0] - c[0]), dy = std::fabs(a[1] - c[1]);
      const double cq = std::fabs(a[2] - c[2]), cy = std::fabs(a[3] - c[3]);
      if (dq > s.caliper_quarter || cq > s.caliper_quarter || dy > s.caliper_year ||
          cy > s.caliper_year) {
        continue;
      }
      candidates.emplace_back(dq / scale[0] + dy / scale[1] + cq / scale[2] + cy / scale[3],
                              Mix(key ^ pool_hash[j]), j);
    }
    if (candidates.empty()) {
      ++m.unmatched;
      continue;
    }
    const size_t take = std::min(candidates.size(), static_cast<size_t>(s.k));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<ptrdiff_t>(take),
                      candidates.end());
    MatchedSet set;
    set.treated = i;
    for (size_t c = 0; c < take; ++c) set.controls.push_back(std::get<2>(candidates[c]));
    if (take < static_cast<size_t>(s.k)) ++m.fewer_than_k;
    m.sets.push_back(std::move(set));
  }
  return m;
}

}  // namespace pprl::reference

#endif  // PPRL_TESTS_CORE_MATCH_COMPARISON_REFERENCE_H_
