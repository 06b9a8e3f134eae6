#include "linker/linker_core.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <numeric>
#include <system_error>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {

std::string FormatEvidence(const LinkEvidence& e) {
  std::string out;
  for (int f = 0; f < kCompareFields; ++f) {
    CompareField field = static_cast<CompareField>(f);
    char weight[32];
    std::snprintf(weight, sizeof weight, "%+.1f", e.partial[f]);
    Append(&out, f ? " " : "", CompareFieldName(field), "=", LevelName(field, e.level[f]), "(",
           weight, ")");
  }
  char total[64];
  std::snprintf(total, sizeof total, " = %.1f bits", e.weight);
  Append(&out, total);
  if (e.tf_adjustment != 0) {
    char tf[64];
    std::snprintf(tf, sizeof tf, " (term frequency %+.1f included)", e.tf_adjustment);
    Append(&out, tf);
  }
  return out;
}

namespace {

// The first line of the persisted membership (meta key subject_membership) since members are
// named by site (ids9); it holds no tab, so a reader of the former form skips it.
constexpr std::string_view kMembershipHeader = "pprl.membership.v2\n";

std::string_view LevelKey(int level) {
  return level == 0 ? std::string_view("unlinked") : LinkLevelName(static_cast<uint8_t>(level));
}

// Sorts by a 64-bit key, stable: equal keys keep their order. At 10M records it takes a
// fraction of std::sort's time; the audit sorts every encoding's values (12 sorts of 10M), which
// took longer than Link() itself. Radix passes (16 bits each, least significant first) order
// the high 32 bits only; then each run of equal high halves is put in order of the whole key,
// stably. The keys are hashes: those that share 32 high bits are almost always equal, so the
// runs are short and in order already, and two passes of four are saved. A large vector is
// counted and placed by two threads, a half each: the first half's records of a digit go
// before the second half's, so the order is that of one thread, for one more count's memory.
template <typename T, typename KeyOf>
void RadixSort(std::vector<T>& v, KeyOf key) {
  if (v.size() < 2) return;
  constexpr size_t kDigits = size_t{1} << 16;
  const size_t n = v.size(), half = n / 2;
  const bool two_threads = n >= (size_t{1} << 16);  // below, a thread costs more than it saves
  std::vector<T> scratch(n);
  std::vector<size_t> first(kDigits), second(kDigits);  // counts, then places, of each half
  for (int shift = 32; shift < 64; shift += 16) {
    auto digit = [&](const T& x) { return (key(x) >> shift) & 0xffff; };
    auto halves = [&](auto work) {
      if (!two_threads) {
        work(0, half, first);
        work(half, n, second);
        return;
      }
      std::thread other([&] { work(half, n, second); });
      work(0, half, first);
      other.join();
    };
    halves([&](size_t begin, size_t end, std::vector<size_t>& count) {
      std::fill(count.begin(), count.end(), 0);
      for (size_t i = begin; i < end; ++i) ++count[digit(v[i])];
    });
    const size_t d0 = digit(v[0]);
    if (first[d0] + second[d0] == n) continue;  // one digit: no change
    size_t sum = 0;
    for (size_t d = 0; d < kDigits; ++d) {
      const size_t a = first[d], b = second[d];
      first[d] = sum;
      second[d] = sum + a;
      sum += a + b;
    }
    halves([&](size_t begin, size_t end, std::vector<size_t>& place) {
      for (size_t i = begin; i < end; ++i) scratch[place[digit(v[i])]++] = v[i];
    });
    v.swap(scratch);
  }
  scratch = {};
  auto less = [&](const T& x, const T& y) { return key(x) < key(y); };
  for (size_t begin = 0; begin < n;) {
    const uint64_t high = key(v[begin]) >> 32;
    size_t end = begin + 1;
    while (end < n && key(v[end]) >> 32 == high) ++end;
    if (end - begin <= 16) {  // by insertion: stable, and no move when in order
      for (size_t i = begin + 1; i < end; ++i) {
        if (!less(v[i], v[i - 1])) continue;
        T x = v[i];
        size_t j = i;
        for (; j > begin && less(x, v[j - 1]); --j) v[j] = v[j - 1];
        v[j] = x;
      }
    } else if (!std::is_sorted(v.begin() + begin, v.begin() + end, less)) {
      std::stable_sort(v.begin() + begin, v.begin() + end, less);
    }
    begin = end;
  }
}

// A record's position with a hash of what makes two records copies of one.
struct HashedRecord {
  uint64_t hash;
  uint32_t record;
};

// Marks in `drop` every record of `hashed` that has a copy (`same`) that is `newer`: one copy
// of each record stays. Sorts `hashed` by hash; within a group of equal hashes every record is
// compared with every other (groups are copies of one record, or a rare collision of different
// ones that stay apart).
template <typename Same, typename Newer>
void MarkOlderCopies(std::vector<HashedRecord>& hashed, Same same, Newer newer,
                     std::vector<uint8_t>& drop) {
  RadixSort(hashed, [](const HashedRecord& h) { return h.hash; });  // stable
  for (size_t g = 0; g < hashed.size();) {
    size_t e = g + 1;
    while (e < hashed.size() && hashed[e].hash == hashed[g].hash) ++e;
    for (size_t a = g; a < e; ++a) {
      for (size_t b = g; b < e; ++b) {
        const uint32_t x = hashed[a].record, y = hashed[b].record;
        if (a != b && !drop[x] && !drop[y] && same(x, y) && newer(y, x)) drop[x] = 1;
      }
    }
    g = e;
  }
}

// Frequencies of an encoding from the sizes of its groups of equal values over `records`
// records: `each_group(add)` calls add(size) once per group, in ascending order of value.
template <typename EachGroup>
LinkageReportData::EncodingAudit AuditGroups(std::string name, size_t records,
                                             EachGroup each_group) {
  LinkageReportData::EncodingAudit a;
  a.encoding = std::move(name);
  a.records = static_cast<int64_t>(records);
  int64_t largest = 0;
  double entropy = 0;
  each_group([&](int64_t c) {
    ++a.distinct;
    largest = std::max(largest, c);
    double p = static_cast<double>(c) / records;
    entropy -= p * std::log2(p);
  });
  a.largest_share = records == 0 ? 0 : static_cast<double>(largest) / records;
  a.entropy_bits = entropy;
  return a;
}

// The same from the values sorted (`value(i)`, i < records).
template <typename ValueAt>
LinkageReportData::EncodingAudit AuditSorted(std::string name, size_t records, ValueAt value) {
  return AuditGroups(std::move(name), records, [&](auto add) {
    for (size_t b = 0; b < records;) {
      size_t e = b;
      while (e < records && value(e) == value(b)) ++e;
      add(static_cast<int64_t>(e - b));
      b = e;
    }
  });
}

LinkageReportData::EncodingAudit AuditValues(std::string name, std::vector<uint64_t>& values) {
  RadixSort(values, [](uint64_t v) { return v; });
  LinkageReportData::EncodingAudit a =
      AuditSorted(std::move(name), values.size(), [&](size_t i) { return values[i]; });
  values.clear();
  return a;
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

// Memory freed by a link run back to the system: glibc keeps what it can reuse, so that the
// next run started from the last run's high-water mark (a second run measured 406 bytes a
// record at its peak against 356 for the first, at 1M records).
void ReleaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

uint64_t HashFilter(const BloomFilter& f) {
  uint64_t a, b;
  std::memcpy(&a, f.data(), 8);
  std::memcpy(&b, f.data() + 8, 8);
  return a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
}

// A digest of a case record's keyed identity: its match keys (level and digest) and field
// encodings, none of which the analyzer can read back (they are HMACs under the sites' key). A
// case whose surname, initials or birth date the case file changed under the same case id gets
// another, so the analyzer sees that change in the case file itself, not only through whether
// the person's police records still link (red team 12, S1 to S5).
std::string CaseIdentity(const PseudonymousRecord& r) {
  std::string bytes;
  for (const MatchKey& k : r.keys) {
    bytes += static_cast<char>(k.level);
    bytes.append(reinterpret_cast<const char*>(k.digest.data()), k.digest.size());
  }
  const FieldEncodings& e = r.encodings;
  bytes.append(reinterpret_cast<const char*>(e.surname_bloom.data()), e.surname_bloom.size());
  bytes.append(reinterpret_cast<const char*>(e.first_name_bloom.data()), e.first_name_bloom.size());
  for (uint64_t t : e.live_tokens) bytes.append(reinterpret_cast<const char*>(&t), sizeof t);
  return Sha256Hex(bytes).substr(0, 16);
}

}  // namespace

nlohmann::json LinkageReportData::ToJson() const {
  nlohmann::json by_level = nlohmann::json::object();
  for (KeyLevel level : kAllKeyLevels) {
    by_level[std::string(KeyLevelName(level))] = links_by_level[static_cast<int>(level)];
  }
  nlohmann::json case_links = nlohmann::json::object(), police_joins = nlohmann::json::object();
  for (int l = 0; l <= kProbabilisticLevel; ++l) {
    case_links[std::string(LevelKey(l))] = case_links_by_level[l];
    if (l > 0) police_joins[std::string(LevelKey(l))] = police_joins_by_level[l];
  }
  nlohmann::json audit = nlohmann::json::array();
  for (const EncodingAudit& a : encoding_audit) {
    audit.push_back({{"encoding", a.encoding},
                     {"records", a.records},
                     {"distinct", a.distinct},
                     {"largest_share", a.largest_share},
                     {"entropy_bits", a.entropy_bits}});
  }
  return {{"cases", cases},
          {"probabilistic_links", probabilistic_links},
          {"possible_links", possible_links},
          {"candidate_pairs", candidate_pairs},
          {"twin_vetoes", twin_vetoes},
          {"uncorroborated", uncorroborated},
          {"repeated_records", repeated_records},
          {"case_groups_kept_apart", case_groups_kept_apart},
          {"em_estimated", em_estimated},
          {"subjects_kept_id", subjects_kept_id},
          {"case_links_by_level", case_links},
          {"police_joins_by_level", police_joins},
          {"encoding_audit", audit},
          {"incident_records", incident_records},
          {"conviction_records", conviction_records},
          {"subjects", subjects},
          {"cases_linked_incidents", cases_linked_incidents},
          {"cases_linked_convictions", cases_linked_convictions},
          {"unlinked_cases", unlinked_cases},
          {"ambiguous_keys", ambiguous_keys},
          {"by_level", by_level},
          {"inputs_digest", inputs_digest},
          {"linked_unix_ms", linked_unix_ms}};
}

absl::StatusOr<LinkageReportData> LinkageReportData::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return absl::DataLossError("damaged linkage report");
  try {
    LinkageReportData r;
    r.cases = j.at("cases");
    r.incident_records = j.at("incident_records");
    r.conviction_records = j.at("conviction_records");
    r.subjects = j.at("subjects");
    r.cases_linked_incidents = j.at("cases_linked_incidents");
    r.cases_linked_convictions = j.at("cases_linked_convictions");
    r.unlinked_cases = j.at("unlinked_cases");
    r.ambiguous_keys = j.at("ambiguous_keys");
    for (KeyLevel level : kAllKeyLevels) {
      r.links_by_level[static_cast<int>(level)] =
          j.at("by_level").at(std::string(KeyLevelName(level)));
    }
    // Absent from reports written before the probabilistic stage.
    r.probabilistic_links = j.value("probabilistic_links", int64_t{0});
    r.possible_links = j.value("possible_links", int64_t{0});
    r.candidate_pairs = j.value("candidate_pairs", int64_t{0});
    r.twin_vetoes = j.value("twin_vetoes", int64_t{0});
    r.uncorroborated = j.value("uncorroborated", int64_t{0});
    r.repeated_records = j.value("repeated_records", int64_t{0});
    r.case_groups_kept_apart = j.value("case_groups_kept_apart", int64_t{0});
    r.em_estimated = j.value("em_estimated", false);
    r.subjects_kept_id = j.value("subjects_kept_id", int64_t{0});
    for (int l = 0; l <= kProbabilisticLevel; ++l) {
      std::string key(LevelKey(l));
      if (j.contains("case_links_by_level")) {
        r.case_links_by_level[l] = j["case_links_by_level"].value(key, int64_t{0});
      }
      if (l > 0 && j.contains("police_joins_by_level")) {
        r.police_joins_by_level[l] = j["police_joins_by_level"].value(key, int64_t{0});
      }
    }
    if (j.contains("encoding_audit")) {
      for (const nlohmann::json& a : j.at("encoding_audit")) {
        r.encoding_audit.push_back({a.at("encoding"), a.at("records"), a.at("distinct"),
                                    a.at("largest_share"), a.at("entropy_bits")});
      }
    }
    r.inputs_digest = j.at("inputs_digest");
    r.linked_unix_ms = j.at("linked_unix_ms");
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(Cat("damaged linkage report: ", e.what()));
  }
}

