// MatchComparison (indexed by band, gender and prior counts) against the plain loop it replaced
// (match_comparison_reference.h): the same controls in the same order for every cohort subject,
// and the same unmatched and fewer-than-k counts, on many random inputs built to tie.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/comparison.h"
#include "core/dates.h"
#include "core/text.h"
#include "tests/core/match_comparison_reference.h"

namespace pprl {
namespace {

struct Shape {
  int max_pool = 200;
  int max_treated = 30;
  int span_days = 3 * 365;  // where events and reference days fall
  int max_events = 6;
  double no_events = 0.3;  // share of pool subjects without any event
  int repeated_ids = 20;   // one pool id in this many repeats an earlier one (its hash too)
};

// Days cluster on a few values (month ends, 29 February) so counts and distances tie often.
int32_t RandomDay(std::mt19937_64& rng, int32_t base, int span) {
  static const int32_t kEdges[] = {DaysSinceEpoch({2012, 2, 29}), DaysSinceEpoch({2012, 5, 31}),
                                   DaysSinceEpoch({2012, 8, 31}), DaysSinceEpoch({2013, 2, 28}),
                                   DaysSinceEpoch({2013, 3, 1}),  DaysSinceEpoch({2013, 11, 30})};
  if (rng() % 4 == 0) return kEdges[rng() % 6] + static_cast<int32_t>(rng() % 3) - 1;
  return base + static_cast<int32_t>(rng() % static_cast<uint64_t>(span));
}

PersonHistory RandomPerson(std::mt19937_64& rng, const std::string& id, const Shape& shape,
                           int32_t base) {
  static const int kBands[] = {0, 1985, 1990, 1995};
  static const char kGenders[] = {'m', 'v', 'o', 'm', 'x'};
  PersonHistory h;
  h.subject_id = id;
  h.birth_band = kBands[rng() % 4];
  h.gender = kGenders[rng() % 5];
  if (std::uniform_real_distribution<double>()(rng) >= shape.no_events) {
    const int n = static_cast<int>(rng() % static_cast<uint64_t>(shape.max_events + 1));
    for (int e = 0; e < n; ++e) h.incidents.push_back(RandomDay(rng, base, shape.span_days));
    const int c = static_cast<int>(rng() % 3);
    for (int e = 0; e < c; ++e) h.convictions.push_back(RandomDay(rng, base, shape.span_days));
  }
  std::sort(h.incidents.begin(), h.incidents.end());
  std::sort(h.convictions.begin(), h.convictions.end());
  return h;
}

void ExpectSameMatching(const std::vector<Treated>& treated, const std::vector<PersonHistory>& pool,
                        const ComparisonSettings& s, const std::string& what) {
  const Matching want = reference::MatchComparison(treated, pool, s);
  const Matching got = MatchComparison(treated, pool, s);
  ASSERT_EQ(got.unmatched, want.unmatched) << what;
  ASSERT_EQ(got.fewer_than_k, want.fewer_than_k) << what;
  ASSERT_EQ(got.sets.size(), want.sets.size()) << what;
  for (size_t i = 0; i < want.sets.size(); ++i) {
    ASSERT_EQ(got.sets[i].treated, want.sets[i].treated) << what << " set " << i;
    ASSERT_EQ(got.sets[i].controls, want.sets[i].controls) << what << " set " << i;
  }
}

void RandomCases(const Shape& shape, int cases, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int32_t base = DaysSinceEpoch({2011, 6, 1});
  for (int c = 0; c < cases; ++c) {
    std::vector<PersonHistory> pool;
    const int n_pool = static_cast<int>(rng() % static_cast<uint64_t>(shape.max_pool + 1));
    for (int j = 0; j < n_pool; ++j) {
      // Now and then a repeated id: the tie-break hashes tie too, and the index decides.
      const bool repeat = j > 0 && rng() % static_cast<uint64_t>(shape.repeated_ids) == 0;
      const std::string id = repeat ? pool[rng() % pool.size()].subject_id : Cat("P", c, "-", j);
      pool.push_back(RandomPerson(rng, id, shape, base));
    }
    std::vector<Treated> treated;
    const int n_treated = static_cast<int>(rng() % static_cast<uint64_t>(shape.max_treated + 1));
    for (int i = 0; i < n_treated; ++i) {
      Treated t{RandomPerson(rng, Cat("T", c, "-", i), shape, base),
                RandomDay(rng, base + 365, shape.span_days - 365)};
      // Some share a reference day (the index moves back and forth only by sorting).
      if (i > 0 && rng() % 4 == 0) t.reference_day = treated[rng() % treated.size()].reference_day;
      treated.push_back(std::move(t));
    }
    ComparisonSettings s;
    static const int kK[] = {1, 2, 3, 3, 5, 40, 0, -1};
    s.k = kK[rng() % 8];
    s.caliper_quarter = static_cast<int>(rng() % 4);
    s.caliper_year = static_cast<int>(rng() % 6);
    s.seed = rng();
    ExpectSameMatching(
        treated, pool, s,
        Cat("case ", c, " (seed ", seed, "): pool ", pool.size(), ", treated ", treated.size(),
            ", k ", s.k, ", calipers ", s.caliper_quarter, "/", s.caliper_year));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(MatchComparisonIndexed, EqualsThePlainLoopOnRandomInputs) { RandomCases(Shape{}, 400, 1); }

TEST(MatchComparisonIndexed, EqualsThePlainLoopWhenMostHaveNoRecentEvent) {
  // Most candidates in the all-zero bucket: ranked by the tie-break hash alone.
  Shape shape;
  shape.max_pool = 1500;
  shape.max_treated = 60;
  shape.span_days = 10 * 365;
  shape.max_events = 2;
  shape.no_events = 0.6;
  RandomCases(shape, 40, 2);
}

TEST(MatchComparisonIndexed, EqualsThePlainLoopWithManyEventsAndTies) {
  Shape shape;
  shape.max_pool = 300;
  shape.max_treated = 40;
  shape.span_days = 400;
  shape.max_events = 12;
  shape.no_events = 0.05;
  RandomCases(shape, 200, 3);
}

TEST(MatchComparisonIndexed, EqualsThePlainLoopWhenHashesTie) {
  Shape shape;
  shape.max_pool = 300;
  shape.repeated_ids = 2;
  shape.max_events = 3;
  RandomCases(shape, 200, 4);
}

// Equal ids hash alike: the pool index decides, whatever order the index holds them in (here
// the reverse of the pool's, as their events move them out of the all-zero bucket and back).
TEST(MatchComparisonIndexed, EqualHashesGoToTheLowerPoolIndex) {
  const int32_t t = DaysSinceEpoch({2013, 6, 1});
  std::vector<PersonHistory> pool;
  for (int j = 0; j < 30; ++j) pool.push_back({"same", 'm', 1990, {t - 400 - j}, {}});
  const std::vector<Treated> treated = {{{"T", 'm', 1990, {}, {}}, t}};
  ComparisonSettings s;
  s.k = 2;
  const Matching m = MatchComparison(treated, pool, s);
  ASSERT_EQ(m.sets.size(), 1u);
  EXPECT_EQ(m.sets[0].controls, (std::vector<size_t>{0, 1}));
  ExpectSameMatching(treated, pool, s, "equal hashes");
}

TEST(MatchComparisonIndexed, EdgeCases) {
  const int32_t t = DaysSinceEpoch({2013, 6, 1});
  ComparisonSettings s;
  auto person = [](const std::string& id, char gender, int band, std::vector<int32_t> days) {
    return PersonHistory{id, gender, band, std::move(days), {}};
  };
  std::vector<Treated> treated = {{person("T1", 'm', 1990, {t - 5, t - 3}), t},
                                  {person("T2", 'o', 1990, {}), t},
                                  {person("T3", 'v', 0, {}), t},
                                  {person("T4", 'v', 1970, {}), t}};
  // An empty pool, a pool without bands, no cohort.
  ExpectSameMatching(treated, {}, s, "empty pool");
  ExpectSameMatching(treated, {person("P1", 'm', 0, {})}, s, "no band");
  ExpectSameMatching({}, {person("P1", 'm', 1990, {})}, s, "no cohort");
  // Calipers 0, k beyond the candidates, k 0.
  std::vector<PersonHistory> pool;
  for (int j = 0; j < 20; ++j)
    pool.push_back(person(Cat("P", j), "mvo"[j % 3], 1990,
                          j % 2 ? std::vector<int32_t>{t - 4} : std::vector<int32_t>{}));
  for (int k : {0, 1, 3, 25}) {
    for (int caliper : {0, 1, 4}) {
      s.k = k;
      s.caliper_quarter = s.caliper_year = caliper;
      ExpectSameMatching(treated, pool, s, Cat("k ", k, ", calipers ", caliper));
    }
  }
}

}  // namespace
}  // namespace pprl
