#include "bench/fs_reference.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <unordered_map>

#include "core/columns.h"
#include "core/csv_reader.h"
#include "core/name_normaliser.h"
#include "core/text.h"

namespace pprl::bench {
namespace {

constexpr int kFields = 3;
constexpr int kLevels[kFields] = {4, 3, 4};  // surname, initials, birth date
constexpr int kMissing = -1;

int SurnameLevel(const PlainRecord& a, const PlainRecord& b) {
  if (a.surname == b.surname || a.full == b.full) return 3;
  const double jw = std::max(JaroWinkler(a.surname, b.surname), JaroWinkler(a.full, b.full));
  return jw >= 0.94 ? 2 : jw >= 0.85 ? 1 : 0;
}

int InitialsLevel(const PlainRecord& a, const PlainRecord& b) {
  if (a.initials.empty() || b.initials.empty()) return kMissing;
  if (a.initials == b.initials) return 2;
  return a.initials[0] == b.initials[0] ? 1 : 0;
}

std::string Digits(const Date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", d.year, d.month, d.day);
  return buf;
}

int BirthLevel(const PlainRecord& a, const PlainRecord& b) {
  const Date &x = a.birth, &y = b.birth;
  if (x == y) return 3;
  if (x.year == y.year && x.day == y.month && x.month == y.day) return 2;
  const std::string dx = Digits(x), dy = Digits(y);
  int diff = 0;
  for (size_t i = 0; i < dx.size(); ++i) diff += dx[i] != dy[i];
  if (diff == 1) return 2;
  const int same = (x.year == y.year) + (x.month == y.month) + (x.day == y.day);
  return same >= 2 ? 1 : 0;
}

}  // namespace

double JaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  const int window = std::max(0, std::max(la, lb) / 2 - 1);
  std::vector<char> ma(la, 0), mb(lb, 0);
  int matches = 0;
  for (int i = 0; i < la; ++i) {
    for (int j = std::max(0, i - window); j < std::min(lb, i + window + 1); ++j) {
      if (mb[j] || a[i] != b[j]) continue;
      ma[i] = mb[j] = 1;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0;
  int t = 0;
  for (int i = 0, j = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[j]) ++j;
    t += a[i] != b[j];
    ++j;
  }
  const double m = matches;
  const double jaro = (m / la + m / lb + (m - t / 2.0) / m) / 3;
  int prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1 - jaro);
}

