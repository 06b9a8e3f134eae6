#include "synth/linkage_truth.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/csv_reader.h"
#include "core/text.h"

namespace pprl {
namespace {

bool IsSource(std::string_view s) { return s == "cases" || s == "incidents" || s == "convictions"; }

// Calls row(line, fields) for each data row of a CSV file with `columns` columns, after
// checking the header's first `columns` names against `names`.
template <typename F>
absl::Status ReadCsvFile(const std::string& path, const std::vector<std::string>& names, F row) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", path));
  CsvReader reader(in);
  absl::StatusOr<CsvRow> header = reader.ReadHeader();
  if (!header.ok()) return absl::InvalidArgumentError(Cat(path, ": ", header.status().message()));
  if (header->fields.size() != names.size()) {
    return absl::InvalidArgumentError(Cat(path, ":", header->line, ": the header has ",
                                          header->fields.size(), " columns; expected ",
                                          names.size(), " (", Join(names, ","), ")"));
  }
  CsvRow r;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&r);
    if (!got.ok()) return absl::InvalidArgumentError(Cat(path, ": ", got.status().message()));
    if (!*got) break;
    if (r.fields.size() != names.size()) {
      return absl::InvalidArgumentError(
          Cat(path, ":", r.line, ": ", r.fields.size(), " fields; expected ", names.size()));
    }
    absl::Status s = row(r.line, r.fields);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

double PairCounts::Precision() const {
  return found_pairs ? static_cast<double>(correct_pairs) / static_cast<double>(found_pairs) : 1;
}
double PairCounts::Recall() const {
  return true_pairs ? static_cast<double>(correct_pairs) / static_cast<double>(true_pairs) : 1;
}
double PairCounts::F1() const {
  const double p = Precision(), r = Recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

absl::StatusOr<std::vector<TruthRow>> ReadTruthFile(const std::string& path) {
  std::vector<TruthRow> out;
  std::set<std::pair<std::string, std::string>> seen;
  absl::Status s = ReadCsvFile(
      path, {"source", "record_id", "person_id", "errors"},
      [&](int64_t line, const std::vector<std::string_view>& f) -> absl::Status {
        if (!IsSource(f[0])) {
          return absl::InvalidArgumentError(
              Cat(path, ":", line, ": column source: not cases, incidents or convictions"));
        }
        if (f[1].empty() || f[2].empty()) {
          return absl::InvalidArgumentError(Cat(
              path, ":", line, ": column ", f[1].empty() ? "record_id" : "person_id", ": empty"));
        }
        if (!seen.insert({std::string(f[0]), std::string(f[1])}).second) {
          return absl::InvalidArgumentError(
              Cat(path, ":", line, ": column record_id: the record appears twice"));
        }
        out.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])});
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<LinkRow>> ReadLinksFile(const std::string& path) {
  std::vector<LinkRow> out;
  absl::Status s =
      ReadCsvFile(path, {"subject_id", "source", "record_id"},
                  [&](int64_t line, const std::vector<std::string_view>& f) -> absl::Status {
                    if (!IsSource(f[1])) {
                      return absl::InvalidArgumentError(Cat(
                          path, ":", line, ": column source: not cases, incidents or convictions"));
                    }
                    out.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2])});
                    return absl::OkStatus();
                  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<LinkageQuality> ScoreLinkage(const std::vector<TruthRow>& truth,
                                            const std::vector<LinkRow>& links) {
  // Records are numbered by their position in the truth.
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (size_t i = 0; i < truth.size(); ++i) index[{truth[i].source, truth[i].record_id}] = i;
  std::vector<std::vector<std::string>> kinds(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    for (std::string_view k : SplitAny(truth[i].errors, "+"))
      if (!k.empty()) kinds[i].emplace_back(k);
  }
  std::unordered_map<std::string, std::vector<size_t>> police_of_person, cases_of_person;
  for (size_t i = 0; i < truth.size(); ++i) {
    (truth[i].source == "cases" ? cases_of_person : police_of_person)[truth[i].person].push_back(i);
  }
  std::vector<uint8_t> in_links(truth.size(), 0);
  std::map<std::string, std::vector<size_t>> subjects;
  for (size_t n = 0; n < links.size(); ++n) {
    auto it = index.find({links[n].source, links[n].record_id});
    if (it == index.end()) {
      return absl::InvalidArgumentError(Cat("links row ", n + 1, ": record ", links[n].source, " ",
                                            links[n].record_id, " is not in the truth file"));
    }
    in_links[it->second] = 1;
    subjects[links[n].subject].push_back(it->second);
  }

  LinkageQuality q;
  auto count = [&](size_t c, size_t p, int64_t PairCounts::*field) {
    ++(q.overall.*field);
    if (kinds[c].empty() && kinds[p].empty()) ++(q.by_kind["none"].*field);
    std::set<std::string_view> both(kinds[c].begin(), kinds[c].end());
    both.insert(kinds[p].begin(), kinds[p].end());
    for (std::string_view k : both) ++(q.by_kind[std::string(k)].*field);
  };
  // Found pairs, and which of them are true.
  std::set<std::pair<size_t, size_t>> found;
  for (const auto& [subject, members] : subjects) {
    for (size_t c : members) {
      if (truth[c].source != "cases") continue;
      for (size_t p : members) {
        if (truth[p].source == "cases" || !found.insert({c, p}).second) continue;
        count(c, p, &PairCounts::found_pairs);
        if (truth[c].person == truth[p].person) count(c, p, &PairCounts::correct_pairs);
      }
    }
  }
  // True pairs, from the truth alone.
  std::set<size_t> absent_police;
  for (const auto& [person, cases] : cases_of_person) {
    for (size_t c : cases) {
      ++q.case_rows;
      q.case_rows_absent += !in_links[c];
      auto it = police_of_person.find(person);
      if (it == police_of_person.end()) continue;
      for (size_t p : it->second) {
        count(c, p, &PairCounts::true_pairs);
        if (!in_links[p]) absent_police.insert(p);
        if (!in_links[c] || !in_links[p]) ++q.missed_absent_pairs;
      }
    }
  }
  q.police_rows_absent = static_cast<int64_t>(absent_police.size());
  return q;
}