SubjectOrder OrderSubjects(const LinkageSnapshot& s, bool pool) {
  const size_t n_subjects = s.subject_ids.size();
  std::vector<uint8_t> has_case(n_subjects, 0);
  for (const LinkedRecord& r : s.records) {
    if (r.source == ExportKind::kCases) has_case[r.subject] = 1;
  }
  // A counting sort of the records by subject number; within a subject, in record order.
  std::vector<uint32_t> count(n_subjects + 1, 0);
  for (const LinkedRecord& r : s.records) {
    if (static_cast<bool>(has_case[r.subject]) != pool) ++count[r.subject + 1];
  }
  SubjectOrder order;
  order.starts.push_back(0);
  for (size_t k = 0; k < n_subjects; ++k) {
    if (count[k + 1] == 0) continue;
    order.subjects.push_back(static_cast<uint32_t>(k));
    order.starts.push_back(order.starts.back() + count[k + 1]);
  }
  for (size_t k = 1; k <= n_subjects; ++k) count[k] += count[k - 1];  // each subject's start
  order.records.resize(order.starts.back());
  for (size_t i = 0; i < s.records.size(); ++i) {
    const LinkedRecord& r = s.records[i];
    if (static_cast<bool>(has_case[r.subject]) != pool) {
      order.records[count[r.subject]++] = static_cast<uint32_t>(i);
    }
  }
  return order;
}