absl::StatusOr<std::vector<PlainRecord>> ReadPlainRecords(const std::string& dir,
                                                          int64_t* skipped) {
  absl::StatusOr<std::unique_ptr<NameNormaliser>> names = NameNormaliser::Create();
  if (!names.ok()) return names.status();
  std::vector<PlainRecord> out;
  for (ExportKind kind : {ExportKind::kCases, ExportKind::kIncidents, ExportKind::kConvictions}) {
    const std::string name = Cat(ExportKindName(kind), ".csv");
    std::ifstream in(std::filesystem::path(dir) / name, std::ios::binary);
    if (!in) return absl::NotFoundError(Cat("cannot read ", name, " in ", dir));
    CsvReader reader(in);
    absl::StatusOr<CsvRow> header = reader.ReadHeader();
    if (!header.ok()) return header.status();
    absl::StatusOr<ColumnLayout> layout = ColumnLayout::Resolve(header->fields, kind);
    if (!layout.ok()) return layout.status();
    const Field id_field = kind == ExportKind::kCases       ? Field::kCaseId
                           : kind == ExportKind::kIncidents ? Field::kIncidentId
                                                            : Field::kConvictionId;
    auto get = [&](const CsvRow& r, Field f) -> std::string_view {
      std::optional<size_t> i = layout->index(f);
      return i && *i < r.fields.size() ? r.fields[*i] : std::string_view();
    };
    CsvRow row;
    while (true) {
      absl::StatusOr<bool> got = reader.Next(&row);
      if (!got.ok()) return got.status();
      if (!*got) break;
      PlainRecord p;
      p.source = std::string(ExportKindName(kind));
      p.record_id = std::string(get(row, id_field));
      absl::StatusOr<NormalisedSurname> s =
          (*names)->Surname(get(row, Field::kSurname), get(row, Field::kSurnamePrefix));
      absl::StatusOr<Date> birth = ParseDate(get(row, Field::kBirthDate));
      if (!s.ok() || !birth.ok()) {
        ++*skipped;
        continue;
      }
      p.surname = s->surname;
      for (char c : s->prefix)
        if (c >= 'a' && c <= 'z') p.full += c;
      p.full += s->surname;
      p.initials = (*names)->Initials(get(row, Field::kInitials));
      if (p.initials.empty())
        p.initials = (*names)->InitialsFromFirstNames(get(row, Field::kFirstNames));
      p.birth = *birth;
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<ScoredPair> LinkFellegiSunter(const std::vector<PlainRecord>& records, FsModel* model) {
  // Blocking on the police side.
  std::unordered_map<std::string, std::vector<size_t>> blocks;
  auto keys = [](const PlainRecord& r) {
    const int lo = std::min(r.birth.day, r.birth.month), hi = std::max(r.birth.day, r.birth.month);
    return std::array<std::string, 4>{
        Cat("d", Digits(r.birth)), Cat("s", r.full),
        Cat("p", DutchPhonetic(r.surname), r.birth.year),
        r.initials.empty() ? std::string() : Cat("i", r.initials.substr(0, 1), lo, "-", hi)};
  };
  std::vector<size_t> cases;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].source == "cases") {
      cases.push_back(i);
      continue;
    }
    for (const std::string& k : keys(records[i]))
      if (!k.empty()) blocks[k].push_back(i);
  }
  struct Candidate {
    size_t c, p;
    std::array<int, kFields> level;
  };
  std::vector<Candidate> candidates;
  for (size_t c : cases) {
    std::vector<size_t> police;
    for (const std::string& k : keys(records[c])) {
      if (k.empty()) continue;
      auto it = blocks.find(k);
      if (it != blocks.end()) police.insert(police.end(), it->second.begin(), it->second.end());
    }
    std::sort(police.begin(), police.end());
    police.erase(std::unique(police.begin(), police.end()), police.end());
    for (size_t p : police) {
      candidates.push_back(
          {c,
           p,
           {SurnameLevel(records[c], records[p]), InitialsLevel(records[c], records[p]),
            BirthLevel(records[c], records[p])}});
    }
  }

  // EM on the comparison vectors of ALL (case, police) pairs, counted by pattern (as fastLink
  // does without blocking): there the non-matches dominate as they do in the population, so m,
  // u and the match share are all estimated from the data without labels.
  std::map<std::array<int, kFields>, int64_t> patterns;
  for (size_t c : cases) {
    for (size_t p = 0; p < records.size(); ++p) {
      if (records[p].source == "cases") continue;
      ++patterns[{SurnameLevel(records[c], records[p]), InitialsLevel(records[c], records[p]),
                  BirthLevel(records[c], records[p])}];
    }
  }
  double total = 0;
  for (const auto& [pattern, count] : patterns) total += static_cast<double>(count);
  FsModel& f = *model;
  f.m.assign(kFields, {});
  f.u.assign(kFields, {});
  for (int k = 0; k < kFields; ++k) {
    f.m[k].assign(kLevels[k], 0.1 / (kLevels[k] - 1));
    f.m[k][kLevels[k] - 1] = 0.9;
    std::vector<double> n(kLevels[k], 1);
    for (const auto& [pattern, count] : patterns)
      if (pattern[k] != kMissing) n[pattern[k]] += static_cast<double>(count);
    double sum = 0;
    for (double v : n) sum += v;
    f.u[k].assign(kLevels[k], 0);
    for (int l = 0; l < kLevels[k]; ++l) f.u[k][l] = n[l] / sum;
  }
  f.match_share =
      std::min(0.5, static_cast<double>(records.size() - cases.size()) / 20 / std::max(total, 1.0));
  for (f.iterations = 0; f.iterations < 1000; ++f.iterations) {
    std::vector<std::vector<double>> mm(kFields), uu(kFields);
    for (int k = 0; k < kFields; ++k) {
      mm[k].assign(kLevels[k], 1e-3);
      uu[k].assign(kLevels[k], 1e-3);
    }
    double matches = 0;
    for (const auto& [pattern, count] : patterns) {
      double pm = f.match_share, pu = 1 - f.match_share;
      for (int k = 0; k < kFields; ++k) {
        if (pattern[k] == kMissing) continue;
        pm *= f.m[k][pattern[k]];
        pu *= f.u[k][pattern[k]];
      }
      const double g = pm / (pm + pu);
      const double n = static_cast<double>(count);
      matches += g * n;
      for (int k = 0; k < kFields; ++k) {
        if (pattern[k] == kMissing) continue;
        mm[k][pattern[k]] += g * n;
        uu[k][pattern[k]] += (1 - g) * n;
      }
    }
    double change = std::fabs(matches / total - f.match_share) / f.match_share;
    f.match_share = matches / total;
    for (int k = 0; k < kFields; ++k) {
      double sm = 0, su = 0;
      for (int l = 0; l < kLevels[k]; ++l) sm += mm[k][l], su += uu[k][l];
      for (int l = 0; l < kLevels[k]; ++l) {
        change = std::max(change, std::fabs(mm[k][l] / sm - f.m[k][l]));
        f.m[k][l] = mm[k][l] / sm;
        f.u[k][l] = uu[k][l] / su;
      }
    }
    if (change < 1e-9) break;
  }

  // Weights; each police row keeps its best case.
  std::unordered_map<size_t, ScoredPair> best;
  for (const Candidate& x : candidates) {
    double w = 0;
    for (int k = 0; k < kFields; ++k) {
      if (x.level[k] == kMissing) continue;
      w += std::log2(f.m[k][x.level[k]] / f.u[k][x.level[k]]);
    }
    auto [it, fresh] = best.try_emplace(x.p, ScoredPair{x.c, x.p, w});
    if (!fresh && w > it->second.weight) it->second = {x.c, x.p, w};
  }
  std::vector<ScoredPair> out;
  out.reserve(best.size());
  for (const auto& [p, pair] : best) out.push_back(pair);
  std::sort(out.begin(), out.end(), [](const ScoredPair& a, const ScoredPair& b) {
    return std::tie(b.weight, a.police_index) < std::tie(a.weight, b.police_index);
  });
  return out;
}

}  // namespace pprl::bench
