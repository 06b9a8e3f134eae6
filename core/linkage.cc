#include "core/linkage.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <tuple>
#include <unordered_map>

#include "core/hmac_key.h"

namespace pprl {
namespace {

using Digest = std::array<uint8_t, kMatchKeyBytes>;

class DisjointSets {
 public:
  explicit DisjointSets(size_t n) : parent_(n), size_(n, 1) {
    std::iota(parent_.begin(), parent_.end(), 0u);
  }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  // Returns the new root.
  uint32_t Union(uint32_t a, uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return a;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    return a;
  }

 private:
  std::vector<uint32_t> parent_;
  std::vector<uint32_t> size_;
};

// The first-initial digests of each cluster, for the twins test. Most clusters have one (or
// none), so it is kept flat per root, with a side table for clusters that gathered more.
class InitialSets {
 public:
  explicit InitialSets(size_t n) : first_(n), has_(n, 0) {}
  void Set(uint32_t record, const Digest& d) {
    if (!has_[record]) {
      first_[record] = d;
      has_[record] = 1;
    } else if (first_[record] != d) {
      AddExtra(record, d);
    }
  }
  bool Empty(uint32_t root) const { return !has_[root]; }
  // True if both clusters hold first-initial keys and share none.
  bool Disjoint(uint32_t a, uint32_t b) const {
    if (!has_[a] || !has_[b]) return false;
    bool shared = false;
    ForEach(a, [&](const Digest& x) {
      ForEach(b, [&](const Digest& y) { shared = shared || x == y; });
    });
    return !shared;
  }
  // Moves `gone`'s set into `root`'s.
  void Merge(uint32_t root, uint32_t gone) {
    if (!has_[gone]) return;
    ForEach(gone, [&](const Digest& d) { Set(root, d); });
    has_[gone] = 0;
    extra_.erase(gone);
  }

 private:
  template <typename F>
  void ForEach(uint32_t r, F f) const {
    if (!has_[r]) return;
    f(first_[r]);
    if (auto it = extra_.find(r); it != extra_.end()) {
      for (const Digest& d : it->second) f(d);
    }
  }
  void AddExtra(uint32_t r, const Digest& d) {
    std::vector<Digest>& v = extra_[r];
    if (std::find(v.begin(), v.end(), d) == v.end()) v.push_back(d);
  }
  std::vector<Digest> first_;
  std::vector<uint8_t> has_;
  std::unordered_map<uint32_t, std::vector<Digest>> extra_;
};

}  // namespace

LinkageResult Link(const std::vector<LinkInput>& records) {
  const size_t n = records.size();
  LinkageResult result;
  result.counts.records = static_cast<int64_t>(n);
  result.joined_at_level.assign(n, 0);
  DisjointSets sets(n);
  // First-initial digests per cluster root: the twins test at surname_dob.
  InitialSets initials(n);
  for (size_t i = 0; i < n; ++i) {
    for (const MatchKey& k : records[i].keys) {
      if (k.level == KeyLevel::kFirstInitial) initials.Set(static_cast<uint32_t>(i), k.digest);
    }
  }

  struct Entry {
    Digest digest;
    uint32_t record;
    bool operator<(const Entry& o) const {
      return std::tie(digest, record) < std::tie(o.digest, o.record);
    }
  };
  std::vector<Entry> entries;
  std::vector<uint32_t> roots;
  for (KeyLevel level : kAllKeyLevels) {
    entries.clear();
    for (size_t i = 0; i < n; ++i) {
      for (const MatchKey& k : records[i].keys) {
        if (k.level == level) entries.push_back(Entry{k.digest, static_cast<uint32_t>(i)});
      }
    }
    std::sort(entries.begin(), entries.end());
    for (size_t begin = 0; begin < entries.size();) {
      size_t end = begin + 1;
      while (end < entries.size() && entries[end].digest == entries[begin].digest) ++end;
      if (end - begin >= 2) {
        roots.clear();
        for (size_t e = begin; e < end; ++e) roots.push_back(sets.Find(entries[e].record));
        std::sort(roots.begin(), roots.end());
        roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
        bool ambiguous = false;
        if (roots.size() >= 2 && level == KeyLevel::kSurnameDob) {
          for (size_t a = 0; a < roots.size() && !ambiguous; ++a) {
            for (size_t b = a + 1; b < roots.size() && !ambiguous; ++b) {
              ambiguous = initials.Disjoint(roots[a], roots[b]);
            }
          }
        }
        if (ambiguous) {
          ++result.counts.ambiguous_keys;
        } else if (roots.size() >= 2) {
          for (size_t e = begin; e < end; ++e) {
            uint32_t r = entries[e].record;
            if (result.joined_at_level[r] == 0)
              result.joined_at_level[r] = static_cast<uint8_t>(level);
          }
          uint32_t root = roots[0];
          for (size_t k = 1; k < roots.size(); ++k) {
            uint32_t other = roots[k];
            uint32_t merged = sets.Union(root, other);
            uint32_t gone = merged == root ? other : root;
            initials.Merge(merged, gone);
            root = merged;
            ++result.counts.links_by_level[static_cast<int>(level)];
          }
        }
      }
      begin = end;
    }
  }

  // Subjects: number them by their smallest member, so the numbering is input-order free.
  auto member_less = [&](uint32_t a, uint32_t b) {
    const LinkInput& x = records[a];
    const LinkInput& y = records[b];
    return std::tie(x.source, x.extract_id, x.record_id) <
           std::tie(y.source, y.extract_id, y.record_id);
  };
  std::vector<uint32_t> smallest(n, UINT32_MAX);  // root -> smallest member
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t r = sets.Find(i);
    if (smallest[r] == UINT32_MAX || member_less(i, smallest[r])) smallest[r] = i;
  }
  std::vector<uint32_t> representatives;
  for (uint32_t i = 0; i < n; ++i) {
    if (smallest[i] != UINT32_MAX) representatives.push_back(smallest[i]);
  }
  std::sort(representatives.begin(), representatives.end(), member_less);
  std::vector<uint32_t> subject_of_root(n, 0);
  result.subject_ids.reserve(representatives.size());
  for (uint32_t s = 0; s < representatives.size(); ++s) {
    const LinkInput& m = records[representatives[s]];
    subject_of_root[sets.Find(representatives[s])] = s;
    std::string label = "pprl/subject/v1\x1f";
    label += ExportKindName(m.source);
    label += '\x1f';
    label += m.extract_id;
    label += '\x1f';
    label += m.record_id;
    result.subject_ids.push_back("S" + Sha256Hex(label).substr(0, 16));
  }
  result.subject_of.resize(n);
  for (uint32_t i = 0; i < n; ++i) result.subject_of[i] = subject_of_root[sets.Find(i)];
  result.counts.subjects = static_cast<int64_t>(representatives.size());
  return result;
}

}  // namespace pprl