CohortSubjectIn SubjectAt(const LinkageSnapshot& s, const SubjectOrder& order, size_t k) {
  CohortSubjectIn subject;
  std::map<char, int> gender;
  std::map<int, int> band;
  for (uint32_t i = order.starts[k]; i < order.starts[k + 1]; ++i) {
    const LinkedRecord& r = s.records[order.records[i]];
    if (r.source == ExportKind::kCases) {
      const bool known = r.case_attributes >= 0;  // case_identity is filled beside it
      subject.cases.push_back({r.event_day,
                               known ? s.case_attributes[r.case_attributes] : CaseAttributes(),
                               known ? s.case_identity[r.case_attributes] : std::string()});
      continue;
    }
    if (r.source == ExportKind::kIncidents) {
      subject.incidents.push_back(
          {r.event_day, s.attribute_values[r.category], s.attribute_values[r.role]});
    } else {
      subject.convictions.push_back({r.event_day, "", ""});
    }
    if (r.person.gender != 'o') ++gender[r.person.gender];
    if (r.person.birth_band != 0) ++band[r.person.birth_band];
  }
  auto most_frequent = [](const auto& counts, auto none) {
    auto best = none;
    int n = 0;
    for (const auto& [value, c] : counts) {
      if (c > n) best = value, n = c;  // ties: the smallest value
    }
    return best;
  };
  subject.subject_id = s.subject_ids[order.subjects[k]];
  subject.gender = most_frequent(gender, 'o');
  subject.birth_band = most_frequent(band, 0);
  return subject;
}

std::vector<CohortSubjectIn> SubjectsOf(const LinkageSnapshot& s, bool pool) {
  const SubjectOrder order = OrderSubjects(s, pool);
  std::vector<CohortSubjectIn> out;
  out.reserve(order.subjects.size());
  for (size_t k = 0; k < order.subjects.size(); ++k) out.push_back(SubjectAt(s, order, k));
  return out;
}