std::string FormatLinkageQuality(const LinkageQuality& q) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "linkage quality (case-to-police-record pairs): precision %.4f, recall %.4f, F1 %.4f "
      "(%lld true pairs, %lld found, %lld correct)\n",
      q.overall.Precision(), q.overall.Recall(), q.overall.F1(),
      static_cast<long long>(q.overall.true_pairs), static_cast<long long>(q.overall.found_pairs),
      static_cast<long long>(q.overall.correct_pairs));
  std::string out = buf;
  if (q.case_rows_absent || q.police_rows_absent) {
    Append(&out, "  rows in the truth but absent from the links (refused, or linked to no case): ",
           q.case_rows_absent, " of ", q.case_rows, " case rows, ", q.police_rows_absent,
           " police rows of case subjects; their ", q.missed_absent_pairs,
           " true pairs count as missed\n");
  }
  std::snprintf(buf, sizeof buf, "  %-28s %10s %8s %8s %9s %7s %7s\n", "by error kind",
                "true pairs", "found", "correct", "precision", "recall", "F1");
  out += buf;
  for (const auto& [kind, c] : q.by_kind) {
    std::snprintf(buf, sizeof buf, "  %-28s %10lld %8lld %8lld %9.4f %7.4f %7.4f\n", kind.c_str(),
                  static_cast<long long>(c.true_pairs), static_cast<long long>(c.found_pairs),
                  static_cast<long long>(c.correct_pairs), c.Precision(), c.Recall(), c.F1());
    out += buf;
  }
  return out;
}

}  // namespace pprl
