// The matched comparison group's matching (MatchComparison) at scale, beside the plain loop it
// replaced (tests/core/match_comparison_reference.h: every pool subject of the band counted in
// the windows for every cohort subject) in the same invocation: seconds of each, their ratio,
// and whether the two matchings are identical.
//
// Synthetic people: birth bands over 12 bands, genders m / v and some o; pool subjects (police
// records only) with mostly 1 to 5 events over ten years, a few with many; cohort subjects with
// reference days over eight years and their offending raised in the year before.
//
// Usage: matching_bench [--cohort N] [--pool M] [--seed S] [--baseline-sample B]
//   --baseline-sample B: the plain loop runs on the first B cohort subjects only (at national
//   scale it would take hours); the new matching runs on those B too (the ratio and the
//   identity check are on them) and then on the whole cohort. The plain loop's time is linear
//   in the cohort, so the whole cohort's is printed extrapolated, marked so.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/comparison.h"
#include "core/dates.h"
#include "tests/core/match_comparison_reference.h"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

const int32_t kStart = pprl::DaysSinceEpoch({2010, 1, 1});
const int kBands[] = {1950, 1955, 1960, 1965, 1970, 1975, 1980, 1985, 1990, 1995, 2000, 2005};

char Gender(std::mt19937_64& rng) {
  const uint64_t r = rng() % 100;
  return r < 60 ? 'm' : r < 95 ? 'v' : 'o';
}

pprl::PersonHistory PoolPerson(std::mt19937_64& rng, size_t n) {
  pprl::PersonHistory h;
  h.subject_id = "P" + std::to_string(n);
  h.birth_band = kBands[rng() % 12];
  h.gender = Gender(rng);
  // Mostly 1 to 5 incidents over ten years; one in twenty many more.
  const int events =
      rng() % 20 ? 1 + static_cast<int>(rng() % 5) : 6 + static_cast<int>(rng() % 25);
  for (int e = 0; e < events; ++e)
    h.incidents.push_back(kStart + static_cast<int32_t>(rng() % 3650));
  if (rng() % 3 == 0) {
    const int convictions = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < convictions; ++e)
      h.convictions.push_back(kStart + static_cast<int32_t>(rng() % 3650));
  }
  std::sort(h.incidents.begin(), h.incidents.end());
  std::sort(h.convictions.begin(), h.convictions.end());
  return h;
}

pprl::Treated CohortPerson(std::mt19937_64& rng, size_t n) {
  pprl::Treated t;
  pprl::PersonHistory& h = t.history;
  h.subject_id = "T" + std::to_string(n);
  h.birth_band = kBands[rng() % 12];
  h.gender = Gender(rng);
  t.reference_day = kStart + 730 + static_cast<int32_t>(rng() % (8 * 365));
  // Referred after a rise: 0 to 8 incidents in the year before (some none at all), a few older
  // ones, a conviction now and then.
  const int recent = static_cast<int>(rng() % 9);
  for (int e = 0; e < recent; ++e)
    h.incidents.push_back(t.reference_day - 1 - static_cast<int32_t>(rng() % 365));
  const int older = static_cast<int>(rng() % 4);
  for (int e = 0; e < older; ++e)
    h.incidents.push_back(t.reference_day - 366 - static_cast<int32_t>(rng() % 1500));
  if (rng() % 3 == 0)
    h.convictions.push_back(t.reference_day - 1 - static_cast<int32_t>(rng() % 365));
  std::sort(h.incidents.begin(), h.incidents.end());
  std::sort(h.convictions.begin(), h.convictions.end());
  return t;
}

bool Same(const pprl::Matching& a, const pprl::Matching& b) {
  if (a.unmatched != b.unmatched || a.fewer_than_k != b.fewer_than_k ||
      a.sets.size() != b.sets.size())
    return false;
  for (size_t i = 0; i < a.sets.size(); ++i) {
    if (a.sets[i].treated != b.sets[i].treated || a.sets[i].controls != b.sets[i].controls)
      return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t cohort = 5000, pool = 300000, sample = 0;
  uint64_t seed = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--cohort")) cohort = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--pool")) pool = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--baseline-sample"))
      sample = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::mt19937_64 rng(seed);
  std::vector<pprl::PersonHistory> histories;
  histories.reserve(pool);
  size_t events = 0;
  for (size_t j = 0; j < pool; ++j) {
    histories.push_back(PoolPerson(rng, j));
    events += histories.back().incidents.size() + histories.back().convictions.size();
  }
  std::vector<pprl::Treated> treated;
  treated.reserve(cohort);
  for (size_t i = 0; i < cohort; ++i) treated.push_back(CohortPerson(rng, i));
  const pprl::ComparisonSettings settings;  // the defaults: k 3, calipers 2 and 4
  std::printf("cohort %zu, pool %zu (%zu police events), k %d, calipers %d / %d\n", cohort, pool,
              events, settings.k, settings.caliper_quarter, settings.caliper_year);

  const bool sampled = sample > 0 && sample < cohort;
  const std::vector<pprl::Treated> baseline_cohort =
      sampled ? std::vector<pprl::Treated>(treated.begin(), treated.begin() + sample) : treated;
  auto t0 = Clock::now();
  const pprl::Matching old_matching =
      pprl::reference::MatchComparison(baseline_cohort, histories, settings);
  const double old_seconds = Since(t0);
  t0 = Clock::now();
  const pprl::Matching new_matching = pprl::MatchComparison(baseline_cohort, histories, settings);
  const double new_seconds = Since(t0);
  const bool identical = Same(old_matching, new_matching);
  std::printf("cohort subjects timed       %zu\n", baseline_cohort.size());
  std::printf("plain loop (baseline)       %.3f s\n", old_seconds);
  std::printf("indexed MatchComparison     %.3f s\n", new_seconds);
  std::printf("ratio baseline / indexed    %.1f\n", old_seconds / new_seconds);
  std::printf("identical                   %s (%zu matched, %lld unmatched, %lld fewer than k)\n",
              identical ? "yes" : "NO", new_matching.sets.size(),
              static_cast<long long>(new_matching.unmatched),
              static_cast<long long>(new_matching.fewer_than_k));
  if (sampled) {
    t0 = Clock::now();
    const pprl::Matching all = pprl::MatchComparison(treated, histories, settings);
    const double all_seconds = Since(t0);
    const double extrapolated = old_seconds * static_cast<double>(cohort) / sample;
    std::printf("whole cohort: indexed       %.3f s (%zu matched)\n", all_seconds, all.sets.size());
    std::printf(
        "whole cohort: plain loop    %.0f s (extrapolated from %zu, linear in the cohort)\n",
        extrapolated, sample);
    std::printf("ratio whole cohort          %.0f (extrapolated baseline)\n",
                extrapolated / all_seconds);
  }
  return identical ? 0 : 1;
}