std::vector<LinkageReportData::EncodingAudit> AuditEncodings(const std::vector<LinkInput>& inputs,
                                                             bool one_thread) {
  std::vector<LinkageReportData::EncodingAudit> out(2);
  // The two name filters at once, one on a thread of its own (their hashes and sorts: 320 MB at
  // 10M records, less than the token kinds' below).
  auto filter = [&](const char* name, auto get, LinkageReportData::EncodingAudit* audit) {
    std::vector<uint64_t> values;
    values.reserve(inputs.size());
    for (const LinkInput& in : inputs) {
      const BloomFilter& f = get(in.encodings);
      if (BloomPopCount(f) > 0) values.push_back(HashFilter(f));
    }
    *audit = AuditValues(name, values);
  };
  auto first_names = [&] {
    filter(
        "first_name_bloom",
        [](const FieldEncodings& e) -> const BloomFilter& { return e.first_name_bloom; }, &out[1]);
  };
  // Below, a thread costs more than it saves (as RadixSort).
  const bool two_threads = !one_thread && inputs.size() >= (size_t{1} << 16);
  {
    std::thread other;
    if (two_threads) {
      try {
        other = std::thread(first_names);
      } catch (const std::system_error&) {
      }
    }
    filter(
        "surname_bloom",
        [](const FieldEncodings& e) -> const BloomFilter& { return e.surname_bloom; }, &out[0]);
    if (other.joinable()) {
      other.join();
    } else {
      first_names();
    }
  }
  // Each live kind's tokens sorted once, for its frequencies and for the structural audit
  // (issue 13, F1): records chained through shared tokens of any kind. Every token holds the
  // surname, so a component is one surname family (with its typo variants): its largest share
  // is that of the commonest surname. Date parts that travelled alone joined everything into
  // one component (share ~1) partitioned by the calendar. The components are those of
  // TokenComponents (core/field_encodings.h): each labelled by its smallest record.
  const size_t n = inputs.size();
  std::vector<uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  // 12 bytes, not 16 (padded): with its radix sort's copy, 80 MB less at 10M records.
  struct __attribute__((packed)) Held {
    uint64_t token;
    uint32_t record;
  };
  static_assert(sizeof(Held) == 12);
  std::vector<Held> held;
  auto join_equal_tokens = [&] {
    for (size_t j = 1; j < held.size(); ++j) {
      if (held[j].token != held[j - 1].token) continue;
      const uint32_t a = find(held[j].record), b = find(held[j - 1].record);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  };
  const std::vector<TokenKind> live = LiveTokenKinds();
  // Kinds made with one key compare with each other (KeyKindOf): their tokens are joined as
  // one pool below, as TokenComponents does; every other kind is joined on its own sort.
  auto shares_key = [&](TokenKind kind) {
    return std::count_if(live.begin(), live.end(),
                         [&](TokenKind other) { return KeyKindOf(other) == KeyKindOf(kind); }) > 1;
  };
  // Kinds sharing a key: each kind's sorted tokens are kept until the next kind of that key is
  // sorted, and the two sorted lists are walked together (joining equal tokens across them) and
  // merged: pooling the kinds' tokens into one list and sorting it took 160 MB more at 10M
  // records, the daemon's peak (session 8).
  std::map<TokenKind, std::vector<Held>> sorted_of_key;
  for (size_t k = 0; k < live.size(); ++k) {
    const TokenKind kind = live[k];
    // The kind's tokens gathered on two threads, a half of the records each, the second half's
    // appended to the first's: in record order, as on one thread. Reserved for every record (a
    // page is resident only once written): grown by doubling, `held` was copied as it grew.
    held.clear();
    held.reserve(n);
    auto gather = [&](size_t begin, size_t end, std::vector<Held>& into) {
      for (size_t i = begin; i < end; ++i) {
        const uint64_t t = inputs[i].encodings.token(kind);
        if (t != 0) into.push_back({t, static_cast<uint32_t>(i)});
      }
    };
    {
      std::vector<Held> second_half;
      std::thread other;
      if (two_threads) {
        second_half.reserve(n - n / 2);
        try {
          other = std::thread(gather, n / 2, n, std::ref(second_half));
        } catch (const std::system_error&) {
        }
      }
      gather(0, other.joinable() ? n / 2 : n, held);
      if (other.joinable()) {
        other.join();
        held.insert(held.end(), second_half.begin(), second_half.end());
      }
    }
    RadixSort(held, [](const Held& h) { return h.token; });
    // The kind's frequencies on a thread of their own while its equal tokens are joined (both
    // only read `held`).
    LinkageReportData::EncodingAudit audited;
    auto tally = [&] {
      audited = AuditSorted(std::string(TokenKindName(kind)), held.size(),
                            [&](size_t i) { return held[i].token; });
    };
    std::thread other;
    if (two_threads) {
      try {
        other = std::thread(tally);
      } catch (const std::system_error&) {
      }
    }
    join_equal_tokens();
    if (other.joinable()) {
      other.join();
    } else {
      tally();
    }
    out.push_back(std::move(audited));
    if (!shares_key(kind)) continue;
    std::vector<Held>& before = sorted_of_key[KeyKindOf(kind)];
    for (size_t i = 0, j = 0; i < before.size() && j < held.size();) {
      if (before[i].token < held[j].token) {
        ++i;
      } else if (held[j].token < before[i].token) {
        ++j;
      } else {
        const uint32_t a = find(before[i].record), b = find(held[j].record);
        if (a != b) parent[std::max(a, b)] = std::min(a, b);
        ++j;  // every record of this token in `held` meets the first of `before`
      }
    }
    const bool more =
        std::any_of(live.begin() + static_cast<std::ptrdiff_t>(k) + 1, live.end(),
                    [&](TokenKind other) { return KeyKindOf(other) == KeyKindOf(kind); });
    // One record a token is kept: the records of a token are one component already, so the
    // next kind of the key joins with any of them alike. Kept whole, the first kind's list (160
    // MB at 10M records) was held through five other kinds' sorts, beside the cascade.
    auto one_a_token = [](std::vector<Held>& v) {
      v.erase(std::unique(v.begin(), v.end(),
                          [](const Held& x, const Held& y) { return x.token == y.token; }),
              v.end());
      v.shrink_to_fit();
    };
    if (before.empty()) {
      before = std::move(held);
      held = {};
      one_a_token(before);
    } else if (more) {
      std::vector<Held> merged(before.size() + held.size());
      std::merge(before.begin(), before.end(), held.begin(), held.end(), merged.begin(),
                 [](const Held& x, const Held& y) { return x.token < y.token; });
      before = std::move(merged);
      one_a_token(before);
    } else {
      before = {};
    }
  }
  sorted_of_key.clear();
  held = {};
  // Component sizes by label, in ascending order of label (as sorted values would be).
  std::vector<uint32_t> size(n, 0);
  size_t records = 0;
  for (size_t i = 0; i < n; ++i) {
    if (inputs[i].encodings.empty()) continue;
    ++size[find(static_cast<uint32_t>(i))];
    ++records;
  }
  parent = {};
  // The groups in ascending order of label, as sorted labels would give them.
  out.push_back(AuditGroups("token_graph_components", records, [&](auto add) {
    for (uint32_t c : size)
      if (c != 0) add(static_cast<int64_t>(c));
  }));
  return out;
}

LinkerCore::LinkerCore(RecordStore* store, std::function<int64_t()> clock_ms, AuditLog* audit)
    : store_(store), clock_(std::move(clock_ms)), audit_(audit) {}

absl::StatusOr<AuditLog*> LinkerCore::audit_log() {
  std::lock_guard<std::mutex> lock(audit_mu_);
  if (audit_ != nullptr) return audit_;
  // No log configured (simulations, fuzzing): one signed with a key made for this process.
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(store_, *key, clock_);
  if (!log.ok()) return log.status();
  owned_audit_ = std::move(*log);
  audit_ = owned_audit_.get();
  return audit_;
}

absl::Status LinkerCore::AuditWritable() {
  absl::StatusOr<AuditLog*> log = audit_log();
  if (!log.ok()) return log.status();
  absl::Status damage = (*log)->damage();
  if (damage.ok()) return damage;
  return absl::FailedPreconditionError(
      Cat("the audit log is damaged (", damage.message(),
          "): the linker stores, links and releases nothing until the operator restores it"));
}

absl::StatusOr<std::shared_ptr<LinkageSnapshot>> LinkerCore::Compute() {
  // Memory (issue 13: 10M police and 100k case records under 4 GiB). The linkage inputs (256
  // bytes a record) are the bulk; the snapshot's records (88 bytes) are made only once the
  // inputs are let go, from what the load kept beside them (Kept, 20 bytes, and the record ids
  // packed in one text): held through Link() with the inputs, they took 437 bytes a record at
  // the peak (1M records) where this takes ~320. The encoding audit runs before Link(), so that
  // its sorts and Link()'s working memory are never held at once.
  struct Kept {
    int32_t event_day;
    uint32_t category;  // cases: index into case_attributes
    uint32_t role;
    int16_t birth_band;  // PersonAttributes, packed (1800-2200: proto/extract_codec.cc)
    char gender;
    uint32_t run;  // index into `runs`: the extract the record came in
  };
  auto snap = std::make_shared<LinkageSnapshot>();
  std::vector<LinkInput> inputs;
  std::vector<Kept> kept;
  // Reserved from the extracts' record counts: grown by doubling, the vector held its old and
  // new copies at once (at 10M records, ~2 GB more at the peak).
  {
    absl::StatusOr<std::vector<ExtractInfo>> extracts = store_->ListExtracts();
    if (!extracts.ok()) return extracts.status();
    uint64_t records = 0;
    for (const ExtractInfo& e : *extracts) {
      if (!e.withdrawn) records += e.record_count;
    }
    inputs.reserve(records);
    kept.reserve(records);
  }
  std::string inputs_list;
  std::string last_extract;
  ExtractId extract_id;  // interned once per extract, shared by its records
  absl::flat_hash_map<std::string, uint32_t> attribute_index = {{"", 0}};
  auto attribute_value = [&](const std::string& v) {
    auto [it, added] = attribute_index.try_emplace(v, snap->attribute_values.size());
    if (added) snap->attribute_values.push_back(v);
    return it->second;
  };
  // A record sent again in a later extract of its site and kind (an overlapping re-export
  // not withdrawn first) is one record, not a second incident, conviction or case: the same
  // record id and person (every match key). Only the copy of the most recently committed
  // extract is linked, with its day and attributes (an update: a role or category changed, a
  // date corrected); the others are counted in the report (repeated_records). Found by red
  // team 6: 137 + 60 overlapping incident rows were 197 records and changed nine subjects'
  // counts; red team 7 (M4): changed copies were kept too. A copy whose identity changed is
  // resolved after linking (below). 16 bytes a record while loading (HashedRecord).
  std::vector<HashedRecord> identity;
  identity.reserve(inputs.capacity());
  struct Run {
    int64_t committed_unix_ms;
    std::string site;
  };
  std::vector<Run> runs;
  uint64_t extract_hash = 0;  // of the extract's site and kind: the start of its records' hashes
  // The incident attributes of the last record (an extract's are mostly one category and role):
  // their index without a hash-map lookup of each string.
  struct LastValue {
    std::string value;
    uint32_t index = 0;
    bool set = false;
  };
  LastValue last_category, last_role;
  auto cached_value = [&](LastValue& last, const std::string& v) {
    if (!last.set || last.value != v) {
      last.index = attribute_value(v);
      last.value = v;
      last.set = true;
    }
    return last.index;
  };
  absl::Status scan = store_->ScanRecords([&](const StoredRecord& r) {
    if (r.extract->extract_id != last_extract) {
      last_extract = r.extract->extract_id;
      extract_id = ExtractId(last_extract);
      Append(&inputs_list, r.extract->extract_id, ":", r.extract->content_digest, "\n");
      runs.push_back({r.extract->committed_unix_ms, r.extract->site});
      extract_hash = Mix(std::hash<std::string>()(r.extract->site),
                         static_cast<uint64_t>(r.extract->kind) + 1);
    }
    // Made in place: a LinkInput (~400 bytes) built aside and moved in was copied twice.
    LinkInput& in = inputs.emplace_back();
    in.source = r.extract->kind;
    in.extract_id = extract_id;
    in.record_id = r.record->record_id;
    in.keys = r.record->keys;
    in.encodings = r.record->encodings;
    Kept k{r.record->event_day,
           0,
           0,
           static_cast<int16_t>(r.record->person.birth_band),
           r.record->person.gender,
           static_cast<uint32_t>(runs.size() - 1)};
    if (r.extract->kind == ExportKind::kCases) {
      k.category = static_cast<uint32_t>(snap->case_attributes.size());
      snap->case_attributes.push_back(r.record->case_attributes);
      snap->case_identity.push_back(CaseIdentity(*r.record));
    } else if (r.extract->kind == ExportKind::kIncidents) {
      k.category = cached_value(last_category, r.record->incident_attributes.category);
      k.role = cached_value(last_role, r.record->incident_attributes.role);
    }
    kept.push_back(k);
    uint64_t h = Mix(extract_hash, std::hash<std::string>()(r.record->record_id));
    for (const MatchKey& key : r.record->keys) {
      uint64_t d = 0;
      std::memcpy(&d, key.digest.data(), std::min(sizeof d, key.digest.size()));
      h = Mix(h, d ^ static_cast<uint64_t>(key.level));
    }
    identity.push_back({h, static_cast<uint32_t>(identity.size())});
    return absl::OkStatus();
  });
  if (!scan.ok()) return scan;
  // Of two copies of one record the later committed extract's wins; among copies committed at
  // once, the later scanned.
  auto newer_copy = [&](size_t a, size_t b) {
    const int64_t ta = runs[kept[a].run].committed_unix_ms;
    const int64_t tb = runs[kept[b].run].committed_unix_ms;
    return ta != tb ? ta > tb : a > b;
  };
  LinkageReportData& report = snap->report;
  {
    auto same = [&](size_t a, size_t b) {
      const LinkInput& x = inputs[a];
      const LinkInput& y = inputs[b];
      if (x.source != y.source || x.record_id != y.record_id || !(x.keys == y.keys)) return false;
      return runs[kept[a].run].site == runs[kept[b].run].site;
    };
    std::vector<uint8_t> drop(inputs.size(), 0);
    MarkOlderCopies(identity, same, newer_copy, drop);  // radix: 2 s less than std::sort at 10M
    identity = {};
    size_t out = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (drop[i]) continue;
      if (out != i) {
        inputs[out] = std::move(inputs[i]);
        kept[out] = kept[i];
      }
      ++out;
    }
    report.repeated_records = static_cast<int64_t>(inputs.size() - out);
    inputs.resize(out);
    kept.resize(out);
  }
  PhaseDone("load");
  // The encoding audit on a thread of its own beside the exact cascade (both only read the
  // inputs), joined before the probabilistic stage, whose working memory is the larger: one
  // after the other, each ran mostly on one core and left the other idle (at 10M records
  // ~8 s of audit, then ~15 s of cascade). Alone when no thread can be started.
  std::thread audit;
  std::exception_ptr audit_failed;  // (out of memory): thrown on the caller's thread
  try {
    audit = std::thread([&] {
      try {
        report.encoding_audit = AuditEncodings(inputs, true);
      } catch (...) {
        audit_failed = std::current_exception();
      }
    });
  } catch (const std::system_error&) {
    report.encoding_audit = AuditEncodings(inputs);
  }
  auto join_audit = [&] {
    if (!audit.joinable()) return;
    audit.join();
    if (audit_failed) std::rethrow_exception(audit_failed);
    ReleaseFreedMemory();  // the audit's sorts: not the probabilistic stage's
    PhaseDone("cascade_and_audit");
  };
  LinkOptions options = link_options_;
  options.after_cascade = join_audit;
  LinkageResult result;
  try {
    result = Link(inputs, options);
  } catch (...) {
    if (audit.joinable()) audit.join();
    throw;
  }
  join_audit();  // a guard: Link() joins it once its cascade is done (after_cascade)
  ReleaseFreedMemory();
  PhaseDone("link");
  // The record ids packed (a few bytes each, not a 32-byte string), then the inputs let go:
  // subject ids and the snapshot's records are made from what is kept.
  const size_t n = inputs.size();
  std::vector<ExportKind> sources(n);
  std::vector<ExtractId> extract_ids;      // one per run of records of one extract
  std::vector<std::string> extract_sites;  // the site of each
  std::vector<uint32_t> extract_starts;
  std::string id_text;
  std::vector<size_t> id_ends(n);
  {
    size_t text = 0;
    for (const LinkInput& in : inputs) text += in.record_id.size();
    id_text.reserve(text);
  }
  for (size_t i = 0; i < n; ++i) {
    sources[i] = inputs[i].source;
    if (extract_ids.empty() || !(inputs[i].extract_id == extract_ids.back())) {
      extract_ids.push_back(inputs[i].extract_id);
      extract_sites.push_back(runs[kept[i].run].site);
      extract_starts.push_back(static_cast<uint32_t>(i));
    }
    id_text += inputs[i].record_id;
    id_ends[i] = id_text.size();
  }
  inputs.clear();
  inputs.shrink_to_fit();
  auto record_id = [&](size_t i) {
    const size_t begin = i == 0 ? 0 : id_ends[i - 1];
    return std::string_view(id_text).substr(begin, id_ends[i] - begin);
  };
  // The extract of every record, in order (records come extract by extract).
  std::vector<uint32_t> extract_of(n);
  for (size_t i = 0, e = 0; i < n; ++i) {
    if (e + 1 < extract_starts.size() && extract_starts[e + 1] == i) ++e;
    extract_of[i] = static_cast<uint32_t>(e);
  }
  // A member is named by its site, kind and record id, not by the extract it came in: a
  // record's id is its site's own and stays across the site's re-exports (SPEC 2: a case file's
  // case_id is unique; the linker already takes a record sent again by its site and kind for
  // the same record, above). Named by extract (until ids9), a case file withdrawn and submitted
  // again (a new extract: another client id, or one field changed) was all new records: its
  // linked subjects kept their ids through their police records and its unlinked ones, with
  // nothing else to carry an id, got new ones, so the ids of a rerun cohort told the analyst
  // who is unknown to the police. The name never reaches an id: an id is kept by the votes of
  // its members' names, or derived as before (Link(): from the smallest member's extract and
  // record id), alike for the linked and the unlinked.
  auto member_name = [&](size_t i, std::string* name) {
    MemberNameInto(sources[i], extract_sites[extract_of[i]], record_id(i), name);
  };
  // Stable subject ids: the previous run's membership of subjects holding a case.
  {
    absl::StatusOr<std::optional<std::string>> text = store_->GetMeta("subject_membership");
    if (!text.ok()) return text.status();
    std::unordered_map<std::string, std::string> previous;
    if (*text) {
      std::string_view rest = **text;
      // Without the header: a membership of the former form, members named by extract id
      // ("cases\x1fX...\x1fc12"). Read as the extract's site's (the store keeps withdrawn
      // extracts' sites too), so that the first run after an upgrade keeps every id; a member
      // of an extract the store does not know is left out.
      const bool by_site = rest.substr(0, kMembershipHeader.size()) == kMembershipHeader;
      absl::flat_hash_map<std::string, std::string> site_of_extract;
      if (!by_site) {
        absl::StatusOr<std::vector<ExtractInfo>> extracts = store_->ListExtracts();
        if (!extracts.ok()) return extracts.status();
        for (const ExtractInfo& e : *extracts) site_of_extract[e.extract_id] = e.site;
      }
      while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        size_t tab = line.rfind('\t');
        if (tab == std::string_view::npos) continue;  // the header too
        std::string member(line.substr(0, tab));
        if (!by_site) {
          const size_t a = member.find('\x1f');
          const size_t b = a == std::string::npos ? a : member.find('\x1f', a + 1);
          if (b == std::string::npos) continue;
          auto site = site_of_extract.find(member.substr(a + 1, b - a - 1));
          if (site == site_of_extract.end()) continue;
          member = Cat(member.substr(0, a + 1), site->second, member.substr(b));
        }
        previous.emplace(std::move(member), std::string(line.substr(tab + 1)));
      }
    }
    report.subjects_kept_id = KeepSubjectIds(member_name, previous, &result);
    // Persisted for the next run: every subject that holds a case, and every subject that
    // carries an id of the previous run (a subject whose cases were withdrawn keeps its id
    // through its police records, so that its case, submitted again, finds it; without this
    // the first run after a withdrawal forgot those ids).
    absl::flat_hash_set<std::string_view> previous_ids;  // looked up once per subject
    for (const auto& [member, id] : previous) previous_ids.insert(id);
    std::vector<uint8_t> persist(result.subject_ids.size(), 0);
    for (size_t s = 0; s < result.subject_ids.size(); ++s) {
      if (previous_ids.contains(result.subject_ids[s])) persist[s] = 1;
    }
    for (size_t i = 0; i < n; ++i) {
      if (sources[i] == ExportKind::kCases) persist[result.subject_of[i]] = 1;
    }
    snap->membership = kMembershipHeader;
    absl::flat_hash_set<std::string> case_members;  // this run's
    std::string name;
    for (size_t i = 0; i < n; ++i) {
      if (!persist[result.subject_of[i]]) continue;
      member_name(i, &name);
      if (sources[i] == ExportKind::kCases) case_members.insert(name);
      Append(&snap->membership, name, "\t", result.subject_ids[result.subject_of[i]], "\n");
    }
    // Cases of the previous membership that this run does not hold (their extract withdrawn,
    // not yet submitted again) are kept with their ids: a linked person keeps the id through
    // the police records meanwhile, and an unlinked one, then without any record, would
    // otherwise come back under a new id after a link run in between (the same oracle as
    // above). Cases only: one line per case id a site ever sent (a case file's size, not the
    // police's). They hold what the linker held already (site, case id, subject id), never
    // leave it, and a case submitted again under its id takes its id back by the vote.
    const std::string cases_prefix = Cat(ExportKindName(ExportKind::kCases), "\x1f");
    std::vector<std::pair<std::string_view, std::string_view>> carried;
    for (const auto& [member, id] : previous) {
      if (member.rfind(cases_prefix, 0) == 0 && !case_members.contains(member))
        carried.emplace_back(member, id);
    }
    std::sort(carried.begin(), carried.end());  // the map's order is not the same each run
    for (const auto& [member, id] : carried) Append(&snap->membership, member, "\t", id, "\n");
  }
  PhaseDone("subject_ids");
  // A record sent again with changes (red team 7, M4: a re-export whose overlap had a role
  // updated, a category reclassified or initials missing kept both copies, and the year
  // before's incidents mean rose from 6.20 to 6.52-6.64): of the copies of one record id from
  // one site and kind that linked to one subject, only the most recently committed extract's
  // is kept. Copies in other subjects stay (the same incident id names each person involved).
  std::vector<uint8_t> superseded(n, 0);
  {
    std::vector<HashedRecord> copies(n);
    for (size_t i = 0; i < n; ++i) {
      uint64_t h = Mix(result.subject_of[i], static_cast<uint64_t>(sources[i]) + 1);
      h = Mix(h, std::hash<std::string>()(runs[kept[i].run].site));
      h = Mix(h, std::hash<std::string_view>()(record_id(i)));
      copies[i] = {h, static_cast<uint32_t>(i)};
    }
    auto same = [&](uint32_t a, uint32_t b) {
      return result.subject_of[a] == result.subject_of[b] && sources[a] == sources[b] &&
             record_id(a) == record_id(b) && runs[kept[a].run].site == runs[kept[b].run].site;
    };
    MarkOlderCopies(copies, same, newer_copy, superseded);
  }
  for (uint8_t s : superseded) report.repeated_records += s;
  snap->records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (superseded[i]) continue;
    const Kept& k = kept[i];
    LinkedRecord lr;
    lr.source = sources[i];
    lr.extract_id = extract_ids[extract_of[i]];
    lr.record_id = record_id(i);
    lr.subject = result.subject_of[i];
    lr.level = result.joined_at_level[i];
    lr.evidence = result.evidence_of[i];
    lr.event_day = k.event_day;
    lr.person = {k.gender, k.birth_band};
    if (lr.source == ExportKind::kCases) {
      lr.case_attributes = static_cast<int32_t>(k.category);
    } else if (lr.source == ExportKind::kIncidents) {
      lr.category = k.category;
      lr.role = k.role;
    }
    snap->records.push_back(std::move(lr));
  }
  kept = {};
  id_text = {};
  id_ends = {};
  sources = {};
  extract_of = {};
  LinkageReportData& rep = snap->report;
  std::vector<uint8_t> has_incident(result.subject_ids.size(), 0),
      has_conviction(result.subject_ids.size(), 0);
  for (const LinkedRecord& lr : snap->records) {
    if (lr.source == ExportKind::kIncidents) {
      ++rep.incident_records;
      has_incident[lr.subject] = 1;
    } else if (lr.source == ExportKind::kConvictions) {
      ++rep.conviction_records;
      has_conviction[lr.subject] = 1;
    } else {
      ++rep.cases;
    }
  }
  for (const LinkedRecord& lr : snap->records) {
    if (lr.source != ExportKind::kCases) continue;
    if (has_incident[lr.subject]) ++rep.cases_linked_incidents;
    if (has_conviction[lr.subject]) ++rep.cases_linked_convictions;
    if (!has_incident[lr.subject] && !has_conviction[lr.subject]) ++rep.unlinked_cases;
  }
  // Case links per level, apart from the joins among police records.
  std::vector<uint8_t> has_police(result.subject_ids.size(), 0);
  for (size_t s = 0; s < has_police.size(); ++s)
    has_police[s] = has_incident[s] | has_conviction[s];
  for (const LinkedRecord& lr : snap->records) {
    if (lr.source == ExportKind::kCases) {
      ++rep.case_links_by_level[has_police[lr.subject] ? lr.level : 0];
    } else if (lr.level != 0) {
      ++rep.police_joins_by_level[lr.level];
    }
  }
  rep.probabilistic_links = result.counts.probabilistic_links;
  rep.possible_links = result.counts.possible_links;
  rep.candidate_pairs = result.counts.candidate_pairs;
  rep.twin_vetoes = result.counts.twin_vetoes;
  rep.uncorroborated = result.counts.uncorroborated;
  rep.case_groups_kept_apart = result.counts.case_groups_kept_apart;
  rep.em_estimated = result.parameters.estimated;
  for (const LinkEvidence& e : result.evidence) {
    if (e.linked) snap->evidence.push_back(e);
  }
  // evidence_of indexes all evidence; renumber to the links kept.
  {
    std::vector<int32_t> renumber(result.evidence.size(), -1);
    int32_t next = 0;
    for (size_t k = 0; k < result.evidence.size(); ++k) {
      if (result.evidence[k].linked) renumber[k] = next++;
    }
    for (LinkedRecord& lr : snap->records) {
      if (lr.evidence >= 0) lr.evidence = renumber[lr.evidence];
    }
  }
  rep.subjects = result.counts.subjects;
  rep.ambiguous_keys = result.counts.ambiguous_keys;
  for (int l = 0; l < 6; ++l) rep.links_by_level[l] = result.counts.links_by_level[l];
  rep.inputs_digest = Sha256Hex(inputs_list);
  snap->subject_ids = std::move(result.subject_ids);
  PhaseDone("records");
  return snap;
}

