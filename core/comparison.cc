#include "core/comparison.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "core/basic_statistics.h"
#include "core/distributions.h"
#include "core/negative_binomial.h"
#include "core/pseudonymous_record.h"
#include "core/study_report.h"
#include "core/text.h"

namespace pprl {
namespace {

using nlohmann::json;

int CountIn(const std::vector<int32_t>& days, int32_t from, int32_t to) {
  return static_cast<int>(std::lower_bound(days.begin(), days.end(), to) -
                          std::lower_bound(days.begin(), days.end(), from));
}

// [t + months_from, t + months_to) in calendar months, as day numbers.
std::pair<int32_t, int32_t> MonthWindow(int32_t t, int months_from, int months_to) {
  const Date d = DateFromDays(t);
  return {DaysSinceEpoch(AddMonths(d, months_from)), DaysSinceEpoch(AddMonths(d, months_to))};
}

// Quarter q's count (SubjectVariables' quarters) as that many events on its first day, sorted.
std::vector<int32_t> DaysOfQuarters(const std::array<int32_t, 8>& counts, int32_t t) {
  std::vector<int32_t> days;
  for (int q = 0; q < 8; ++q) {
    const int32_t first = MonthWindow(t, 3 * (q - 4), 3 * (q - 3)).first;
    days.insert(days.end(), static_cast<size_t>(counts[q]), first);
  }
  return days;
}

uint64_t Mix(uint64_t x) {  // SplitMix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

struct Outcome {
  const char* name;
  bool incidents;
  int months;  // 3: quarter, 12: year
};
constexpr Outcome kOutcomes[] = {{"incidents_quarter", true, 3},
                                 {"incidents_year", true, 12},
                                 {"convictions_quarter", false, 3},
                                 {"convictions_year", false, 12}};

// The calendar-month windows around a reference day, computed once per day.
struct Windows {
  int32_t year_before, quarter_before, t, quarter_after, year_after;
};
Windows WindowsAt(int32_t t) {
  return {MonthWindow(t, -12, 0).first, MonthWindow(t, -3, 0).first, t, MonthWindow(t, 0, 3).second,
          MonthWindow(t, 0, 12).second};
}

// One history's counts in the four windows, for incidents and convictions.
struct Profile {
  WindowCounts incidents, convictions;
};
WindowCounts CountsIn(const std::vector<int32_t>& days, const Windows& w) {
  return {CountIn(days, w.quarter_before, w.t), CountIn(days, w.year_before, w.t),
          CountIn(days, w.t, w.quarter_after), CountIn(days, w.t, w.year_after)};
}
Profile ProfileAt(const PersonHistory& h, const Windows& w) {
  return {CountsIn(h.incidents, w), CountsIn(h.convictions, w)};
}
std::array<double, 4> PriorOf(const Profile& p) {
  return {static_cast<double>(p.incidents.quarter_before),
          static_cast<double>(p.incidents.year_before),
          static_cast<double>(p.convictions.quarter_before),
          static_cast<double>(p.convictions.year_before)};
}
// The four matching counts only (the matching's inner loop).
std::array<double, 4> PriorIn(const PersonHistory& h, const Windows& w) {
  return {static_cast<double>(CountIn(h.incidents, w.quarter_before, w.t)),
          static_cast<double>(CountIn(h.incidents, w.year_before, w.t)),
          static_cast<double>(CountIn(h.convictions, w.quarter_before, w.t)),
          static_cast<double>(CountIn(h.convictions, w.year_before, w.t))};
}
// Before and after counts of one outcome.
std::pair<double, double> BeforeAfter(const Profile& p, const Outcome& o) {
  const WindowCounts& c = o.incidents ? p.incidents : p.convictions;
  return o.months == 3 ? std::pair<double, double>(c.quarter_before, c.quarter_after)
                       : std::pair<double, double>(c.year_before, c.year_after);
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::numeric_limits<double>::quiet_NaN() : s / static_cast<double>(v.size());
}

// Weighted mean and variance (weights as frequencies normalised to the count of values).
std::pair<double, double> WeightedMoments(const std::vector<double>& v,
                                          const std::vector<double>& w) {
  double sw = 0, sx = 0;
  for (size_t i = 0; i < v.size(); ++i) sw += w[i], sx += w[i] * v[i];
  const double mean = sx / sw;
  double ss = 0;
  for (size_t i = 0; i < v.size(); ++i) ss += w[i] * (v[i] - mean) * (v[i] - mean);
  const double var =
      v.size() > 1 ? ss / sw * static_cast<double>(v.size()) / static_cast<double>(v.size() - 1)
                   : 0.0;
  return {mean, var};
}

double Quantile7(const std::vector<double>& sorted, double p) {  // R's type 7, input sorted
  const double h = (static_cast<double>(sorted.size()) - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

json Number(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

}  // namespace

PersonHistory HistoryOf(const CohortSubjectIn& subject, const Study& study,
                        const CaseAttributes* first_case, int32_t reference_day) {
  PersonHistory h;
  h.subject_id = subject.subject_id;
  h.gender = subject.gender;
  h.birth_band = subject.birth_band;
  for (const CohortEventIn& e : subject.incidents) {
    if (StudyCountsIncident(study, e)) h.incidents.push_back(e.day);
  }
  for (const CohortEventIn& e : subject.convictions) h.convictions.push_back(e.day);
  std::sort(h.incidents.begin(), h.incidents.end());
  std::sort(h.convictions.begin(), h.convictions.end());
  if (first_case != nullptr) {
    // A cohort subject's gender and band come from its case alone (red team 7b, H2): taken
    // from its police records first, a case saying "v" whose person the police hold as a man
    // made the released balance's male share 1.0 where an unknown person's was withheld. The
    // band from the age at the reference date may be one band off near a band's edge.
    h.gender = first_case->gender;
    h.birth_band = reference_day != 0 && first_case->age
                       ? BirthBand(DateFromDays(reference_day).year - *first_case->age)
                       : 0;
  }
  return h;
}

PriorCounts PriorCountsAt(const PersonHistory& h, int32_t t) {
  const std::array<double, 4> x = PriorIn(h, WindowsAt(t));
  return {static_cast<int>(x[0]), static_cast<int>(x[1]), static_cast<int>(x[2]),
          static_cast<int>(x[3])};
}

namespace {

// The pool subjects of one birth band, grouped by what the matching reads of them at a
// reference day: those with the same gender and the same four prior counts are one bucket, all
// at the same distance from a cohort subject (so ranked among themselves by the tie-break hash
// alone). The counts follow a moving reference day (MoveTo) through the band's events sorted by
// day, so going through the cohort subjects in date order touches each event a few times
// instead of counting every pool subject's windows for every cohort subject; most pool
// subjects have no event in the year before, and stay in their gender's all-zero bucket.
class BandIndex {
 public:
  struct Entry {
    uint64_t hash;   // pool_hash of the subject
    uint32_t local;  // index into members
  };
  struct Bucket {
    char gender;
    std::array<double, 4> counts;  // the PriorIn order
    std::vector<Entry> entries;    // in no particular order
    // The bucket a member moves to when an event passes a bound (Apply), once known.
    std::array<uint32_t, 12> next;
  };

  BandIndex(const std::vector<PersonHistory>& pool, const std::vector<size_t>& members,
            const std::vector<uint64_t>& pool_hash)
      : members_(members), state_(members.size()) {
    for (uint32_t p = 0; p < static_cast<uint32_t>(members_.size()); ++p) {
      const PersonHistory& h = pool[members_[p]];
      for (int32_t d : h.incidents) events_.push_back({d, p, false});
      for (int32_t d : h.convictions) events_.push_back({d, p, true});
      const uint32_t b = BucketFor(h.gender, state_[p].counts);
      state_[p].bucket = b;
      state_[p].position = static_cast<uint32_t>(buckets_[b].entries.size());
      buckets_[b].entries.push_back({pool_hash[members_[p]], p});
    }
    std::sort(events_.begin(), events_.end(),
              [](const Event& x, const Event& y) { return x.day < y.day; });
  }

  // Every member's counts in [quarter_before, t) and [year_before, t): events before t minus
  // those before the window's start (CountIn's lower bounds). Any order of days works; in
  // ascending order each event passes each bound once.
  void MoveTo(int32_t year_before, int32_t quarter_before, int32_t t) {
    if (before_t_ == before_quarter_ && before_t_ == before_year_) {
      // No event between the bounds, so all counts are zero: the bounds jump together.
      before_t_ = before_quarter_ = before_year_ = Before(year_before);
    }
    Move(&before_t_, t, kT);
    Move(&before_quarter_, quarter_before, kQuarter);
    Move(&before_year_, year_before, kYear);
  }

  const std::vector<Bucket>& buckets() const { return buckets_; }
  size_t pool_index(uint32_t local) const { return members_[local]; }

 private:
  struct Event {
    int32_t day;
    uint32_t local;
    bool conviction;
  };
  struct State {
    std::array<int, 4> counts = {0, 0, 0, 0};
    uint32_t bucket = 0, position = 0;
  };
  enum Bound { kT, kQuarter, kYear };
  static constexpr uint32_t kUnknown = std::numeric_limits<uint32_t>::max();

  size_t Before(int32_t day) const {
    return static_cast<size_t>(
        std::lower_bound(events_.begin(), events_.end(), day,
                         [](const Event& e, int32_t d) { return e.day < d; }) -
        events_.begin());
  }

  void Move(size_t* at, int32_t day, Bound bound) {
    const size_t target = Before(day);
    while (*at < target) Apply(events_[(*at)++], bound, 1);
    while (*at > target) Apply(events_[--*at], bound, -1);
  }

  // An event now before (sign 1) or no longer before (-1) the bound.
  void Apply(const Event& e, Bound bound, int sign) {
    State& m = state_[e.local];
    const int quarter = e.conviction ? 2 : 0, year = quarter + 1;
    if (bound == kT) {
      m.counts[quarter] += sign;
      m.counts[year] += sign;
    } else {
      m.counts[bound == kQuarter ? quarter : year] -= sign;
    }
    // Into the bucket of its new counts (BucketFor may add a bucket: no reference kept).
    const uint32_t from = m.bucket, pos = m.position;
    const size_t move = (static_cast<size_t>(bound) * 2 + e.conviction) * 2 + (sign > 0);
    uint32_t to = buckets_[from].next[move];
    if (to == kUnknown) {
      to = BucketFor(buckets_[from].gender, m.counts);
      buckets_[from].next[move] = to;
    }
    std::vector<Entry>& entries = buckets_[from].entries;
    const Entry moved = entries[pos];
    entries[pos] = entries.back();
    state_[entries[pos].local].position = pos;
    entries.pop_back();
    m.bucket = to;
    m.position = static_cast<uint32_t>(buckets_[to].entries.size());
    buckets_[to].entries.push_back(moved);
  }

  uint32_t BucketFor(char gender, const std::array<int, 4>& c) {
    auto [it, added] = bucket_ids_.try_emplace({gender, c[0], c[1], c[2], c[3]},
                                               static_cast<uint32_t>(buckets_.size()));
    if (added) {
      Bucket b{gender,
               {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2]),
                static_cast<double>(c[3])},
               {},
               {}};
      b.next.fill(kUnknown);
      buckets_.push_back(std::move(b));
    }
    return it->second;
  }

  std::vector<size_t> members_;  // pool indices, ascending
  std::vector<Event> events_;    // incidents and convictions, by day
  std::vector<State> state_;     // per member
  std::vector<Bucket> buckets_;
  std::map<std::tuple<char, int, int, int, int>, uint32_t> bucket_ids_;
  size_t before_t_ = 0, before_quarter_ = 0, before_year_ = 0;
};

}  // namespace

Matching MatchComparison(const std::vector<Treated>& treated,
                         const std::vector<PersonHistory>& pool, const ComparisonSettings& s) {
  // Strata by birth band; gender is exact where both sides have one (police exports may carry
  // no gender column, and then nobody in the pool has one).
  std::map<int, std::vector<size_t>> strata;
  std::vector<uint64_t> pool_hash(pool.size());
  for (size_t j = 0; j < pool.size(); ++j) {
    pool_hash[j] = Fnv1a(pool[j].subject_id);
    if (pool[j].birth_band == 0) continue;  // cannot match exactly
    strata[pool[j].birth_band].push_back(j);
  }
  // Each count's differences are scaled by its spread among the treated (at least 0.5), so
  // rarer convictions weigh as much as incidents.
  double scale[4] = {0.5, 0.5, 0.5, 0.5};
  if (treated.size() > 1) {
    std::vector<double> v[4];
    for (const Treated& t : treated) {
      const std::array<double, 4> c = PriorIn(t.history, WindowsAt(t.reference_day));
      for (int k = 0; k < 4; ++k) v[k].push_back(c[k]);
    }
    for (int k = 0; k < 4; ++k) {
      const std::vector<double> ones(v[k].size(), 1.0);
      scale[k] = std::max(0.5, std::sqrt(WeightedMoments(v[k], ones).second));
    }
  }
  // The candidates of a cohort subject are the pool subjects of its band (and gender) within
  // the calipers, ranked by (distance, Mix(key ^ pool_hash), pool index); the first k are its
  // controls. Per band, the cohort subjects in date order against a BandIndex: a bucket is
  // within the calipers or not as a whole, all at one distance, so only the nearest buckets
  // holding k candidates (and those tied with the last of them) are ranked member by member,
  // and of each such bucket only its k smallest hashes can be chosen.
  const size_t k = static_cast<size_t>(s.k);
  std::map<int, std::vector<size_t>> treated_by_band;
  for (size_t i = 0; i < treated.size(); ++i) {
    const int band = treated[i].history.birth_band;
    if (band != 0 && strata.count(band)) treated_by_band[band].push_back(i);
  }
  std::vector<int64_t> candidates_of(treated.size(), 0);  // 0: unmatched
  std::vector<std::vector<size_t>> controls_of(treated.size());
  std::vector<std::pair<double, uint32_t>> near;  // (distance, bucket)
  std::vector<std::pair<uint64_t, size_t>> best;  // a bucket's smallest (hash, index), a heap
  std::vector<std::tuple<double, uint64_t, size_t>> ranked;
  for (auto& [band, cohort] : treated_by_band) {
    BandIndex index(pool, strata[band], pool_hash);
    std::stable_sort(cohort.begin(), cohort.end(), [&](size_t x, size_t y) {
      return treated[x].reference_day < treated[y].reference_day;
    });
    for (size_t i : cohort) {
      const Treated& t = treated[i];
      const Windows w = WindowsAt(t.reference_day);
      index.MoveTo(w.year_before, w.quarter_before, w.t);
      const std::array<double, 4> a = PriorIn(t.history, w);
      const uint64_t key = Mix(s.seed ^ Fnv1a(t.history.subject_id));
      near.clear();
      int64_t total = 0;
      const std::vector<BandIndex::Bucket>& buckets = index.buckets();
      for (uint32_t b = 0; b < static_cast<uint32_t>(buckets.size()); ++b) {
        const BandIndex::Bucket& bucket = buckets[b];
        if (bucket.entries.empty()) continue;
        if (t.history.gender != 'o' && bucket.gender != 'o' && bucket.gender != t.history.gender)
          continue;
        const std::array<double, 4>& c = bucket.counts;
        const double dq = std::fabs(a[0] - c[0]), dy = std::fabs(a[1] - c[1]);
        const double cq = std::fabs(a[2] - c[2]), cy = std::fabs(a[3] - c[3]);
        if (dq > s.caliper_quarter || cq > s.caliper_quarter || dy > s.caliper_year ||
            cy > s.caliper_year) {
          continue;
        }
        near.emplace_back(dq / scale[0] + dy / scale[1] + cq / scale[2] + cy / scale[3], b);
        total += static_cast<int64_t>(bucket.entries.size());
      }
      candidates_of[i] = total;
      if (total == 0 || k == 0) continue;
      std::sort(near.begin(), near.end());
      ranked.clear();
      size_t held = 0;  // members of the buckets ranked so far
      for (const auto& [distance, b] : near) {
        if (held >= k && distance > std::get<0>(ranked.back())) break;
        best.clear();
        for (const BandIndex::Entry& e : buckets[b].entries) {
          const uint64_t h = Mix(key ^ e.hash);
          if (best.size() == k && h > best.front().first) continue;
          const std::pair<uint64_t, size_t> c(h, index.pool_index(e.local));
          if (best.size() < k) {
            best.push_back(c);
            std::push_heap(best.begin(), best.end());
          } else if (c < best.front()) {
            std::pop_heap(best.begin(), best.end());
            best.back() = c;
            std::push_heap(best.begin(), best.end());
          }
        }
        for (const auto& [h, j] : best) ranked.emplace_back(distance, h, j);
        held += buckets[b].entries.size();
        // ranked.back() has this bucket's distance: the cut once k are held.
      }
      const size_t take = std::min(static_cast<size_t>(total), k);
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(take),
                        ranked.end());
      for (size_t c = 0; c < take; ++c) controls_of[i].push_back(std::get<2>(ranked[c]));
    }
  }
  Matching m;
  for (size_t i = 0; i < treated.size(); ++i) {
    if (candidates_of[i] == 0) {
      ++m.unmatched;
      continue;
    }
    MatchedSet set;
    set.treated = i;
    set.controls = std::move(controls_of[i]);
    if (set.controls.size() < k) ++m.fewer_than_k;
    m.sets.push_back(std::move(set));
  }
  return m;
}

double StandardisedMeanDifference(const std::vector<double>& a, const std::vector<double>& b,
                                  const std::vector<double>& b_weights) {
  const std::vector<double> ones(a.size(), 1.0);
  auto [ma, va] = WeightedMoments(a, ones);
  auto [mb, vb] = WeightedMoments(b, b_weights);
  const double pooled = std::sqrt((va + vb) / 2);
  if (pooled > 0) return (ma - mb) / pooled;
  return ma == mb ? 0.0 : std::numeric_limits<double>::quiet_NaN();
}

double BiasCorrectedDid(const std::vector<SetChanges>& sets, const std::vector<int>& multiplicity) {
  auto times = [&](size_t s) { return multiplicity.empty() ? 1 : multiplicity[s]; };
  // Weighted least squares of the controls' changes on [1, x].
  Eigen::Matrix<double, 5, 5> xtx = Eigen::Matrix<double, 5, 5>::Zero();
  Eigen::Matrix<double, 5, 1> xty = Eigen::Matrix<double, 5, 1>::Zero();
  for (size_t s = 0; s < sets.size(); ++s) {
    const SetChanges& set = sets[s];
    if (times(s) == 0 || set.control_change.empty()) continue;
    const double w = times(s) / static_cast<double>(set.control_change.size());
    for (size_t j = 0; j < set.control_change.size(); ++j) {
      Eigen::Matrix<double, 5, 1> x;
      x << 1, set.control_x[j][0], set.control_x[j][1], set.control_x[j][2], set.control_x[j][3];
      xtx += w * x * x.transpose();
      xty += w * x * set.control_change[j];
    }
  }
  // A count that never varies leaves the fit rank-deficient: the minimum-norm solution gives
  // it no weight.
  const Eigen::Matrix<double, 5, 1> beta = xtx.completeOrthogonalDecomposition().solve(xty);
  double sum = 0, n = 0;
  for (size_t s = 0; s < sets.size(); ++s) {
    const SetChanges& set = sets[s];
    if (times(s) == 0 || set.control_change.empty()) continue;
    double control = 0;
    for (size_t j = 0; j < set.control_change.size(); ++j) {
      double adjust = 0;
      for (int k = 0; k < 4; ++k) adjust += beta(k + 1) * (set.treated_x[k] - set.control_x[j][k]);
      control += set.control_change[j] + adjust;
    }
    control /= static_cast<double>(set.control_change.size());
    sum += times(s) * (set.treated_change - control);
    n += times(s);
  }
  return n > 0 ? sum / n : std::numeric_limits<double>::quiet_NaN();
}

Interval BootstrapDid(const std::vector<SetChanges>& sets, int replicates, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t n = sets.size();
  std::vector<double> estimates(static_cast<size_t>(replicates));
  std::vector<int> multiplicity(sets.size());
  for (double& estimate : estimates) {
    std::fill(multiplicity.begin(), multiplicity.end(), 0);
    for (uint64_t i = 0; i < n; ++i) ++multiplicity[static_cast<size_t>(rng() % n)];
    estimate = BiasCorrectedDid(sets, multiplicity);
  }
  std::sort(estimates.begin(), estimates.end());
  return {Quantile7(estimates, 0.025), Quantile7(estimates, 0.975)};
}

ComparisonOutput BuildComparison(const Study& study, const std::vector<Treated>& treated,
                                 const std::vector<PersonHistory>& pool,
                                 const std::vector<SubjectSet>& released,
                                 bool cohort_without_gender) {
  const ComparisonSettings& cs = study.comparison;
  const int min_cell = study.min_cell;
  ComparisonOutput out;
  json& c = out.section;
  auto suppress = [&](const std::string& pointer, const std::string& reason) {
    out.suppressed.emplace_back("/comparison" + pointer, reason);
  };
  c["settings"] = {{"k", cs.k},
                   {"caliper_quarter", cs.caliper_quarter},
                   {"caliper_year", cs.caliper_year},
                   {"seed", cs.seed},
                   {"bootstrap_replicates", cs.bootstrap_replicates},
                   {"exact", {"gender", "birth_band"}},
                   {"nearest",
                    {"incidents_quarter_before", "incidents_year_before",
                     "convictions_quarter_before", "convictions_year_before"}}};
  c["pool_subjects"] = pool.size();
  c["cohort_subjects"] = treated.size();
  // Why the group is what it is, in words (no counts): missing genders, an empty pool.
  json notes = json::array();
  const bool pool_without_gender =
      std::all_of(pool.begin(), pool.end(), [](const PersonHistory& p) { return p.gender == 'o'; });
  // Decided over the pool and the whole cohort (the treated are among its cases): decided over
  // the treated, the incident set, the note told whether the person behind a case without a
  // gender is known to the police (red team 19, GN: 18 of 18).
  const bool some_without_gender =
      cohort_without_gender ||
      std::any_of(pool.begin(), pool.end(),
                  [](const PersonHistory& p) { return p.gender == 'o'; }) ||
      std::any_of(treated.begin(), treated.end(),
                  [](const Treated& t) { return t.history.gender == 'o'; });
  if (pool.empty()) {
    notes.push_back(
        "the comparison pool is empty: no police subject without a case (every police subject "
        "was linked to a case, or the police exports hold none)");
  } else if (pool_without_gender) {
    notes.push_back(
        "no comparison subject has a gender (the police exports carry no gender column): "
        "matched on the birth band and the prior counts only, so gender is not balanced");
  } else if (some_without_gender) {
    notes.push_back(
        "some subjects have no gender (a police export without the column, or left blank): "
        "gender is matched exactly only where both sides have one");
  }
  c["notes"] = notes;

  Matching m = MatchComparison(treated, pool, cs);
  // Differencing: the matched subjects must not be a near copy of a released set.
  int64_t withheld = 0;
  std::mt19937_64 withhold_rng(Mix(cs.seed ^ 0x5eedULL));
  while (static_cast<int64_t>(m.sets.size()) >= min_cell) {
    // The matched subjects' incident and conviction counts are both released.
    SubjectSet ids{"incident_set", {}, {}};
    for (const MatchedSet& set : m.sets) ids.ids.push_back(treated[set.treated].history.subject_id);
    std::sort(ids.ids.begin(), ids.ids.end());
    const SubjectSet as_convictions{"conviction_set", ids.ids, {}};
    if (CheckDifferencing(ids, released, min_cell).ok() &&
        CheckDifferencing(as_convictions, released, min_cell).ok()) {
      break;
    }
    m.sets.erase(m.sets.begin() + static_cast<ptrdiff_t>(withhold_rng() % m.sets.size()));
    ++withheld;
  }
  std::set<size_t> distinct;
  for (const MatchedSet& set : m.sets) distinct.insert(set.controls.begin(), set.controls.end());
  const int64_t matched = static_cast<int64_t>(m.sets.size());
  c["matched"] = matched;
  c["unmatched"] = m.unmatched;
  c["fewer_than_k"] = m.fewer_than_k;
  c["withheld_for_disclosure"] = withheld;
  c["distinct_controls"] = distinct.size();
  for (const MatchedSet& set : m.sets)
    out.matched_ids.push_back(treated[set.treated].history.subject_id);
  for (size_t j : distinct) out.control_ids.push_back(pool[j].subject_id);
  std::sort(out.matched_ids.begin(), out.matched_ids.end());
  std::sort(out.control_ids.begin(), out.control_ids.end());

  const char* kSections[] = {"balance", "estimates", "trajectories"};
  if (matched < min_cell || static_cast<int64_t>(distinct.size()) < min_cell ||
      static_cast<int64_t>(pool.size()) < min_cell) {
    const bool no_band = std::all_of(treated.begin(), treated.end(),
                                     [](const Treated& t) { return t.history.birth_band == 0; });
    const std::string reason =
        pool.empty() ? "the comparison pool is empty (no police subject without a case)"
        : matched == 0 && no_band
            ? "no cohort subject found a comparison subject: none has a birth band"
        : matched == 0 ? "no cohort subject found a comparison subject of the same birth band "
                         "(and gender, where both have one) within the calipers"
                       : Cat("fewer than ", min_cell, " matched subjects or distinct controls");
    for (const char* section : kSections) {
      c[section] = nullptr;
      suppress(Cat("/", section), reason);
    }
    return out;
  }

  // Control weights: each matched set counts once, shared among its controls.
  std::vector<double> control_weight;
  for (const MatchedSet& set : m.sets) {
    for (size_t k = 0; k < set.controls.size(); ++k)
      control_weight.push_back(1.0 / static_cast<double>(set.controls.size()));
  }

  // Balance at the (pseudo) reference dates. Before matching: every treated subject against
  // the whole pool, each pool subject at the reference date of a treated subject drawn by the
  // seed; after: matched subjects against their weighted controls.
  // Every profile the balance and the estimates need, computed once: treated subjects at
  // their reference dates, pool subjects at their drawn dates, controls at their set's date.
  // (The windows are the treated subjects', computed once each, not once per pool subject.)
  std::vector<Windows> treated_windows;
  treated_windows.reserve(treated.size());
  for (const Treated& t : treated) treated_windows.push_back(WindowsAt(t.reference_day));
  const Windows no_date = WindowsAt(0);
  std::vector<Profile> treated_profile, pool_profile;
  treated_profile.reserve(treated.size());
  pool_profile.reserve(pool.size());
  for (size_t i = 0; i < treated.size(); ++i)
    treated_profile.push_back(ProfileAt(treated[i].history, treated_windows[i]));
  for (size_t j = 0; j < pool.size(); ++j) {
    pool_profile.push_back(ProfileAt(
        pool[j], treated.empty()
                     ? no_date
                     : treated_windows[Mix(cs.seed ^ Fnv1a(pool[j].subject_id)) % treated.size()]));
  }
  std::vector<std::vector<Profile>> control_profile;  // per matched set
  for (const MatchedSet& set : m.sets) {
    const Windows w = WindowsAt(treated[set.treated].reference_day);
    std::vector<Profile>& ps = control_profile.emplace_back();
    for (size_t j : set.controls) ps.push_back(ProfileAt(pool[j], w));
  }
  struct Variable {
    const char* name;
    std::function<double(const PersonHistory&, const Profile&)> value;
  };
  const std::vector<Variable> variables = {
      {"incidents_quarter_before",
       [](const PersonHistory&, const Profile& p) { return p.incidents.quarter_before; }},
      {"incidents_year_before",
       [](const PersonHistory&, const Profile& p) { return p.incidents.year_before; }},
      {"convictions_quarter_before",
       [](const PersonHistory&, const Profile& p) { return p.convictions.quarter_before; }},
      {"convictions_year_before",
       [](const PersonHistory&, const Profile& p) { return p.convictions.year_before; }},
      {"male", [](const PersonHistory& h, const Profile&) { return h.gender == 'm' ? 1.0 : 0.0; }},
      {"birth_band", [](const PersonHistory& h, const Profile&) { return h.birth_band; }},
  };
  json balance = json::array();
  for (const Variable& v : variables) {
    std::vector<double> all_t, all_p, m_t, m_c;
    for (size_t i = 0; i < treated.size(); ++i)
      all_t.push_back(v.value(treated[i].history, treated_profile[i]));
    for (size_t j = 0; j < pool.size(); ++j) all_p.push_back(v.value(pool[j], pool_profile[j]));
    for (size_t s = 0; s < m.sets.size(); ++s) {
      const MatchedSet& set = m.sets[s];
      m_t.push_back(v.value(treated[set.treated].history, treated_profile[set.treated]));
      for (size_t k = 0; k < set.controls.size(); ++k)
        m_c.push_back(v.value(pool[set.controls[k]], control_profile[s][k]));
    }
    const std::vector<double> ones(all_p.size(), 1.0);
    json row = {{"variable", v.name},
                {"treated_mean", Number(Mean(all_t))},
                {"pool_mean", Number(Mean(all_p))},
                {"smd_before", Number(StandardisedMeanDifference(all_t, all_p, ones))},
                {"matched_mean", Number(Mean(m_t))},
                {"control_mean", Number(WeightedMoments(m_c, control_weight).first)},
                {"smd_after", Number(StandardisedMeanDifference(m_t, m_c, control_weight))}};
    if (std::string(v.name) != "male" && std::string(v.name) != "birth_band" &&
        (FewDiffer(all_t, min_cell) || FewDiffer(m_t, min_cell))) {
      // Police counts of the treated that few of them differ in (all 0, say) would give each
      // one's count: the treated side withheld, with the report's one reason.
      const size_t index = balance.size();
      for (const char* f : {"treated_mean", "smd_before", "matched_mean", "smd_after"}) {
        row[f] = nullptr;
        suppress(Cat("/balance/", index, "/", f), FewDifferReason("count", min_cell));
      }
    }
    if (std::string(v.name) == "male") {
      // A share reveals a count: held back when either gender is a small cell (as the
      // descriptives' gender shares are).
      auto small = [&](const std::vector<double>& x) {
        int64_t men = 0;
        for (double b : x) men += b > 0.5;
        const int64_t others = static_cast<int64_t>(x.size()) - men;
        return (men > 0 && men < min_cell) || (others > 0 && others < min_cell);
      };
      if (small(all_t) || small(m_t)) {
        const size_t index = balance.size();
        for (const char* f :
             {"treated_mean", "smd_before", "matched_mean", "control_mean", "smd_after"}) {
          row[f] = nullptr;
          suppress(Cat("/balance/", index, "/", f),
                   Cat("a gender held by fewer than ", min_cell, " subjects"));
        }
      }
    }
    balance.push_back(row);
  }
  c["balance"] = balance;

  // Estimates per outcome.
  json estimates = json::array();
  int outcome_index = 0;
  for (const Outcome& o : kOutcomes) {
    const std::string base = Cat("/estimates/", outcome_index);
    std::vector<double> tb, ta, cb, ca;
    std::vector<SetChanges> changes;
    Eigen::Index rows = 0;
    for (const MatchedSet& set : m.sets)
      rows += 2 * (1 + static_cast<Eigen::Index>(set.controls.size()));
    Eigen::VectorXd y(rows);
    Eigen::MatrixXd x(rows, 4);
    std::vector<int64_t> cluster(static_cast<size_t>(rows));
    Eigen::Index r = 0;
    auto add_rows = [&](double before, double after, double group, int64_t id) {
      for (int period = 0; period < 2; ++period) {
        y(r) = period ? after : before;
        x.row(r) << 1.0, group, period, group * period;
        cluster[static_cast<size_t>(r)] = id;
        ++r;
      }
    };
    for (size_t si = 0; si < m.sets.size(); ++si) {
      const MatchedSet& set = m.sets[si];
      const Profile& tp = treated_profile[set.treated];
      auto [b, a] = BeforeAfter(tp, o);
      tb.push_back(b);
      ta.push_back(a);
      add_rows(b, a, 1, -1 - static_cast<int64_t>(set.treated));
      SetChanges ch;
      ch.treated_change = a - b;
      ch.treated_x = PriorOf(tp);
      double sb = 0, sa = 0;
      for (size_t k = 0; k < set.controls.size(); ++k) {
        const Profile& cp = control_profile[si][k];
        auto [pb, pa] = BeforeAfter(cp, o);
        sb += pb;
        sa += pa;
        add_rows(pb, pa, 0, static_cast<int64_t>(set.controls[k]));
        ch.control_change.push_back(pa - pb);
        ch.control_x.push_back(PriorOf(cp));
      }
      const double nc = static_cast<double>(set.controls.size());
      cb.push_back(sb / nc);
      ca.push_back(sa / nc);
      changes.push_back(std::move(ch));
    }
    json e = {{"outcome", o.name},          {"n_matched", matched},
              {"treated_before", Mean(tb)}, {"treated_after", Mean(ta)},
              {"control_before", Mean(cb)}, {"control_after", Mean(ca)}};
    std::vector<double> treated_change(tb.size());
    for (size_t i = 0; i < tb.size(); ++i) treated_change[i] = ta[i] - tb[i];
    if (FewDiffer(tb, min_cell) || FewDiffer(ta, min_cell) || FewDiffer(treated_change, min_cell)) {
      // The treated's counts, or their changes, that few of them differ in would give each
      // one's: every figure of the treated withheld, the controls' means stay.
      for (const char* f : {"treated_before", "treated_after", "before_after", "did", "nb"}) {
        e[f] = nullptr;
        suppress(Cat(base, "/", f), FewDifferReason("count before, after or change", min_cell));
      }
      estimates.push_back(e);
      ++outcome_index;
      continue;
    }
    if (absl::StatusOr<PairedTest> t = PairedTTest(tb, ta); t.ok() && t->t_defined) {
      e["before_after"] = {
          {"mean_diff", t->mean_diff}, {"ci_low", t->ci_low}, {"ci_high", t->ci_high}, {"p", t->p}};
    } else {
      e["before_after"] = nullptr;
      suppress(base + "/before_after",
               Cat("not computable: ", t.ok() ? "the differences have no variance: the t-test is "
                                                "undefined"
                                              : t.status().message()));
    }
    const Interval ci = BootstrapDid(changes, cs.bootstrap_replicates,
                                     Mix(cs.seed + static_cast<uint64_t>(outcome_index)));
    e["did"] = {{"estimate", BiasCorrectedDid(changes)},
                {"ci_low", ci.low},
                {"ci_high", ci.high},
                {"unadjusted", (Mean(ta) - Mean(tb)) - (Mean(ca) - Mean(cb))}};

    // Negative binomial: group, period, group x period; cluster-robust by subject (a control
    // drawn for several cohort subjects is one cluster, so its reuse is not counted as news).
    const std::vector<std::string> terms = {"(Intercept)", "group", "period", "group:period"};
    absl::StatusOr<NbFit> fit = FitNegativeBinomial(y, x, terms);
    std::string dispersion = "negative binomial";
    if (!fit.ok()) {
      NbOptions poisson;
      poisson.dispersion = Dispersion::kPoisson;
      fit = FitNegativeBinomial(y, x, terms, poisson);
      dispersion = "poisson";
    }
    absl::StatusOr<Eigen::MatrixXd> robust = fit.ok()
                                                 ? ClusterRobustCovariance(*fit, y, x, cluster)
                                                 : absl::StatusOr<Eigen::MatrixXd>(fit.status());
    if (robust.ok()) {
      const double b = fit->coefficients[3].b;
      const double se = std::sqrt((*robust)(3, 3));
      const double z = b / se;
      const double p = 2 * (1 - NormalCdf(std::fabs(z)).value_or(1.0));
      e["nb"] = {{"model", dispersion},
                 {"theta", Number(fit->theta)},
                 {"irr", std::exp(b)},
                 {"ci_low", std::exp(b - 1.959963984540054 * se)},
                 {"ci_high", std::exp(b + 1.959963984540054 * se)},
                 {"se_robust", se},
                 {"p", p}};
    } else {
      e["nb"] = nullptr;
      suppress(base + "/nb", Cat("not computable: ", robust.status().message()));
    }
    estimates.push_back(e);
    ++outcome_index;
  }
  c["estimates"] = estimates;

  // Trajectories: mean counts per quarter from a year before to a year after.
  json traj = {{"quarters", {-4, -3, -2, -1, 0, 1, 2, 3}}};
  for (bool incidents : {true, false}) {
    json treated_means = json::array(), control_means = json::array();
    for (int q = -4; q < 4; ++q) {
      double st = 0, sc = 0;
      std::vector<double> counts;  // of each treated in the quarter
      for (const MatchedSet& set : m.sets) {
        const Treated& t = treated[set.treated];
        auto [from, to] = MonthWindow(t.reference_day, 3 * q, 3 * q + 3);
        counts.push_back(
            CountIn(incidents ? t.history.incidents : t.history.convictions, from, to));
        st += counts.back();
        double s = 0;
        for (size_t j : set.controls)
          s += CountIn(incidents ? pool[j].incidents : pool[j].convictions, from, to);
        sc += s / static_cast<double>(set.controls.size());
      }
      if (FewDiffer(counts, min_cell)) {
        // A quarter nobody (or one or two) of the treated differ in: withheld, one reason.
        suppress(Cat("/trajectories/", incidents ? "incidents" : "convictions", "/treated/",
                     treated_means.size()),
                 FewDifferReason("count in the quarter", min_cell));
        treated_means.push_back(nullptr);
      } else {
        treated_means.push_back(st / static_cast<double>(matched));
      }
      control_means.push_back(sc / static_cast<double>(matched));
    }
    traj[incidents ? "incidents" : "convictions"] = {{"treated", treated_means},
                                                     {"control", control_means}};
  }
  c["trajectories"] = traj;
  return out;
}

std::vector<SubjectSet> AddComparisonToReport(const Study& study,
                                              const std::vector<SubjectVariables>& cohort,
                                              const std::vector<CohortSubjectIn>& subjects,
                                              const std::vector<CohortSubjectIn>& pool,
                                              const std::vector<SubjectSet>& released,
                                              nlohmann::json* report) {
  json& r = *report;
  auto suppress = [&](const std::string& pointer, const std::string& reason) {
    r["suppressed"].push_back(pointer);
    r["suppressed_reasons"].push_back(reason);
  };
  if (!study.comparison.enabled) {
    r["comparison"] = nullptr;
    return {};
  }
  std::map<std::string, const CohortSubjectIn*> by_id;
  for (const CohortSubjectIn& s : subjects) by_id[s.subject_id] = &s;
  std::vector<Treated> treated;
  // Whether a case of the cohort, linked or not, records no gender (red team 19, GN: decided
  // over the treated, the note on missing genders told who is known to the police).
  bool cohort_without_gender = false;
  for (const SubjectVariables& v : cohort) {
    auto it = by_id.find(v.subject_id);
    if (it == by_id.end()) continue;
    const CaseAttributes* first = nullptr;
    for (const CohortCaseIn& c : it->second->cases) {
      if (c.first_discussed_day != v.reference_day) continue;
      first = &c.attributes;
      if (c.attributes.gender != 'm' && c.attributes.gender != 'v') cohort_without_gender = true;
    }
    if (!v.in_incident_set) continue;
    // The events as the cohort holds them (its quarters, each count on its quarter's first
    // day): what the comparison reads of a treated person (the four windows, the trajectories'
    // quarters) is sums of those quarters, so the figures are the records', and a rerun whose
    // police inputs the analyzer gives as released before (AnalyzeStudy) gives them here too.
    PersonHistory h = HistoryOf(*it->second, study, first, v.reference_day);
    h.incidents = DaysOfQuarters(v.incident_quarters, v.reference_day);
    h.convictions = DaysOfQuarters(v.conviction_quarters, v.reference_day);
    treated.push_back({std::move(h), v.reference_day});
  }
  std::vector<PersonHistory> histories;
  histories.reserve(pool.size());
  for (const CohortSubjectIn& p : pool) histories.push_back(HistoryOf(p, study));
  ComparisonOutput out =
      BuildComparison(study, treated, histories, released, cohort_without_gender);
  if (!out.control_ids.empty()) {
    absl::Status d =
        CheckDifferencing({"comparison", out.control_ids, {}}, released, study.min_cell);
    if (!d.ok()) {
      r["comparison"] = nullptr;
      suppress("/comparison", Cat("the comparison subjects: ", d.message()));
      return {};
    }
  }
  r["comparison"] = std::move(out.section);
  for (const auto& [pointer, reason] : out.suppressed) suppress(pointer, reason);
  std::vector<SubjectSet> sets;
  if (r["comparison"]["estimates"].is_null()) return sets;
  sets.push_back({"incident_set", out.matched_ids, {}});
  sets.push_back({"conviction_set", std::move(out.matched_ids), {}});
  sets.push_back({"comparison", std::move(out.control_ids), {}});
  return sets;
}

}  // namespace pprl