absl::StatusOr<LinkageReportData> LinkerCore::RunLinkage() {
  std::lock_guard<std::mutex> lock(mu_);
  // The last run's snapshot (every record, ~200 bytes each) is let go before this run: held
  // through it, a second run needed the memory of both. A reader holding it keeps it; if this
  // run fails, Snapshot() recomputes it (or refuses when the extracts changed), as after a
  // restart.
  snapshot_.reset();
  ReleaseFreedMemory();
  absl::StatusOr<std::shared_ptr<LinkageSnapshot>> snap = Compute();
  ReleaseFreedMemory();
  if (!snap.ok()) return snap.status();
  (*snap)->report.linked_unix_ms = clock_();
  absl::Status s = store_->PutMeta("subject_membership", (*snap)->membership);
  if (!s.ok()) return s;
  s = store_->PutMeta("linkage_report", (*snap)->report.ToJson().dump());
  if (!s.ok()) return s;
  snapshot_ = *snap;
  return (*snap)->report;
}

absl::StatusOr<LinkageReportData> LinkerCore::LastReport() {
  absl::StatusOr<std::optional<std::string>> text = store_->GetMeta("linkage_report");
  if (!text.ok()) return text.status();
  if (!*text) return absl::NotFoundError("no link run yet: run pprl link first");
  return LinkageReportData::FromJson(**text);
}

absl::StatusOr<std::shared_ptr<const LinkageSnapshot>> LinkerCore::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_) return snapshot_;
  absl::StatusOr<LinkageReportData> last = LastReport();
  if (!last.ok()) return last.status();
  absl::StatusOr<std::shared_ptr<LinkageSnapshot>> snap = Compute();
  if (!snap.ok()) return snap.status();
  if ((*snap)->report.inputs_digest != last->inputs_digest) {
    return absl::FailedPreconditionError(
        "the extracts changed since the last link run: run pprl link again");
  }
  (*snap)->report.linked_unix_ms = last->linked_unix_ms;
  snapshot_ = *snap;
  return snapshot_;
}

absl::StatusOr<AuditAppended> LinkerCore::AuditAppend(const std::string& actor,
                                                      const std::string& role,
                                                      const std::string& action,
                                                      const std::string& outcome,
                                                      const nlohmann::json& detail) {
  absl::StatusOr<AuditLog*> log = audit_log();
  if (!log.ok()) return log.status();
  const int64_t now = clock_();
  return (*log)->Append([&](uint64_t seq, const std::string& nonce) {
    return AuditBody(seq, now, nonce, actor, role, action, outcome, detail);
  });
}

absl::StatusOr<uint64_t> LinkerCore::Audit(const std::string& actor, const std::string& role,
                                           const std::string& action, const std::string& outcome,
                                           const nlohmann::json& detail) {
  absl::StatusOr<AuditAppended> r = AuditAppend(actor, role, action, outcome, detail);
  if (!r.ok()) return r.status();
  return r->sequence;
}

}  // namespace pprl
